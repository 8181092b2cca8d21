"""Notification kinds of the base layer, registered with the delivery engine."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import delivery
from .models import Invitation, Notification
from .tokens import invitation_token


def _render_invitation(notification: Notification) -> delivery.EmailContent:
    invitation: Invitation = notification.subject
    link = reverse("invitation_accept", args=[invitation_token(invitation)])
    return delivery.render_email(
        "invitation",
        {"invitation": invitation, "accept_path": link},
        recipient=notification.recipient,
    )


delivery.register_kind(
    "invitation",
    label=_("Invitation to join a body"),
    render=_render_invitation,
    urgent=True,
    # What the e-mail reads of the invitation, fetched once for a sweep's batch.
    prefetch=("body", "member_state", "invited_by"),
)
