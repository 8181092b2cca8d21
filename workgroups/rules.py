"""Access rules of the work plan and action items, in one place.

- The secretariat sees and changes everything.
- The chair of a body: any item and task of the body (create, edit, reassign,
  drop, refer), and the outcome of what is referred to the body.
- Members of a body (vice-chair, rapporteur, heads of delegation, delegates)
  read the body's items and tasks; a head or delegate updates (starts, reports
  progress, completes) the items owned by its own member state's delegation;
  anyone updates the items assigned to them by name. Nothing of another state's.
- Observers read only what is shared with observers, or assigned to them.
- Members of a body also read what is referred to it by the body below.

Pages, API, CSV export, the meeting page and e-mails go through these. What a
user may not see answers 404; what it may see but not change, 403.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from secretariat.models import Body, Membership, Role, User

from .models import ActionItem, Assignment, OwnerKind, Referral, Task

# Roles that read all of a body's work (observers read what is shared with them).
MEMBER_ROLES = (Role.CHAIR, Role.VICE_CHAIR, Role.HEAD, Role.DELEGATE, Role.RAPPORTEUR)
# Roles that act for a member state's delegation.
DELEGATION_ROLES = (Role.HEAD, Role.DELEGATE)


def _roles(user: User) -> list[tuple[int, str, int | None]]:
    """(body, role, member state) of the user's current terms; one query, kept on the user object."""
    cached = getattr(user, "_workgroups_roles", None)
    if cached is None:
        cached = list(
            Membership.objects.current().filter(person=user).values_list("body_id", "role", "member_state_id")
        )
        user._workgroups_roles = cached
    return cached


def remember_roles(user: User, memberships: Iterable[Membership]) -> None:
    """Keep the roles of current memberships a page has fetched anyway, so _roles does not query them again."""
    user._workgroups_roles = [(m.body_id, m.role, m.member_state_id) for m in memberships]


def delegation_bodies(user: User) -> list[tuple[int, int]]:
    """(body, member state) pairs where the user acts for a delegation."""
    if not user.is_authenticated:
        return []
    return [(body, state) for body, role, state in _roles(user) if role in DELEGATION_ROLES and state]


def is_chair(user: User, body_id: int) -> bool:
    return user.is_authenticated and any(b == body_id and r == Role.CHAIR for b, r, _s in _roles(user))


def _member_bodies(user: User) -> QuerySet[Membership]:
    return Membership.objects.current().filter(person=user, role__in=MEMBER_ROLES).values("body_id")


def _observer_bodies(user: User) -> QuerySet[Membership]:
    return Membership.objects.current().filter(person=user, role=Role.OBSERVER).values("body_id")


# --- Querysets -----------------------------------------------------------------------


def visible_action_items(user: User) -> QuerySet[ActionItem]:
    if not user.is_authenticated:
        return ActionItem.objects.none()
    if user.is_secretariat:
        return ActionItem.objects.all()
    members = _member_bodies(user)
    referred = Referral.objects.filter(to_body__in=members, action_item__isnull=False).values("action_item_id")
    assigned = Assignment.objects.filter(person=user).values("action_item_id")
    return ActionItem.objects.filter(
        Q(body__in=members)
        | Q(body__in=_observer_bodies(user), shared_with_observers=True)
        | Q(pk__in=assigned)
        | Q(pk__in=referred)
    )


def visible_tasks(user: User) -> QuerySet[Task]:
    if not user.is_authenticated:
        return Task.objects.none()
    if user.is_secretariat:
        return Task.objects.all()
    members = _member_bodies(user)
    referred = Referral.objects.filter(to_body__in=members, task__isnull=False).values("task_id")
    return Task.objects.filter(
        Q(body__in=members) | Q(body__in=_observer_bodies(user), shared_with_observers=True) | Q(pk__in=referred)
    )


def visible_referrals(user: User) -> QuerySet[Referral]:
    """Referrals of items or tasks the user may see (both sides of the pipeline)."""
    if not user.is_authenticated:
        return Referral.objects.none()
    if user.is_secretariat:
        return Referral.objects.all()
    return Referral.objects.filter(Q(action_item__in=visible_action_items(user)) | Q(task__in=visible_tasks(user)))


