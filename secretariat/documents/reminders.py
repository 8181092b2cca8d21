"""Notification kinds and the sweep source of documents.

The sweep calls `plan_circulations(now)`: it decides the circulations whose
deadline has passed (the outcome is announced to every recipient) and reminds
delegations that have not answered before the deadline (settings.REMINDERS: by
default 2 days and 1 day before). Both are safe to
run twice: a decided circulation is skipped, and a notification's unique key
makes planning it again a no-op. It tells the sweep the next deadline or
day-before moment, and the sweep skips it until then unless a circulation, a
recipient or an answer changes.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Min, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from secretariat import delivery, reminder_policy
from secretariat.models import Notification

from . import services, tokens
from .models import Circulation, CirculationAnswer, CirculationRecipient

# Decided per sweep at most; the rest wait for the next run.
BATCH = 200


def _links(row: CirculationRecipient) -> dict[str, str]:
    circulation = row.circulation
    action = tokens.link_action(circulation.mode)
    if action is None or (action != "acknowledge" and row.member_state_id is None):
        return {}
    return {
        "one_click_path": reverse("documents:link", args=[action, tokens.make_token(row, action)]),
        "action": action,
    }


def _render_row(template: str):
    def render(notification: Notification) -> delivery.EmailContent:
        row: CirculationRecipient = notification.subject
        circulation = row.circulation
        return delivery.render_email(
            template,
            {
                "row": row,
                "circulation": circulation,
                "version": circulation.version,
                "document": circulation.version.document,
                "circulation_path": circulation.get_absolute_url(),
                **_links(row),
            },
            recipient=notification.recipient,
        )

    return render


def _render_circulation(template: str):
    def render(notification: Notification) -> delivery.EmailContent:
        circulation: Circulation = notification.subject
        return delivery.render_email(
            template,
            {
                "circulation": circulation,
                "version": circulation.version,
                "document": circulation.version.document,
                "circulation_path": circulation.get_absolute_url(),
            },
            recipient=notification.recipient,
        )

    return render


def plan_circulations(now: dt.datetime) -> delivery.Planning:
    """Decide what the deadline has decided, then plan the day-before reminders."""
    planned = 0
    due = list(Circulation.objects.due(now).order_by("deadline").values_list("pk", flat=True)[:BATCH])
    if due:
        from secretariat.services import system_user

        actor = system_user()
        for circulation in Circulation.objects.filter(pk__in=due).select_related("version__document", "created_by"):
            planned += services.decide_circulation(circulation, by=actor, now=now)
    planned += services.plan_deadline_reminders(now)
    # A full batch leaves others due: the next sweep decides them.
    return delivery.Planning(planned, now if len(due) == BATCH else _next_moment(now))


def _next_moment(now: dt.datetime) -> dt.datetime | None:
    """The next deadline of an open circulation (decided then), or the next moment at which
    one whose waiting delegations are reminded reaches a lead (settings.REMINDERS),
    whichever comes first: one query."""
    leads = dict(enumerate(reminder_policy.before("circulation_deadline")))
    found = (
        Circulation.objects.open()
        .filter(deadline__gt=now)
        .aggregate(
            decided=Min("deadline"),
            **{
                f"lead_{n}": Min("deadline", filter=services.REMINDED & Q(deadline__gt=now + lead))
                for n, lead in leads.items()
            },
        )
    )
    moments = [found["decided"], *(found[f"lead_{n}"] - lead for n, lead in leads.items() if found[f"lead_{n}"])]
    return min((m for m in moments if m is not None), default=None)


# What the e-mails read of their subjects, fetched once for a sweep's batch (not four queries a row).
ROW_PREFETCH = ("circulation__version__document", "member_state")
CIRCULATION_PREFETCH = ("version__document",)

delivery.register_kind(
    "circulation_sent",
    label=_("A document circulated to you"),
    render=_render_row("circulation_sent"),
    prefetch=ROW_PREFETCH,
)
delivery.register_kind(
    "circulation_deadline",
    label=_("A circulation's deadline is near and your delegation has not answered"),
    render=_render_row("circulation_deadline"),
    prefetch=ROW_PREFETCH,
)
delivery.register_kind(
    "circulation_objection",
    label=_("An objection broke silence"),
    render=_render_circulation("circulation_objection"),
    urgent=True,
    prefetch=CIRCULATION_PREFETCH,
)
delivery.register_kind(
    "circulation_outcome",
    label=_("The outcome of a circulation"),
    render=_render_circulation("circulation_outcome"),
    prefetch=CIRCULATION_PREFETCH,
)
delivery.register_source(plan_circulations, watch=(Circulation, CirculationRecipient, CirculationAnswer))
