"""Every change to the network goes through a function here.

Each is one transaction (`@service`), takes the actor as `by=`, checks the
permission and the rules, writes with a change reason, and schedules side
effects (mail rows, session ends, signals) on commit.
"""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import delivery, rules
from .history import acting_as, save_with_reason, service
from .models import STATE_ROLES, Body, Invitation, Membership, MemberState, Role, User, new_nonce, validate_time_zone
from .signals import membership_ended, person_deactivated


def system_user() -> User:
    """The named user that tasks and commands act as in history."""
    user = User.objects.filter(email=settings.SYSTEM_USER_EMAIL).first()
    if user is None:
        with acting_as(None):
            user = User(email=settings.SYSTEM_USER_EMAIL, display_name="System", is_active=False)
            user.set_unusable_password()
            user.save()
    return user


# --- Memberships -------------------------------------------------------------

# Roles held by one person at a time in a body (per state for the head).
_SINGLE_HOLDER = {Role.CHAIR: _("chair"), Role.VICE_CHAIR: None, Role.HEAD: _("head of delegation")}


def _check_membership(membership: Membership) -> None:
    """Raise ValidationError unless the membership fits the body's other terms.

    The body row is locked first, so two officers adding a head of delegation for
    the same state at the same moment cannot both succeed.
    """
    membership.full_clean(exclude=["person", "body"], validate_constraints=False)
    Body.objects.select_for_update().filter(pk=membership.body_id).first()
    same_body = Membership.objects.filter(body_id=membership.body_id)
    if membership.role == Role.HEAD:
        clash = membership.overlapping(same_body.filter(role=Role.HEAD, member_state=membership.member_state_id))
        if clash:
            raise ValidationError(
                {
                    "role": _("%(state)s already has a head of delegation in %(body)s for this term: %(person)s.")
                    % {"state": membership.member_state, "body": membership.body, "person": clash[0].person}
                }
            )
    if membership.role == Role.CHAIR:
        clash = membership.overlapping(same_body.filter(role=Role.CHAIR))
        if clash:
            raise ValidationError(
                {
                    "role": _("%(body)s already has a chair for this term: %(person)s. End that term first.")
                    % {"body": membership.body, "person": clash[0].person}
                }
            )
    if membership.overlapping(same_body.filter(person_id=membership.person_id, role=membership.role)):
        raise ValidationError({"person": _("This person already holds this role in this body for that term.")})


