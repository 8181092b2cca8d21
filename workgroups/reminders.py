"""Notification kinds of the work plan, and the sweep's source of due and overdue reminders.

The services plan rows in their own transaction (`announce_*`); the sweep asks
`plan_due_reminders` what has come due. Content is rendered when the message's
first sender writes it, from the item as it then stands.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator

from django.db import models, transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from secretariat import delivery, reminder_policy
from secretariat.models import SECRETARIAT_GROUP, Membership, MemberState, Notification, Role, User

from .models import (
    ActionItem,
    ActionItemStatus,
    Assignment,
    OwnerKind,
    Referral,
    ReminderPlan,
    start_of,
)

Renderer = Callable[[Notification], delivery.EmailContent]


# --- Recipients ------------------------------------------------------------------------


def secretariat_officers() -> list[User]:
    return list(
        User.objects.filter(is_active=True, groups__name=SECRETARIAT_GROUP)
        .select_related("member_state")
        .order_by("email")
    )


def delegation(body_id: int, state: MemberState | int, *, heads_only: bool = False) -> list[User]:
    """The current head (and delegates) of a state's delegation in a body."""
    roles = [Role.HEAD] if heads_only else [Role.HEAD, Role.DELEGATE]
    members = (
        Membership.objects.current()
        .filter(body_id=body_id, member_state=state, role__in=roles)
        .select_related("person")
    )
    return [m.person for m in members]


def owners(item: ActionItem) -> list[User]:
    """Who answers for the item: the persons assigned, the owner state's delegation, else the
    secretariat (the sweep's rule, `_Recipients.owners`, for one item)."""
    return _Recipients([item]).owners(item)


def chair_of(body_id: int) -> list[User]:
    members = Membership.objects.current().filter(body_id=body_id, role=Role.CHAIR).select_related("person")
    return [m.person for m in members]


def _each_once(people: Iterable[User], *, skip: User | None = None) -> Iterator[User]:
    """The active people among these, each once, in order, without `skip` (who acted)."""
    seen: set[int] = {skip.pk} if skip is not None else set()
    for person in people:
        if person.pk not in seen and person.is_active:
            seen.add(person.pk)
            yield person


def _send(kind: str, subject: object, people: Iterable[User], *, occurrence: str, skip: User | None = None) -> int:
    return sum(
        delivery.notify(kind, subject, recipient=person, occurrence=occurrence) is not None
        for person in _each_once(people, skip=skip)
    )


def _stamp() -> str:
    return timezone.now().strftime("%Y%m%dT%H%M%S.%f")


# --- Announcements (called by the services, inside their transaction) -------------------


def announce_assignment(item: ActionItem, *, people: Iterable[User], state: MemberState | None, by: User) -> int:
    """Tell the persons newly assigned and, when a state takes the item, its delegation."""
    recipients = list(people)
    if state is not None:
        recipients += delegation(item.body_id, state)
    return _send("action_item_assigned", item, recipients, occurrence=f"assigned-{_stamp()}", skip=by)


def announce_status(item: ActionItem, *, by: User) -> int:
    """Tell the owner and the secretariat that the status changed (statuses move one way)."""
    return _send("action_item_status", item, [*owners(item), *secretariat_officers()], occurrence=item.status, skip=by)


def announce_referral(referral: Referral) -> int:
    """Tell the chair of the receiving body that something waits for its answer."""
    return _send(
        "referral_made", referral, chair_of(referral.to_body_id), occurrence="referred", skip=referral.referred_by
    )


def announce_referral_outcome(referral: Referral) -> int:
    """Tell the referring side (who referred, its chair, the item's owners) the outcome."""
    people = [referral.referred_by, *chair_of(referral.from_body_id)]
    if referral.action_item_id:
        people += owners(referral.action_item)
    return _send("referral_outcome", referral, people, occurrence="outcome", skip=referral.decided_by)


# --- The sweep's source ------------------------------------------------------------------

