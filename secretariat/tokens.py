"""Signed tokens for links sent by e-mail.

A token names its purpose (the salt) and an object; the object's own state makes
it single use (an accepted invitation refuses its link) and the signature's age
makes it expire.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from .models import Invitation

INVITATION_SALT = "secretariat.invitation"


class BadToken(Exception):
    """A link that is forged, expired or already used; the message says which."""


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT, compress=True)


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation a link stands for, or BadToken with the reason."""
    max_age = settings.INVITATION_VALID_DAYS * 24 * 3600
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise BadToken("This invitation link has expired. Ask the secretariat for a new one.") from exc
    except signing.BadSignature as exc:
        raise BadToken("This invitation link is not valid. Check that you copied all of it.") from exc
    invitation = (
        Invitation.objects.filter(pk=data.get("i"), nonce=data.get("n"))
        .select_related("body", "member_state", "invited_by")
        .first()
    )
    if invitation is None:
        raise BadToken("This invitation link is not valid. Ask the secretariat for a new one.")
    status = invitation.status
    if status == "accepted":
        raise BadToken("This invitation has already been used. Sign in with your e-mail address and password.")
    if status == "revoked":
        raise BadToken("This invitation was withdrawn by the secretariat.")
    if status == "expired":
        raise BadToken("This invitation link has expired. Ask the secretariat for a new one.")
    return invitation


UNSUBSCRIBE_SALT = "secretariat.unsubscribe"
UNSUBSCRIBE_DAYS = 180


def unsubscribe_token(user: object, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_from_token(token: str) -> tuple[int, str]:
    """The (user id, kind) a link stands for, or BadToken with the reason."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_DAYS * 24 * 3600)
    except signing.SignatureExpired as exc:
        raise BadToken("This link has expired. Change your reminders from your preferences page.") from exc
    except signing.BadSignature as exc:
        raise BadToken("This link is not valid. Check that you copied all of it.") from exc
    return int(data["u"]), str(data["k"])