# --- Predicates ----------------------------------------------------------------------


def can_create_in(user: User, body: Body | None = None) -> bool:
    """Create items and tasks: the secretariat anywhere, a chair in its body (any body if None)."""
    if not user.is_authenticated:
        return False
    if user.is_secretariat:
        return True
    if body is None:
        return any(r == Role.CHAIR for _b, r, _s in _roles(user))
    return is_chair(user, body.pk)


def creatable_bodies(user: User) -> QuerySet[Body]:
    if not user.is_authenticated:
        return Body.objects.none()
    if user.is_secretariat:
        return Body.objects.filter(is_active=True)
    return Body.objects.filter(pk__in=[b for b, r, _s in _roles(user) if r == Role.CHAIR], is_active=True)


def can_manage_item(user: User, item: ActionItem) -> bool:
    """Edit, reassign, drop, refer: the secretariat and the chair of the item's body."""
    return user.is_authenticated and (user.is_secretariat or is_chair(user, item.body_id))


def _assigned(user: User, item: ActionItem) -> bool:
    cache = getattr(item, "_prefetched_objects_cache", {})
    if "assignments" in cache:
        return any(a.person_id == user.pk for a in item.assignments.all())
    return item.assignments.filter(person=user).exists()


def acts_for_owner(user: User, item: ActionItem) -> bool:
    """The user sits in the item's body for the member state that owns it."""
    return item.owner_kind == OwnerKind.STATE and (item.body_id, item.owner_state_id) in delegation_bodies(user)


def can_update_item(user: User, item: ActionItem) -> bool:
    """Start, report progress, complete: managers, the owner state's delegation, the persons assigned."""
    if not user.is_authenticated:
        return False
    return can_manage_item(user, item) or acts_for_owner(user, item) or _assigned(user, item)


def can_manage_task(user: User, task: Task) -> bool:
    return user.is_authenticated and (user.is_secretariat or is_chair(user, task.body_id))


def can_record_outcome(user: User, referral: Referral) -> bool:
    """The receiving body answers: its chair, or the secretariat on its behalf."""
    return user.is_authenticated and (user.is_secretariat or is_chair(user, referral.to_body_id))


def acting_state(user: User, item: ActionItem) -> int | None:
    """The member state the user speaks for on this item (for the thread), if any."""
    if acts_for_owner(user, item):
        return item.owner_state_id
    states = [s for b, s in delegation_bodies(user) if b == item.body_id]
    return states[0] if len(states) == 1 else (user.member_state_id if user.is_authenticated else None)


# --- Fetch helpers -------------------------------------------------------------------


def get_action_item_for_user(user: User, pk: int, *, write: bool = False, manage: bool = False) -> ActionItem:
    """The item, or 404 if the user may not see it; 403 if it may see but not update (write) or manage."""
    item = (
        visible_action_items(user)
        .filter(pk=pk)
        .select_related("body", "body__parent", "owner_state", "task", "meeting", "agenda_item", "decision")
        .prefetch_related("assignments__person")
        .first()
    )
    if item is None:
        raise Http404("No such action item.")
    if manage and not can_manage_item(user, item):
        raise PermissionDenied
    if write and not can_update_item(user, item):
        raise PermissionDenied
    return item


def get_task_for_user(user: User, pk: int, *, write: bool = False) -> Task:
    task = visible_tasks(user).filter(pk=pk).select_related("body", "body__parent", "created_by").first()
    if task is None:
        raise Http404("No such task.")
    if write and not can_manage_task(user, task):
        raise PermissionDenied
    return task


def get_referral_for_user(user: User, pk: int, *, write: bool = False) -> Referral:
    referral = (
        visible_referrals(user)
        .filter(pk=pk)
        .select_related("action_item", "task", "from_body", "to_body", "referred_by")
        .first()
    )
    if referral is None:
        raise Http404("No such referral.")
    if write and not can_record_outcome(user, referral):
        raise PermissionDenied
    return referral
