"""Every change to the work plan and action items goes through a function here.

Each is one transaction (`@service`), takes the actor as `by=`, checks the
permission and the transition, locks the row it changes where two people could
act at once, writes with a change reason, records the step in the item's thread,
and plans its e-mails as notification rows in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from secretariat.history import save_with_reason, service
from secretariat.models import Body, Membership, MemberState, Role, User

from . import reminders, rules
from .models import (
    NOTE_MAX,
    OUTCOMES_FOR,
    TEXT_MAX,
    TITLE_MAX,
    ActionItem,
    ActionItemStatus,
    Assignment,
    Framework,
    OwnerKind,
    Priority,
    ProgressUpdate,
    Referral,
    ReferralOutcome,
    ReferralPurpose,
    Task,
    TaskLeadState,
    TaskStatus,
    UpdateKind,
)

# --- Checks ------------------------------------------------------------------------


def _text(field: str, value: str, limit: int, *, label: str, required: bool = False) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError({field: _("The %(label)s contains a null character.") % {"label": label}})
    if required and not value:
        raise ValidationError({field: _("Enter the %(label)s.") % {"label": label}})
    if len(value) > limit:
        raise ValidationError(
            {
                field: _("The %(label)s is too long: %(count)s characters; at most %(limit)s.")
                % {"label": label, "count": len(value), "limit": limit}
            }
        )
    return value


def _lock(obj: ActionItem | Referral | Task) -> None:
    """Re-read `obj` under a row lock: two people acting at once are serialised here."""
    fresh = type(obj).objects.select_for_update().get(pk=obj.pk)
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(fresh, field.attname))


def delegation_states(body: Body) -> set[int]:
    """Member states with a current delegation (head or delegate) in the body."""
    return set(
        Membership.objects.current()
        .filter(body=body, role__in=rules.DELEGATION_ROLES, member_state__isnull=False)
        .values_list("member_state_id", flat=True)
    )


def _check_owner(body: Body, owner_kind: str, owner_state: MemberState | None, assignees: Sequence[User]) -> None:
    """The owner must be able to act: a state with a delegation in the body, members, or the secretariat."""
    if owner_kind not in OwnerKind.values:
        raise ValidationError({"owner_kind": _("Choose who owns the item.")})
    if owner_kind == OwnerKind.STATE:
        if owner_state is None:
            raise ValidationError({"owner_state": _("Choose the member state whose delegation owns the item.")})
        if owner_state.pk not in delegation_states(body):
            raise ValidationError(
                {
                    "owner_state": _(
                        "%(state)s has no delegation in %(body)s: an item can only be owned by a member of the body."
                    )
                    % {"state": owner_state, "body": body.code}
                }
            )
    if owner_kind == OwnerKind.PERSONS and not assignees:
        raise ValidationError({"assignees": _("Name at least one person to own the item.")})
    if assignees:
        members = set(
            Membership.objects.current()
            .filter(body=body, person__in=assignees)
            .exclude(role=Role.OBSERVER)
            .values_list("person_id", flat=True)
        )
        strangers = [p for p in assignees if p.pk not in members and not p.is_secretariat]
        if strangers:
            raise ValidationError(
                {
                    "assignees": ngettext(
                        "%(people)s is not a member of %(body)s: assign members of the body or the secretariat.",
                        "%(people)s are not members of %(body)s: assign members of the body or the secretariat.",
                        len(strangers),
                    )
                    % {"people": ", ".join(str(p) for p in strangers), "body": body.code}
                }
            )


def _check_due(item: ActionItem) -> None:
    origin = item.origin_date()
    if item.due_date < origin:
        what = {
            "meeting": _("the meeting it arises from (%(date)s)"),
            "task": _("the start of its task (%(date)s)"),
            "standalone": _("the day it is recorded (%(date)s)"),
        }[item.origin_kind] % {"date": origin.strftime("%-d %b %Y")}
        raise ValidationError({"due_date": _("The due date cannot be before %(what)s.") % {"what": what}})
    if item.due_date > origin + dt.timedelta(days=365 * 10):
        raise ValidationError({"due_date": _("The due date is more than ten years away: check the year.")})


def _post(item: ActionItem, *, by: User, kind: str, text: str, status: str = "") -> ProgressUpdate:
    update = ProgressUpdate(
        action_item=item,
        kind=kind,
        author=by,
        member_state_id=rules.acting_state(by, item),
        status=status,
        text=text,
    )
    save_with_reason(update, UpdateKind(kind).label)
    return update


def _set_assignees(item: ActionItem, people: Iterable[User], *, reason: str) -> list[User]:
    """Make the assignments exactly `people`; returns who was added."""
    wanted = {p.pk: p for p in people}
    current = {a.person_id: a for a in Assignment.objects.filter(action_item=item)}
    for person_id, assignment in current.items():
        if person_id not in wanted:
            assignment._change_reason = reason
            assignment.delete()
    added = [p for pk, p in wanted.items() if pk not in current]
    for person in added:
        save_with_reason(Assignment(action_item=item, person=person), reason)
    item.__dict__.get("_prefetched_objects_cache", {}).pop("assignments", None)
    return added


def _require_status(item: ActionItem, allowed: Iterable[str], verb: str) -> None:
    if item.status not in allowed:
        raise ValidationError(
            _("This item is %(status)s: it cannot be %(verb)s.")
            % {"status": item.get_status_display().lower(), "verb": verb}
        )


# --- Tasks -----------------------------------------------------------------------------


def _check_task(task: Task) -> None:
    task.title = _text("title", task.title, TITLE_MAX, label=_("title"), required=True)
    task.description = _text("description", task.description, TEXT_MAX, label=_("description"))
    task.framework_line = _text("framework_line", task.framework_line, 200, label=_("framework line"))
    if task.framework not in Framework.values:
        raise ValidationError({"framework": _("Choose a framework from the list.")})
    if task.status not in TaskStatus.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    if task.start and task.end and task.end < task.start:
        raise ValidationError({"end": _("The task cannot end before it starts (%(start)s).") % {"start": task.start}})


def _set_leads(task: Task, states: Iterable[MemberState], *, reason: str) -> None:
    wanted = {s.pk for s in states}
    current = {lead.member_state_id: lead for lead in TaskLeadState.objects.filter(task=task)}
    for state_id, lead in current.items():
        if state_id not in wanted:
            lead._change_reason = reason
            lead.delete()
    for state_id in wanted - set(current):
        save_with_reason(TaskLeadState(task=task, member_state_id=state_id), reason)


@service
def create_task(
    *,
    by: User,
    body: Body,
    title: str,
    start: dt.date,
    end: dt.date,
    description: str = "",
    framework: str = Framework.ROADMAP,
    framework_line: str = "",
    lead_states: Iterable[MemberState] = (),
    status: str = TaskStatus.PLANNED,
    shared_with_observers: bool = False,
) -> Task:
    if not rules.can_create_in(by, body):
        raise PermissionDenied
    task = Task(
        body=body,
        title=title,
        description=description,
        framework=framework,
        framework_line=framework_line,
        start=start,
        end=end,
        status=status,
        shared_with_observers=shared_with_observers,
        created_by=by,
    )
    _check_task(task)
    save_with_reason(task, "Added to the work plan")
    _set_leads(task, lead_states, reason="Lead state named")
    return task


TASK_FIELDS = {"title", "description", "framework", "framework_line", "start", "end", "status", "shared_with_observers"}


@service
def update_task(task: Task, *, by: User, lead_states: Iterable[MemberState] | None = None, **changes: object) -> Task:
    if not rules.can_manage_task(by, task):
        raise PermissionDenied
    unknown = set(changes) - TASK_FIELDS
    if unknown:
        raise TypeError(f"update_task() cannot change {sorted(unknown)}")
    _lock(task)
    for field, value in changes.items():
        setattr(task, field, value)
    _check_task(task)
    save_with_reason(task, "Work plan task changed")
    if lead_states is not None:
        _set_leads(task, lead_states, reason="Lead states changed")
    return task


# --- Action items ----------------------------------------------------------------------


@service
def create_action_item(
    *,
    by: User,
    title: str,
    due_date: dt.date,
    body: Body | None = None,
    description: str = "",
    priority: int = Priority.NORMAL,
    owner_kind: str = OwnerKind.STATE,
    owner_state: MemberState | None = None,
    assignees: Sequence[User] = (),
    task: Task | None = None,
    agenda_item: object | None = None,
    decision: object | None = None,
    shared_with_observers: bool = False,
) -> ActionItem:
    """Record an action item.

    1. The origin fixes the body: a decision's agenda item and meeting, an agenda
       item's meeting, a task's body; a standalone item names its body.
    2. The actor must be able to create in that body (secretariat, its chair).
    3. Texts, owner and due date are checked; nothing is written before all pass.
    4. The item, its assignments and the first entry of its thread are written;
       the owners hear of it.
    """
    if decision is not None:
        agenda_item = decision.agenda_item
    meeting = agenda_item.meeting if agenda_item is not None else None
    origin_body = meeting.body if meeting is not None else (task.body if task is not None else None)
    if body is None:
        body = origin_body
    if body is None:
        raise ValidationError({"body": _("Choose the body the item belongs to.")})
    if origin_body is not None and origin_body.pk != body.pk:
        raise ValidationError(
            _("The item belongs to the body of its meeting or task (%(body)s).") % {"body": origin_body}
        )
    if task is not None and task.body_id != body.pk:
        raise ValidationError({"task": _("The task belongs to another body.")})
    if not rules.can_create_in(by, body):
        raise PermissionDenied
    assignees = list(assignees)
    item = ActionItem(
        body=body,
        title=_text("title", title, TITLE_MAX, label=_("title"), required=True),
        description=_text("description", description, TEXT_MAX, label=_("description")),
        meeting=meeting,
        agenda_item=agenda_item,
        decision=decision,
        task=task,
        owner_kind=owner_kind,
        owner_state=owner_state if owner_kind == OwnerKind.STATE else None,
        due_date=due_date,
        priority=priority,
        shared_with_observers=shared_with_observers,
        created_by=by,
    )
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Choose a priority from the list.")})
    _check_owner(body, owner_kind, item.owner_state, assignees)
    _check_due(item)
    origin = {"meeting": f"Arising from {meeting}", "task": f"From task “{task}”", "standalone": "Recorded"}
    save_with_reason(item, origin[item.origin_kind])
    _set_assignees(item, assignees, reason="Assigned")
    reminders.announce_assignment(item, people=assignees, state=item.owner_state, by=by)
    return item


EDITABLE_FIELDS = {"title", "description", "due_date", "priority", "shared_with_observers", "task"}


@service
def update_action_item(item: ActionItem, *, by: User, **changes: object) -> ActionItem:
    """Edit what the item asks for and by when (not its status or owner: those have their verbs)."""
    if not rules.can_manage_item(by, item):
        raise PermissionDenied
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_action_item() cannot change {sorted(unknown)}")
    _lock(item)
    _require_status(item, [ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS], _("edited"))
    old_due = item.due_date
    for field, value in changes.items():
        setattr(item, field, value)
    item.title = _text("title", item.title, TITLE_MAX, label=_("title"), required=True)
    item.description = _text("description", item.description, TEXT_MAX, label=_("description"))
    if item.task_id and item.task.body_id != item.body_id:
        raise ValidationError({"task": _("The task belongs to another body.")})
    if item.priority not in Priority.values:
        raise ValidationError({"priority": _("Choose a priority from the list.")})
    _check_due(item)
    if item.due_date != old_due:
        reminders.replan(item)
    save_with_reason(item, "Edited")
    return item


@service
def start_action_item(item: ActionItem, *, by: User, note: str = "") -> ActionItem:
    if not rules.can_update_item(by, item):
        raise PermissionDenied
    note = _text("note", note, NOTE_MAX, label=_("note"))
    _lock(item)
    _require_status(item, [ActionItemStatus.OPEN], _("started"))
    item.status = ActionItemStatus.IN_PROGRESS
    item.started_at = timezone.now()
    save_with_reason(item, "Work started")
    _post(item, by=by, kind=UpdateKind.STATUS, status=item.status, text=note or _("Work has started."))
    reminders.announce_status(item, by=by)
    return item


@service
def complete_action_item(item: ActionItem, *, by: User, note: str) -> ActionItem:
    """Mark the item done; a completion note (what was delivered, where) is required."""
    if not rules.can_update_item(by, item):
        raise PermissionDenied
    note = _text("note", note, NOTE_MAX, label=_("completion note"), required=True)
    _lock(item)
    _require_status(item, [ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS], _("marked done"))
    item.status = ActionItemStatus.DONE
    item.completion_note = note
    item.closed_at = timezone.now()
    item.started_at = item.started_at or item.closed_at
    reminders.replan(item)
    save_with_reason(item, f"Done: {note[:200]}")
    _post(item, by=by, kind=UpdateKind.STATUS, status=item.status, text=note)
    reminders.announce_status(item, by=by)
    return item


@service
def drop_action_item(item: ActionItem, *, by: User, reason: str) -> ActionItem:
    """Drop the item; the reason is required and kept in the record."""
    if not rules.can_manage_item(by, item):
        raise PermissionDenied
    reason = _text("reason", reason, NOTE_MAX, label=_("reason"), required=True)
    _lock(item)
    _require_status(item, [ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS], _("dropped"))
    item.status = ActionItemStatus.DROPPED
    item.drop_reason = reason
    item.closed_at = timezone.now()
    reminders.replan(item)
    save_with_reason(item, f"Dropped: {reason[:200]}")
    _post(item, by=by, kind=UpdateKind.STATUS, status=item.status, text=reason)
    reminders.announce_status(item, by=by)
    return item


@service
def post_progress_update(item: ActionItem, *, by: User, text: str) -> ProgressUpdate:
    if not rules.can_update_item(by, item):
        raise PermissionDenied
    text = _text("text", text, TEXT_MAX, label=_("update"), required=True)
    _require_status(item, [ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS], _("updated"))
    return _post(item, by=by, kind=UpdateKind.NOTE, text=text)


@service
def reassign(
    item: ActionItem,
    *,
    by: User,
    owner_kind: str,
    owner_state: MemberState | None = None,
    assignees: Sequence[User] = (),
    note: str = "",
) -> ActionItem:
    """Give the item another owner (a state, named persons, the secretariat)."""
    if not rules.can_manage_item(by, item):
        raise PermissionDenied
    note = _text("note", note, NOTE_MAX, label=_("note"))
    _lock(item)
    _require_status(item, [ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS], _("reassigned"))
    assignees = list(assignees)
    owner_state = owner_state if owner_kind == OwnerKind.STATE else None
    _check_owner(item.body, owner_kind, owner_state, assignees)
    before = item.owner_label
    state_changed = owner_kind == OwnerKind.STATE and (
        item.owner_kind != OwnerKind.STATE or item.owner_state_id != owner_state.pk
    )
    item.owner_kind = owner_kind
    item.owner_state = owner_state
    save_with_reason(item, "Reassigned")
    added = _set_assignees(item, assignees, reason="Reassigned")
    text = _("Reassigned from %(before)s to %(after)s.") % {"before": before, "after": item.owner_label}
    _post(item, by=by, kind=UpdateKind.REASSIGNED, text=f"{text} {note}".strip())
    reminders.announce_assignment(item, people=added, state=owner_state if state_changed else None, by=by)
    return item


# --- Referrals --------------------------------------------------------------------------


@service
def refer_to_parent_body(
    *,
    by: User,
    purpose: str,
    action_item: ActionItem | None = None,
    task: Task | None = None,
    note: str = "",
) -> Referral:
    """Refer an item or a task to the parent body (WG-AI → ADGSOM → ADGMIN)."""
    if (action_item is None) == (task is None):
        raise TypeError("Refer either an action item or a task.")
    subject = action_item or task
    allowed = rules.can_manage_item(by, action_item) if action_item else rules.can_manage_task(by, task)
    if not allowed:
        raise PermissionDenied
    body = subject.body
    if body.parent_id is None:
        raise ValidationError(_("%(body)s has no parent body to refer to.") % {"body": body.code})
    if purpose not in ReferralPurpose.values:
        raise ValidationError({"purpose": _("Choose what the referral is for.")})
    note = _text("note", note, NOTE_MAX, label=_("note"))
    _lock(subject)
    pending = Referral.objects.pending().filter(to_body_id=body.parent_id)
    pending = pending.filter(action_item=action_item) if action_item else pending.filter(task=task)
    if pending.exists():
        raise ValidationError(_("This already waits for an answer from %(body)s.") % {"body": body.parent})
    if action_item is not None and action_item.status == ActionItemStatus.DROPPED:
        raise ValidationError(_("A dropped item cannot be referred."))
    referral = Referral(
        action_item=action_item,
        task=task,
        from_body=body,
        to_body=body.parent,
        purpose=purpose,
        note=note,
        referred_by=by,
    )
    save_with_reason(referral, f"Referred to {body.parent.code} {ReferralPurpose(purpose).label.lower()}")
    if action_item is not None:
        text = _("Referred to %(body)s %(purpose)s.") % {
            "body": body.parent.code,
            "purpose": ReferralPurpose(purpose).label.lower(),
        }
        _post(action_item, by=by, kind=UpdateKind.REFERRAL, text=f"{text} {note}".strip())
    reminders.announce_referral(referral)
    return referral


@service
def record_referral_outcome(referral: Referral, *, by: User, outcome: str, note: str = "") -> Referral:
    """The receiving body's answer: noted, endorsed, approved, or returned for further work."""
    if not rules.can_record_outcome(by, referral):
        raise PermissionDenied
    note = _text("outcome_note", note, NOTE_MAX, label=_("note"))
    _lock(referral)
    if referral.outcome != ReferralOutcome.PENDING:
        raise ValidationError(
            _("The outcome is already recorded: %(outcome)s.") % {"outcome": referral.get_outcome_display().lower()}
        )
    allowed = OUTCOMES_FOR[ReferralPurpose(referral.purpose)]
    if outcome not in allowed:
        raise ValidationError(
            {
                "outcome": _("A referral %(purpose)s can be answered: %(allowed)s.")
                % {
                    "purpose": referral.get_purpose_display().lower(),
                    "allowed": ", ".join(str(o.label).lower() for o in allowed),
                }
            }
        )
    if outcome == ReferralOutcome.RETURNED and not note:
        raise ValidationError({"outcome_note": _("Say why it is returned and what is expected.")})
    referral.outcome = outcome
    referral.outcome_note = note
    referral.decided_at = timezone.now()
    referral.decided_by = by
    save_with_reason(referral, f"{referral.to_body.code}: {referral.get_outcome_display()}")
    if referral.action_item_id:
        text = _("%(body)s: %(outcome)s.") % {"body": referral.to_body.code, "outcome": referral.get_outcome_display()}
        _post(referral.action_item, by=by, kind=UpdateKind.REFERRAL, text=f"{text} {note}".strip())
    reminders.announce_referral_outcome(referral)
    return referral


