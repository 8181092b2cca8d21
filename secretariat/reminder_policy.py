"""The reminder policies: settings.REMINDERS, read by the sweep's sources at every sweep.

A source asks `before(kind)` (the leads before the date a reminder is about, longest
first), `every(kind)`, `after(kind)`, `escalate_after(kind)` or `until(kind)`. The table
is read each time, not copied at import, so a deployment's settings (and a test's
`override_settings`) apply at once. `check_reminders` is a system check: a malformed
table stops start-up with a message naming the entry, rather than failing in a sweep.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import checks
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# What each kind's entry must hold; whether its moments must be whole days (sources that
# work on dates: an action item is due on a day, not at a moment); whether it takes one
# lead only (its occurrences do not name the lead).
SHAPES: dict[str, tuple[set[str], bool, bool]] = {
    "meeting_upcoming": ({"before"}, False, False),
    "rsvp_pending": ({"before"}, False, True),
    "action_item_due": ({"before"}, True, False),
    "action_item_overdue": ({"every", "escalate_after", "until"}, True, False),
    "circulation_deadline": ({"before"}, False, False),
    "minutes_awaiting_chair": ({"after", "every"}, False, False),
    "comment_window_closing": ({"before"}, False, True),
}


def _entry(kind: str) -> dict:
    return settings.REMINDERS[kind]


def before(kind: str) -> list[dt.timedelta]:
    """The leads of a kind's reminders before its date, longest first (0: at the date itself)."""
    return sorted(set(_entry(kind)["before"]), reverse=True)


def every(kind: str) -> dt.timedelta:
    return _entry(kind)["every"]


def after(kind: str) -> dt.timedelta:
    return _entry(kind)["after"]


def until(kind: str) -> dt.timedelta:
    return _entry(kind)["until"]


def escalate_after(kind: str) -> int:
    return _entry(kind)["escalate_after"]


def _in_units(lead: dt.timedelta) -> tuple[int, str]:
    """A lead in its largest whole unit: (7, "d"), (36, "h"), (90, "m")."""
    seconds = int(lead.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600)):
        if seconds % size == 0:
            return seconds // size, unit
    return seconds // 60, "m"


def label(lead: dt.timedelta) -> str:
    """A lead as an occurrence names it: "7d", "1d", "0d" in whole days, else "36h" or "90m"."""
    count, unit = _in_units(lead)
    return f"{count}{unit}"


def latest_lead(
    kind: str, moment: dt.datetime, now: dt.datetime, *, since: dt.datetime | None = None
) -> dt.timedelta | None:
    """The shortest of a kind's leads whose time (`moment` minus the lead) has come by `now`,
    and came after `since` if given; None if none has. A sweep that comes late reminds of this
    one lead, not of each one it missed."""
    reached = [lead for lead in before(kind) if moment - lead <= now and (since is None or since < moment - lead)]
    return reached[-1] if reached else None


def _problems(table: object) -> list[str]:
    if not isinstance(table, dict):
        return ["REMINDERS must be a dict of reminder kinds."]
    problems = []
    for kind, (keys, whole_days, single) in SHAPES.items():
        entry = table.get(kind)
        if not isinstance(entry, dict):
            problems.append(f"REMINDERS[{kind!r}] is missing; it needs {', '.join(sorted(keys))}.")
            continue
        problems += [f"REMINDERS[{kind!r}] needs {key!r}." for key in sorted(keys - entry.keys())]
        durations = [entry[key] for key in ("every", "after", "until") if key in entry]
        if "before" in keys and "before" in entry:
            if not isinstance(entry["before"], list | tuple) or not entry["before"]:
                problems.append(f"REMINDERS[{kind!r}]['before'] must be a non-empty list of timedeltas.")
            elif single and len(entry["before"]) != 1:
                problems.append(f"REMINDERS[{kind!r}]['before'] takes one lead.")
            else:
                durations += entry["before"]
        for value in durations:
            if not isinstance(value, dt.timedelta) or value < dt.timedelta(0):
                problems.append(f"REMINDERS[{kind!r}] has {value!r}: moments are timedeltas of zero or more.")
            elif whole_days and value % dt.timedelta(days=1):
                problems.append(f"REMINDERS[{kind!r}] has {value!r}: this kind counts in whole days.")
        if entry.get("every") == dt.timedelta(0):
            problems.append(f"REMINDERS[{kind!r}]['every'] must be longer than zero.")
        count = entry.get("escalate_after", 0)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            problems.append(f"REMINDERS[{kind!r}]['escalate_after'] must be a count of reminders (0 or more).")
    return problems


@checks.register()
def check_reminders(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    """settings.REMINDERS has every kind the sources read, each in the shape they read."""
    return [
        checks.Error(problem, hint="See the REMINDERS table in secretariat/settings.py.", id="secretariat.E010")
        for problem in _problems(getattr(settings, "REMINDERS", None))
    ]


def _span(lead: dt.timedelta) -> str:
    """A lead in words: "7 days", "1 day", "36 hours", "90 minutes"."""
    count, unit = _in_units(lead)
    words = {
        "d": ngettext("%(count)d day", "%(count)d days", count),
        "h": ngettext("%(count)d hour", "%(count)d hours", count),
        "m": ngettext("%(count)d minute", "%(count)d minutes", count),
    }
    return words[unit] % {"count": count}


def _leads_before(kind: str, what: str) -> str:
    """ "7 days and 1 day before the meeting starts"; a lead of zero reads "on the day"."""
    leads = before(kind)
    words = [_span(lead) for lead in leads if lead]
    text = ""
    if words:
        joined = (
            words[0]
            if len(words) == 1
            else _("%(first)s and %(last)s")
            % {
                "first": ", ".join(words[:-1]),
                "last": words[-1],
            }
        )
        text = _("%(leads)s before %(what)s") % {"leads": joined, "what": what}
    if dt.timedelta(0) in leads:
        text = _("%(before)s and on the day") % {"before": text} if text else _("on the day")
    return text


def schedule() -> dict[str, str]:
    """When each reminder kind is sent, in words, from the table (the preferences page shows it)."""
    overdue, chair = _entry("action_item_overdue"), _entry("minutes_awaiting_chair")
    return {
        "meeting_upcoming": _leads_before("meeting_upcoming", _("the meeting starts")),
        "rsvp_pending": _("%(when)s, while your delegation has not answered")
        % {"when": _leads_before("rsvp_pending", _("the meeting starts"))},
        "action_item_due": _leads_before("action_item_due", _("the due date")),
        "action_item_overdue": _(
            "The day after the due date, then every %(every)s for up to %(until)s; after %(count)s reminders "
            "also to the head of delegation and the secretariat"
        )
        % {"every": _span(overdue["every"]), "until": _span(overdue["until"]), "count": overdue["escalate_after"]},
        "circulation_deadline": _("%(when)s, while your member state has not answered")
        % {"when": _leads_before("circulation_deadline", _("the deadline"))},
        "minutes_awaiting_chair": _("%(after)s after the minutes are submitted, then every %(every)s")
        % {"after": _span(chair["after"]), "every": _span(chair["every"])},
        "comment_window_closing": _leads_before("comment_window_closing", _("the comment deadline")),
    }