REMINDER_KINDS = ("action_item_due", "action_item_overdue")
ONE_DAY = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class Stage:
    """The reminder an item calls for on a day: its kind, its occurrence, and whether it is escalated."""

    kind: str
    occurrence: str
    escalated: bool = False


def stage(due_date: dt.date, today: dt.date) -> tuple[Stage | None, dt.datetime | None]:
    """What an open item's reminders call for `today`, and when the sweep should look at it next.

    With settings.REMINDERS (by default 3 days before and on the day; overdue weekly,
    escalated after two, none after 60 days):

    - before the first lead's day: nothing; look again on that day;
    - from a lead's day to the due date: "due", named by the latest lead reached
      ("due-3d-2026-12-04", then "due-0d-2026-12-04"); look again on the next lead's day,
      or on the day after the due date;
    - from the day after the due date: the n-th overdue reminder ("overdue-2-2026-12-04"),
      one every week, to the owners and, once `escalate_after` have gone, to the owner
      state's head of delegation and the secretariat too; look again a week on;
    - more than `until` after the due date: nothing (the body's next meeting takes it up).

    A sweep that comes late plans only the latest reminder due, not each one it missed.
    """
    leads = reminder_policy.before("action_item_due")
    days = [due_date - lead for lead in leads]  # leads longest first: the days in order
    if today < days[0]:
        return None, start_of(days[0])
    if today <= due_date:
        reached = max(n for n, day in enumerate(days) if day <= today)
        following = days[reached + 1] if reached + 1 < len(days) else due_date + ONE_DAY
        occurrence = f"due-{reminder_policy.label(leads[reached])}-{due_date.isoformat()}"
        return Stage("action_item_due", occurrence), start_of(following)
    late = (today - due_date).days
    every = reminder_policy.every("action_item_overdue").days
    until = reminder_policy.until("action_item_overdue").days
    if late > until:
        return None, None
    number = (late - 1) // every + 1
    escalated = number > reminder_policy.escalate_after("action_item_overdue")
    following = due_date + dt.timedelta(days=1 + number * every)
    overdue = Stage("action_item_overdue", f"overdue-{number}-{due_date.isoformat()}", escalated)
    return overdue, start_of(following) if (following - due_date).days <= until else None


def plan_due_reminders(now: dt.datetime) -> int:
    """Plan the "due" reminders to the owners and the weekly "overdue" ones, escalated in time
    to the head of delegation and the secretariat (`stage`, settings.REMINDERS).

    One row per item, recipient and occurrence (which names the reminder and the due
    date), so a moved due date reminds again and a second sweep plans nothing new. The
    plan is stored (`ReminderPlan`, a narrow table of its own), so a sweep with nothing
    due costs one index lookup however many items are open:

    1. the plans whose moment has come (partial index reminder_plan_next): the sweep's
       pulse asks whether there are any (`_due_plans`, registered as the source's `due`)
       and runs this source only then; run on its own it looks first itself. Their
       items are read, locked, in the transaction of the steps below;
    2. their recipients in three queries whatever their number: assignees, the
       owner states' delegations, the secretariat's officers (members' states
       with them, for the working-hours calendar);
    3. the notifications, through `delivery.notify_many` (one INSERT);
    4. each plan moved on, in one INSERT ... ON CONFLICT (`ReminderPlan.move`).
    """
    if not _due_plans(now).exists():  # run on its own: one look at the index, no transaction
        return 0
    with transaction.atomic():
        return _plan_items(now)


def _due_plans(now: dt.datetime) -> models.QuerySet:
    """The earliest plans, if their moment has come: the sweep's pulse asks whether any exist
    and runs this source only then.

    Asked as "is the first plan due?" rather than "is any plan due?": the first plan is read
    from the partial index reminder_plan_next, then by its primary key, whatever the table's
    statistics say. Plans move forward at every sweep, so the statistics of a table analyzed
    days ago count many plans as due that are not; asked the other way, PostgreSQL then
    scanned the table for them (12 ms at 114,000 plans, measured) instead of reading one
    index entry.
    """
    first = ReminderPlan.objects.filter(next_at__isnull=False).order_by("next_at").values("pk")[:1]
    return ReminderPlan.objects.filter(pk=Subquery(first), next_at__lte=now)