@service
def add_membership(
    *,
    by: User,
    person: User,
    body: Body,
    role: str,
    member_state: MemberState | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Membership:
    if not (rules.can_manage_body(by, body) or rules.can_invite(by, body, member_state, role)):
        raise PermissionDenied
    membership = Membership(
        person=person,
        body=body,
        role=role,
        member_state=member_state if role in STATE_ROLES or member_state else None,
        start=start or timezone.localdate(),
        end=end,
    )
    _check_membership(membership)
    save_with_reason(membership, f"Added as {membership.get_role_display()} by {by}")
    return membership


@service
def update_membership(membership: Membership, *, by: User, **changes: object) -> Membership:
    if not rules.can_manage_body(by, membership.body):
        raise PermissionDenied
    for field, value in changes.items():
        setattr(membership, field, value)
    _check_membership(membership)
    save_with_reason(membership, "Term or role changed")
    return membership


@service
def end_membership(membership: Membership, *, by: User, end: dt.date | None = None, reason: str = "") -> Membership:
    """End a term (today by default). Open work passes on through `membership_ended`."""
    if not rules.can_end_membership(by, membership):
        raise PermissionDenied
    end = end or timezone.localdate()
    if end < membership.start:
        raise ValidationError(
            {"end": _("The term cannot end before it starts (%(start)s).") % {"start": membership.start}}
        )
    if membership.end is not None and membership.end <= end:
        raise ValidationError(_("This term has already ended."))
    membership.end = end
    save_with_reason(membership, reason or f"Term ended by {by}")
    transaction.on_commit(lambda: membership_ended.send(sender=Membership, membership=membership, by=by))
    return membership


# --- Invitations -----------------------------------------------------------


@service
def invite(
    *,
    by: User,
    email: str,
    body: Body,
    role: str,
    member_state: MemberState | None = None,
    display_name: str = "",
) -> Invitation:
    """Invite an address to a body; the e-mail is written as a row and sent by the sweep."""
    if not rules.can_invite(by, body, member_state, role):
        raise PermissionDenied
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {
                "email": _("%(email)s already has an account. Add the person to the body as a member instead.")
                % {"email": email}
            }
        )
    if role in STATE_ROLES and member_state is None:
        raise ValidationError(
            {"member_state": _("A head of delegation or delegate acts for a member state: choose one.")}
        )
    if role == Role.HEAD:
        probe = Membership(body=body, role=role, member_state=member_state, start=timezone.localdate())
        clash = probe.overlapping(Membership.objects.filter(body=body, role=Role.HEAD, member_state=member_state))
        if clash:
            raise ValidationError(
                {
                    "role": _("%(state)s already has a head of delegation in %(body)s: %(person)s.")
                    % {"state": member_state, "body": body, "person": clash[0].person}
                }
            )
    # A new invitation replaces any pending one for the same address and body.
    for old in Invitation.objects.pending().filter(body=body, email__iexact=email):
        old.revoked_at = timezone.now()
        save_with_reason(old, "Replaced by a new invitation")
        delivery.retire("invitation", old)
    invitation = Invitation(
        email=email,
        body=body,
        role=role,
        member_state=member_state,
        display_name=display_name,
        invited_by=by,
        expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    invitation.full_clean(exclude=["invited_by", "nonce"], validate_unique=False, validate_constraints=False)
    save_with_reason(invitation, f"Invited as {invitation.get_role_display()}")
    delivery.notify("invitation", invitation, address=email)
    return invitation


@service
def revoke_invitation(invitation: Invitation, *, by: User) -> Invitation:
    if invitation.invited_by_id != by.pk and not rules.can_manage_body(by, invitation.body):
        raise PermissionDenied
    if invitation.status != "pending":
        raise ValidationError(
            _("Only a pending invitation can be withdrawn; this one is %(status)s.") % {"status": invitation.status}
        )
    invitation.revoked_at = timezone.now()
    invitation.nonce = new_nonce()
    save_with_reason(invitation, "Withdrawn")
    delivery.retire("invitation", invitation)
    return invitation


@transaction.atomic
def accept_invitation(invitation: Invitation, *, display_name: str, password: str, time_zone: str = "") -> User:
    """Create the invitee's account from a valid invitation: single use.

    The invitation row is locked and re-checked, so a link clicked twice at once
    still makes one account.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != "pending":
        raise ValidationError(_("This invitation can no longer be used (%(status)s).") % {"status": invitation.status})
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(_("An account with this e-mail address already exists. Sign in instead."))
    if time_zone:
        validate_time_zone(time_zone)
    user = User(
        email=invitation.email,
        display_name=display_name.strip() or invitation.display_name or invitation.email,
        member_state=invitation.member_state,
        time_zone=time_zone,
    )
    user.full_clean(exclude=["password", "last_login"], validate_unique=False)
    validate_password(password, user)
    user.set_password(password)
    with acting_as(invitation.invited_by):
        save_with_reason(user, "Account created from an invitation")
    with acting_as(user):
        # The address received the link, so it is verified (allauth needs that for TOTP).
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        membership = Membership(
            person=user, body=invitation.body, role=invitation.role, member_state=invitation.member_state
        )
        _check_membership(membership)
        save_with_reason(membership, "Joined by invitation")
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        save_with_reason(invitation, "Accepted")
    return user


# --- People -------------------------------------------------------------------


@service
def update_profile(person: User, *, by: User, display_name: str, time_zone: str) -> User:
    if by.pk != person.pk:
        raise PermissionDenied
    person.display_name = display_name
    person.time_zone = time_zone
    person.full_clean(exclude=["password", "last_login"], validate_unique=False)
    save_with_reason(person, "Profile updated")
    return person


def _end_sessions(person: User) -> None:
    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session

    for user_session in UserSession.objects.filter(user=person):
        user_session.end()
    # Sessions opened before session tracking existed are found by their data.
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(person.pk):
            session.delete()


@service
def deactivate_person(person: User, *, by: User, reason: str) -> User:
    """Deactivate a person: memberships end today, sessions end at once."""
    if not rules.can_manage_people(by):
        raise PermissionDenied
    if person.pk == by.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    if not person.is_active:
        raise ValidationError(_("%(person)s is already deactivated.") % {"person": person})
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason; it is kept in the record.")})
    today = timezone.localdate()
    ended = []
    for membership in Membership.objects.filter(person=person).on(today):
        membership.end = max(today, membership.start)
        save_with_reason(membership, f"Person deactivated: {reason}")
        ended.append(membership)
    person.is_active = False
    save_with_reason(person, f"Deactivated: {reason}")

    def after() -> None:
        _end_sessions(person)
        for membership in ended:
            membership_ended.send(sender=Membership, membership=membership, by=by)
        person_deactivated.send(sender=User, person=person, by=by)

    transaction.on_commit(after)
    return person


@service
def update_notification_preferences(person: User, *, by: User, digest_mode: str, muted_kinds: list[str]) -> User:
    """Switch optional reminder kinds on or off and choose immediate or daily e-mail."""
    if by.pk != person.pk:
        raise PermissionDenied
    known = delivery.kinds()
    mandatory = sorted(k for k in muted_kinds if k in known and known[k].mandatory)
    if mandatory:
        raise ValidationError(_("These reminders cannot be switched off: %(kinds)s.") % {"kinds": ", ".join(mandatory)})
    person.digest_mode = digest_mode
    person.muted_kinds = sorted({k for k in muted_kinds if k in known})
    person.full_clean(exclude=["password", "last_login"], validate_unique=False)
    save_with_reason(person, "Notification preferences changed")
    return person


@service
def mark_notifications_read(person: User, *, by: User, ids: list[int] | None = None) -> int:
    """Mark in-app notifications read (these ids, or all of them)."""
    from .models import Notification

    if by.pk != person.pk:
        raise PermissionDenied
    rows = Notification.objects.inbox(person).filter(read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())
