"""Notification kinds of the work plan, and the sweep's source of due and overdue reminders.

The services plan rows in their own transaction (`announce_*`); the sweep asks
`plan_due_reminders` what has come due. Content is rendered when the sweep
bundles the row, from the item as it then stands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from secretariat import delivery
from secretariat.models import SECRETARIAT_GROUP, Membership, MemberState, Notification, Role, User

from .models import ActionItem, ActionItemStatus, OwnerKind, Referral

# How many days ahead an open item's owners are reminded of its due date.
DUE_SOON_DAYS = 3
# Overdue items older than this stop producing reminders: the meeting takes them up.
OVERDUE_WINDOW_DAYS = 60

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


def plan_due_reminders(now: dt.datetime) -> int:
    """Plan "due soon" reminders to the owners and "overdue" ones escalated to the head and secretariat.

    One row per item, recipient and due date (the occurrence), so a moved due
    date reminds again and a second sweep plans nothing new.
    """
    today = timezone.localdate(now)
    items = list(
        ActionItem.objects.open()
        .filter(
            Q(due_date__gte=today, due_date__lte=today + dt.timedelta(days=DUE_SOON_DAYS))
            | Q(due_date__lt=today, due_date__gte=today - dt.timedelta(days=OVERDUE_WINDOW_DAYS))
        )
        .select_related("owner_state")
    )
    if not items:
        return 0
    planned = set(
        Notification.objects.filter(
            kind__in=["action_item_due", "action_item_overdue"],
            content_type=ContentType.objects.get_for_model(ActionItem),
            object_id__in=[i.pk for i in items],
        ).values_list("object_id", "occurrence")
    )
    officers = None
    count = 0
    for item in items:
        if item.due_date >= today:
            occurrence = f"due-{item.due_date.isoformat()}"
            if (item.pk, occurrence) not in planned:
                count += _send("action_item_due", item, owners(item), occurrence=occurrence)
            continue
        occurrence = f"overdue-{item.due_date.isoformat()}"
        if (item.pk, occurrence) in planned:
            continue
        if officers is None:
            officers = secretariat_officers()
        people = owners(item) + officers
        if item.owner_kind == OwnerKind.STATE and item.owner_state_id:
            people += delegation(item.body_id, item.owner_state_id, heads_only=True)
        count += _send("action_item_overdue", item, people, occurrence=occurrence)
    return count


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
delivery.register_kind(
    "action_item_due", label=_("An action item falls due soon"), render=_item_email("action_item_due")
)
delivery.register_kind(
    "action_item_overdue", label=_("An action item is overdue"), render=_item_email("action_item_overdue")
)
delivery.register_kind("referral_made", label=_("Work referred to your body"), render=_referral_email("referral_made"))
delivery.register_kind(
    "referral_outcome", label=_("The outcome of a referral"), render=_referral_email("referral_outcome")
)
delivery.register_source(plan_due_reminders)
