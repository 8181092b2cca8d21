"""Seams for the apps above (the base layer announces, they react), and the
receivers that record sign-in and second-factor events.

`membership_ended` and `person_deactivated` are sent on commit by the services,
so a receiver sees committed rows.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver
from django.http import HttpRequest
from simple_history.signals import post_create_historical_record

# sender=Membership, membership=..., by=...: a person left a body.
membership_ended = Signal()
# sender=User, person=..., by=...: a person was deactivated.
person_deactivated = Signal()


def _record(kind: str, request: HttpRequest | None, user: Any = None, login: str = "") -> None:
    from allauth.account.adapter import get_adapter

    from .history import acting_as, save_with_reason
    from .models import SecurityEvent

    meta = request.META if request is not None else {}
    ip = None
    if request is not None:
        try:
            ip = get_adapter().get_client_ip(request)
        except Exception:  # an address we cannot determine is recorded as unknown
            ip = None
    event = SecurityEvent(
        kind=kind,
        user=user if user is not None and user.is_authenticated else None,
        login=(login or getattr(user, "email", "") or "")[:254],
        ip_address=ip,
        user_agent=meta.get("HTTP_USER_AGENT", "")[:300],
    )
    with acting_as(event.user):
        save_with_reason(event, event.get_kind_display())


@receiver(auth_signals.user_logged_in, dispatch_uid="security_signed_in")
def _signed_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    _record("signed_in", request, user)


@receiver(auth_signals.user_logged_out, dispatch_uid="security_signed_out")
def _signed_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        _record("signed_out", request, user)


@receiver(auth_signals.user_login_failed, dispatch_uid="security_sign_in_failed")
def _sign_in_failed(sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any) -> None:
    _record("sign_in_failed", request, login=str(credentials.get("email") or credentials.get("username") or ""))


@receiver(mfa_signals.authenticator_added, dispatch_uid="security_mfa_added")
def _mfa_added(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    _record("mfa_added", request, user)


@receiver(mfa_signals.authenticator_removed, dispatch_uid="security_mfa_removed")
def _mfa_removed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    _record("mfa_removed", request, user)


@receiver(mfa_signals.authenticator_reset, dispatch_uid="security_mfa_reset")
def _mfa_reset(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    _record("mfa_reset", request, user)


@receiver(mfa_signals.authentication_failed, dispatch_uid="security_mfa_failed")
def _mfa_failed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    _record("mfa_failed", request, user)


@receiver(post_create_historical_record, dispatch_uid="audit_seal")
def _seal_history_row(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    """Seal each historical row as it is written (the bulk helpers seal their own)."""
    from .audit_chain import seal_rows

    if type(history_instance)._meta.app_label in ("secretariat", "meetings", "workgroups"):
        seal_rows([history_instance])


@receiver(post_save, sender="secretariat.Notification", dispatch_uid="bell_count")
def forget_bell_count(sender: type, instance: Any, **kwargs: Any) -> None:
    """A notification was written: its recipient's cached bell count is stale."""
    from .context_processors import forget_bells

    forget_bells([instance.recipient_id])