def _plan_items(now: dt.datetime) -> int:
    today = timezone.localdate(now, timezone.get_default_timezone())
    # The items locked (through their plans' index), skipping those a service is changing
    # (the services lock the item): that service re-plans it when it commits (a moved date
    # retires what was planned here), and the next sweep takes whatever it left due. Without
    # the lock this sweep could plan for the old date after the service retired what was
    # pending. A plan is only written under its item's lock, so the plans need none.
    # `pk__in` the due plans' ids, not `reminder_plan__in`: that also joins the plans' table,
    # which PostgreSQL then scanned whole for a catch-up's thousand items (63 ms against 16
    # at 132,000 plans, bench/sweep.py's table).
    items = list(
        ActionItem.objects.filter(pk__in=ReminderPlan.objects.filter(next_at__lte=now).values("action_item_id"))
        .select_for_update(skip_locked=True, of=("self",))
        .only(*ITEM_FIELDS)
        .order_by("pk")
    )
    if not items:
        return 0
    stages = {item.pk: stage(item.due_date, today) if item.is_open else (None, None) for item in items}
    speaking = [item for item in items if stages[item.pk][0] is not None]
    plans: list[delivery.Planned] = []
    if speaking:
        recipients = _Recipients(speaking)
        for item in speaking:
            reminder = stages[item.pk][0]
            people = recipients.owners(item)
            if reminder.escalated:
                people += recipients.officers()
                if item.owner_kind == OwnerKind.STATE and item.owner_state_id:
                    people += recipients.delegation(item.body_id, item.owner_state_id, heads_only=True)
            plans += [
                delivery.Planned(reminder.kind, item, person, reminder.occurrence, now) for person in _each_once(people)
            ]
    count = delivery.notify_many(plans, now=now)
    ReminderPlan.move({item.pk: stages[item.pk][1] for item in items})
    return count


# What the source reads of a due plan's item.
ITEM_FIELDS = ("id", "body_id", "owner_kind", "owner_state_id", "due_date", "status")


class _Recipients:
    """The people the reminders of a set of items go to, fetched in a few queries for them all."""

    def __init__(self, items: list[ActionItem]) -> None:
        # Ids first, then each person once with its member state (the working-hours calendar):
        # the same delegates own hundreds of items, and are built once rather than per row.
        assignments = list(
            Assignment.objects.filter(action_item__in=[i.pk for i in items])
            .order_by("pk")
            .values_list("action_item_id", "person_id")
        )
        memberships: list[tuple[int, int, str, int]] = []
        pairs = {(i.body_id, i.owner_state_id) for i in items if i.owner_kind == OwnerKind.STATE and i.owner_state_id}
        if pairs:
            memberships = list(
                Membership.objects.current()
                .filter(
                    body_id__in={b for b, _s in pairs},
                    member_state_id__in={s for _b, s in pairs},
                    role__in=[Role.HEAD, Role.DELEGATE],
                )
                .order_by("pk")
                .values_list("body_id", "member_state_id", "role", "person_id")
            )
        people = User.objects.select_related("member_state").in_bulk(
            {person for _i, person in assignments} | {person for *_k, person in memberships}
        )
        self.assigned: dict[int, list[User]] = {}
        for item_id, person_id in assignments:
            self.assigned.setdefault(item_id, []).append(people[person_id])
        self.members: dict[tuple[int, int], list[tuple[str, User]]] = {}
        for body_id, state_id, role, person_id in memberships:
            self.members.setdefault((body_id, state_id), []).append((role, people[person_id]))
        self._officers: list[User] | None = None

    def officers(self) -> list[User]:
        if self._officers is None:
            self._officers = secretariat_officers()
        return list(self._officers)

    def delegation(self, body_id: int, state_id: int, *, heads_only: bool = False) -> list[User]:
        roles = [Role.HEAD] if heads_only else [Role.HEAD, Role.DELEGATE]
        return [person for role, person in self.members.get((body_id, state_id), []) if role in roles]

    def owners(self, item: ActionItem) -> list[User]:
        """The persons assigned, the owner state's delegation, else the secretariat."""
        people = list(self.assigned.get(item.pk, []))
        if item.owner_kind == OwnerKind.STATE and item.owner_state_id:
            people += self.delegation(item.body_id, item.owner_state_id)
        if item.owner_kind == OwnerKind.SECRETARIAT and not people:
            people += self.officers()
        return people


