"""Access rules of the base layer, in one place.

Querysets answer "what may this user see"; predicates answer "may this user do
this to that". Pages, API, downloads and e-mail links all ask here. Fetch helpers
answer 404 for what the user may not see (its existence does not leak) and
PermissionDenied for what it may see but not change.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from .models import Body, Invitation, Membership, MemberState, Role, User


def visible_bodies(user: User) -> QuerySet[Body]:
    """Secretariat: every body. Everyone else: the bodies they currently sit in."""
    if not user.is_authenticated:
        return Body.objects.none()
    if user.is_secretariat:
        return Body.objects.all()
    return Body.objects.filter(pk__in=Membership.objects.current().filter(person=user).values("body_id"))


def head_of_delegation_states(user: User, body: Body) -> set[int]:
    """Member states for which `user` currently heads the delegation in `body`."""
    return set(
        Membership.objects.current()
        .filter(person=user, body=body, role=Role.HEAD)
        .values_list("member_state_id", flat=True)
    )


def can_manage_body(user: User, body: Body | None = None) -> bool:
    return user.is_authenticated and user.is_secretariat


def can_invite(user: User, body: Body, member_state: MemberState | None = None, role: str | None = None) -> bool:
    """Secretariat: anyone, any role. A head of delegation: delegates of its own state."""
    if can_manage_body(user, body):
        return True
    states = head_of_delegation_states(user, body)
    if member_state is None and role is None:
        return bool(states)
    return role == Role.DELEGATE and member_state is not None and member_state.pk in states


def can_end_membership(user: User, membership: Membership) -> bool:
    if can_manage_body(user, membership.body):
        return True
    return (
        membership.role == Role.DELEGATE
        and membership.person_id != user.pk
        and membership.member_state_id in head_of_delegation_states(user, membership.body)
    )


def can_manage_people(user: User) -> bool:
    return user.is_authenticated and user.is_secretariat


def get_body_for_user(user: User, pk: int, *, write: bool = False) -> Body:
    body = visible_bodies(user).filter(pk=pk).select_related("parent").first()
    if body is None:
        raise Http404("No such body.")
    if write and not can_manage_body(user, body):
        raise PermissionDenied
    return body


def get_membership_for_user(user: User, pk: int, *, write: bool = False) -> Membership:
    membership = (
        Membership.objects.filter(pk=pk, body__in=visible_bodies(user))
        .select_related("person", "body", "member_state")
        .first()
    )
    if membership is None:
        raise Http404("No such membership.")
    if write and not can_end_membership(user, membership):
        raise PermissionDenied
    return membership


def visible_invitations(user: User) -> QuerySet[Invitation]:
    if not user.is_authenticated:
        return Invitation.objects.none()
    if user.is_secretariat:
        return Invitation.objects.all()
    return Invitation.objects.filter(invited_by=user)


def get_person_for_user(user: User, pk: int) -> User:
    if not can_manage_people(user):
        raise Http404("No such person.")
    person = User.objects.filter(pk=pk).select_related("member_state").first()
    if person is None:
        raise Http404("No such person.")
    return person
