"""Notification kinds of the work plan, and the sweep's source of due and overdue reminders.

The services plan rows in their own transaction (`announce_*`); the sweep asks
`plan_due_reminders` what has come due. Content is rendered when the message's
first sender writes it, from the item as it then stands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from secretariat import delivery
from secretariat.history import update_untracked
from secretariat.models import SECRETARIAT_GROUP, Membership, MemberState, Notification, Role, User

# DUE_SOON_DAYS: how many days ahead an open item's owners are reminded of its due date.
# OVERDUE_WINDOW_DAYS: overdue items older than this stop producing reminders (the meeting takes them up).
from .models import (
    DUE_SOON_DAYS,
    OVERDUE_WINDOW_DAYS,
    ActionItem,
    ActionItemStatus,
    Assignment,
    OwnerKind,
    Referral,
    first_reminder_at,
    start_of,
)

Renderer = Callable[[Notification], delivery.EmailContent]


# --- Recipients ------------------------------------------------------------------------


def secretariat_officers() -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name=SECRETARIAT_GROUP).order_by("email"))


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
    """Who answers for the item: the persons assigned, the owner state's delegation."""
    people = [a.person for a in item.assignments.select_related("person")]
    if item.owner_kind == OwnerKind.STATE and item.owner_state_id:
        people += delegation(item.body_id, item.owner_state_id)
    if item.owner_kind == OwnerKind.SECRETARIAT and not people:
        people += secretariat_officers()
    return people


def chair_of(body_id: int) -> list[User]:
    members = Membership.objects.current().filter(body_id=body_id, role=Role.CHAIR).select_related("person")
    return [m.person for m in members]


def _send(kind: str, subject: object, people: Iterable[User], *, occurrence: str, skip: User | None = None) -> int:
    sent = 0
    seen: set[int] = set()
    for person in people:
        if person.pk in seen or not person.is_active or (skip is not None and person.pk == skip.pk):
            continue
        seen.add(person.pk)
        if delivery.notify(kind, subject, recipient=person, occurrence=occurrence) is not None:
            sent += 1
    return sent


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


def _stage(due_date: dt.date, today: dt.date) -> tuple[str | None, dt.datetime | None]:
    """What an item's reminders call for today, and when the sweep should look at it next.

    - before the window: nothing yet; look again DUE_SOON_DAYS before the due date;
    - within DUE_SOON_DAYS of the due date: "due" to the owners; look again the day after it;
    - overdue, within OVERDUE_WINDOW_DAYS: "overdue", escalated; nothing after that;
    - later still: nothing (the meeting takes the item up).
    """
    if today < due_date - dt.timedelta(days=DUE_SOON_DAYS):
        return None, start_of(due_date - dt.timedelta(days=DUE_SOON_DAYS))
    if today <= due_date:
        return "due", start_of(due_date + dt.timedelta(days=1))
    if today <= due_date + dt.timedelta(days=OVERDUE_WINDOW_DAYS):
        return "overdue", None
    return None, None


def plan_due_reminders(now: dt.datetime) -> int:
    """Plan "due soon" reminders to the owners and "overdue" ones escalated to the head and secretariat.

    One row per item, recipient and due date (the occurrence), so a moved due
    date reminds again and a second sweep plans nothing new. The plan is stored
    (`ActionItem.next_reminder_at`), so a sweep with nothing due costs one index
    lookup however many items are open:

    1. the items whose next_reminder_at has come (partial index action_item_next_reminder):
       the sweep's pulse asks whether there are any (`_due_items`, registered as the
       source's `due`) and runs this source only then; run on its own it looks first
       itself. They are read again, locked, in the transaction of the steps below;
    2. their recipients in three queries whatever their number: assignees, the
       owner states' delegations, the secretariat's officers (members' states
       with them, for the working-hours calendar);
    3. the notifications, through `delivery.notify_many` (one lookup and bulk inserts);
    4. each item's next_reminder_at moved on (one UPDATE per distinct new value,
       writing no history: the field is left out of it).
    """
    due = _due_items(now)
    if not due.exists():  # run on its own: one look at the index, no transaction
        return 0
    with transaction.atomic():
        return _plan_items(due, now)


def _due_items(now: dt.datetime) -> models.QuerySet:
    """The items whose reminder plan has come (partial index action_item_next_reminder);
    the sweep's pulse asks whether any exist and runs this source only then."""
    return ActionItem.objects.filter(next_reminder_at__lte=now)