# --- Hand-over ---------------------------------------------------------------------------


def _successor(body_id: int, state_id: int | None, leaving: User) -> User | None:
    """The head of delegation of `state_id` in the body (not the person leaving), if any."""
    if state_id is None:
        return None
    head = (
        Membership.objects.current()
        .filter(body_id=body_id, member_state_id=state_id, role=Role.HEAD)
        .exclude(person=leaving)
        .select_related("person")
        .first()
    )
    return head.person if head else None


@service
def handover_open_items(person: User, *, by: User, reason: str, body: Body | None = None) -> list[ActionItem]:
    """Pass a leaving person's open items on: to its head of delegation, or the secretariat.

    1. Take the open items assigned to `person` (in `body` only, when given),
       skipping bodies where the person still holds another current term.
    2. Remove the person from each. If nobody named remains on an item owned by
       named persons, the head of delegation of the person's state in that body
       takes it over; without one, the secretariat does.
    3. Record the hand-over in the item's thread and history; the new owner hears of it.
    """
    items = ActionItem.objects.open().filter(assignments__person=person).select_related("body", "owner_state")
    if body is not None:
        items = items.filter(body=body)
    today = timezone.localdate()
    # Bodies where the person keeps a term beyond today (a new role, a longer term).
    staying = (
        set(
            Membership.objects.filter(person=person, start__lte=today)
            .filter(Q(end__isnull=True) | Q(end__gt=today))
            .values_list("body_id", flat=True)
        )
        if person.is_active
        else set()
    )
    done = []
    for item in items.select_for_update(of=("self",)).order_by("pk"):
        if item.body_id in staying:
            continue
        state_id = person.member_state_id
        membership_state = (
            Membership.objects.filter(person=person, body_id=item.body_id, member_state__isnull=False)
            .order_by("-start")
            .values_list("member_state_id", flat=True)
            .first()
        )
        state_id = membership_state or state_id
        remaining = [a.person for a in item.assignments.select_related("person") if a.person_id != person.pk]
        successor = _successor(item.body_id, state_id, person)
        new_people = list(remaining)
        if item.owner_kind == OwnerKind.PERSONS and not remaining:
            if successor is not None:
                new_people = [successor]
            else:
                item.owner_kind = OwnerKind.SECRETARIAT
        elif item.owner_kind == OwnerKind.STATE and successor is not None and item.owner_state_id == state_id:
            new_people = remaining or [successor]
        save_with_reason(item, f"Handed over: {reason}")
        added = _set_assignees(item, new_people, reason=f"Handed over: {reason}")
        after = ", ".join(str(p) for p in added) or (
            str(OwnerKind.SECRETARIAT.label) if item.owner_kind == OwnerKind.SECRETARIAT else item.owner_label
        )
        text = _("Handed over from %(person)s to %(after)s: %(reason)s.") % {
            "person": person,
            "after": after,
            "reason": reason,
        }
        save_with_reason(
            ProgressUpdate(action_item=item, kind=UpdateKind.HANDOVER, author=by, text=text), "Handed over"
        )
        reminders.announce_assignment(item, people=added, state=None, by=by)
        done.append(item)
    return done