def replan(item: ActionItem) -> None:
    """The services' bookkeeping when an item's due date or status changes, in their transaction.

    What was still pending for the old date or the open item is retired: a moved
    date reminds afresh for the new date, and a closed item is not chased. The plan
    is rewritten from the item's new date and status; the caller holds the item
    locked, so no sweep plans for it meanwhile.
    """
    for kind in REMINDER_KINDS:
        delivery.retire(kind, item)
    ReminderPlan.first_for([item])


# --- Kinds ---------------------------------------------------------------------------------


def _item_email(template: str) -> Renderer:
    def render(notification: Notification) -> delivery.EmailContent:
        item: ActionItem = notification.subject
        context = {"item": item, "item_path": item.get_absolute_url(), **_reminder_context(notification)}
        if notification.kind == "action_item_status":
            # The status the item moved to when this was planned, not the one it has since reached.
            context["status"] = ActionItemStatus(notification.occurrence)
        return delivery.render_email(template, context, recipient=notification.recipient)

    return render


def _reminder_context(notification: Notification) -> dict:
    """Which reminder a "due" or "overdue" row is ("due-0d-2026-12-04": on the day;
    "overdue-3-2026-12-04": the third, escalated after settings.REMINDERS' count)."""
    name, _sep, rest = notification.occurrence.partition("-")
    number, _sep, day = rest.partition("-")
    if len(day) != 10:  # planned before reminders were numbered ("due-2026-12-04"): no details
        return {}
    if name == "due":
        return {"on_the_day": number == "0d"}
    if name == "overdue" and number.isdigit():
        after = reminder_policy.escalate_after("action_item_overdue")
        return {"reminder_number": int(number), "escalated": int(number) > after, "escalate_after": after}
    return {}


def _referral_email(template: str) -> Renderer:
    def render(notification: Notification) -> delivery.EmailContent:
        referral: Referral = notification.subject
        return delivery.render_email(
            template,
            {"referral": referral, "subject": referral.subject, "subject_path": referral.subject.get_absolute_url()},
            recipient=notification.recipient,
        )

    return render


# What the item e-mails read (item.body.code, item.owner_label), fetched once for a sweep's batch.
ITEM_PREFETCH = ("body", "owner_state", "assignments__person")

delivery.register_kind(
    "action_item_assigned",
    label=_("An action item assigned to you or your state"),
    render=_item_email("action_item_assigned"),
    prefetch=ITEM_PREFETCH,
)
delivery.register_kind(
    "action_item_status",
    label=_("An action item's status changed"),
    render=_item_email("action_item_status"),
    prefetch=ITEM_PREFETCH,
)

delivery.register_kind(
    "action_item_due",
    label=_("An action item falls due soon"),
    render=_item_email("action_item_due"),
    prefetch=ITEM_PREFETCH,
)
delivery.register_kind(
    "action_item_overdue",
    label=_("An action item is overdue"),
    render=_item_email("action_item_overdue"),
    prefetch=ITEM_PREFETCH,
)
delivery.register_kind("referral_made", label=_("Work referred to your body"), render=_referral_email("referral_made"))
delivery.register_kind(
    "referral_outcome", label=_("The outcome of a referral"), render=_referral_email("referral_outcome")
)
delivery.register_source(plan_due_reminders, due=_due_plans)