def _plan_items(due: models.QuerySet, now: dt.datetime) -> int:
    today = timezone.localdate(now, timezone.get_default_timezone())
    # Locked, skipping rows a service is changing: that service re-plans them when it
    # commits (a moved date retires what was planned here), and the next sweep takes
    # whatever it left due. Without the lock this sweep could overwrite the new plan.
    items = list(
        due.select_for_update(skip_locked=True)
        .only("pk", "body_id", "owner_kind", "owner_state_id", "due_date", "status", "next_reminder_at")
        .order_by("next_reminder_at", "pk")
    )
    if not items:
        return 0
    stages = {item.pk: _stage(item.due_date, today) if item.is_open else (None, None) for item in items}
    speaking = [item for item in items if stages[item.pk][0] is not None]
    plans: list[delivery.Planned] = []
    if speaking:
        recipients = _Recipients(speaking)
        for item in speaking:
            stage = stages[item.pk][0]
            people = recipients.owners(item)
            if stage == "overdue":
                people += recipients.officers()
                if item.owner_kind == OwnerKind.STATE and item.owner_state_id:
                    people += recipients.delegation(item.body_id, item.owner_state_id, heads_only=True)
            occurrence = f"{stage}-{item.due_date.isoformat()}"
            seen: set[int] = set()
            for person in people:
                if person.pk in seen or not person.is_active:
                    continue
                seen.add(person.pk)
                plans.append(delivery.Planned(f"action_item_{stage}", item, person, occurrence, now))
    count = delivery.notify_many(plans, now=now)
    moves: dict[dt.datetime | None, list[int]] = {}
    for item in items:
        moves.setdefault(stages[item.pk][1], []).append(item.pk)
    for next_at, pks in moves.items():
        update_untracked(ActionItem.objects.filter(pk__in=pks), next_reminder_at=next_at)
    return count


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
            self._officers = list(
                User.objects.filter(is_active=True, groups__name=SECRETARIAT_GROUP)
                .select_related("member_state")
                .order_by("email")
            )
        return list(self._officers)

    def delegation(self, body_id: int, state_id: int, *, heads_only: bool = False) -> list[User]:
        roles = [Role.HEAD] if heads_only else [Role.HEAD, Role.DELEGATE]
        return [person for role, person in self.members.get((body_id, state_id), []) if role in roles]

    def owners(self, item: ActionItem) -> list[User]:
        """As `owners()`: the persons assigned, the owner state's delegation, else the secretariat."""
        people = list(self.assigned.get(item.pk, []))
        if item.owner_kind == OwnerKind.STATE and item.owner_state_id:
            people += self.delegation(item.body_id, item.owner_state_id)
        if item.owner_kind == OwnerKind.SECRETARIAT and not people:
            people += self.officers()
        return people


def replan(item: ActionItem) -> None:
    """The services' bookkeeping when an item's due date or status changes (the caller saves it).

    What was still pending for the old date or the open item is retired: a moved
    date reminds afresh for the new date, and a closed item is not chased.
    """
    for kind in REMINDER_KINDS:
        delivery.retire(kind, item)
    item.next_reminder_at = first_reminder_at(item.due_date, item.status)


# --- Kinds ---------------------------------------------------------------------------------


def _item_email(template: str) -> Renderer:
    def render(notification: Notification) -> delivery.EmailContent:
        item: ActionItem = notification.subject
        context = {"item": item, "item_path": item.get_absolute_url()}
        if notification.kind == "action_item_status":
            # The status the item moved to when this was planned, not the one it has since reached.
            context["status"] = ActionItemStatus(notification.occurrence)
        return delivery.render_email(template, context, recipient=notification.recipient)

    return render


def _referral_email(template: str) -> Renderer:
    def render(notification: Notification) -> delivery.EmailContent:
        referral: Referral = notification.subject
        return delivery.render_email(
            template,
            {"referral": referral, "subject": referral.subject, "subject_path": referral.subject.get_absolute_url()},
            recipient=notification.recipient,
        )

    return render


delivery.register_kind(
    "action_item_assigned",
    label=_("An action item assigned to you or your state"),
    render=_item_email("action_item_assigned"),
)
delivery.register_kind(
    "action_item_status", label=_("An action item's status changed"), render=_item_email("action_item_status")
)
# What the item e-mails read (item.body.code, item.owner_label), fetched once for a sweep's batch.
ITEM_PREFETCH = ("body", "owner_state", "assignments__person")

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
delivery.register_source(plan_due_reminders, due=_due_items)
