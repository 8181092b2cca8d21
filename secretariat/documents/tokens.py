"""Signed one-click links in circulation e-mails: "acknowledge", "no objection", "confirm".

A token names one recipient row and a nonce, signed with a salt of its own
purpose, so a link for one action is worthless for another. The signature's age
makes it expire; the nonce, rotated when a link is used, makes it single use.
Opening a link changes nothing: the page asks the signed-in person to confirm,
and only that POST records the answer.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from secretariat.models import User

from . import rules
from .models import CirculationMode, CirculationRecipient

SALT = "secretariat.documents.link"
# Action → the procedure it belongs to.
ACTIONS = {
    "acknowledge": CirculationMode.INFORMATION,
    "no_objection": CirculationMode.SILENCE,
    "confirm": CirculationMode.AD_REFERENDUM,
}


class BadToken(Exception):
    """A link that is forged, expired, used, or not for this person; the message says which."""


def link_action(mode: str) -> str | None:
    return next((action for action, m in ACTIONS.items() if m == mode), None)


def make_token(row: CirculationRecipient, action: str) -> str:
    return signing.dumps({"r": row.pk, "n": row.link_nonce}, salt=f"{SALT}.{action}", compress=True)


def row_from_token(action: str, token: str, user: User) -> CirculationRecipient:
    """The recipient row a link stands for, checked for `user`, or BadToken with the reason."""
    if action not in ACTIONS:
        raise BadToken(_("This link is not valid. Check that you copied all of it."))
    max_age = settings.CIRCULATION_LINK_VALID_DAYS * 24 * 3600
    try:
        data = signing.loads(token, salt=f"{SALT}.{action}", max_age=max_age)
    except signing.SignatureExpired as exc:
        raise BadToken(_("This link has expired. Open the circulation from the document's page instead.")) from exc
    except signing.BadSignature as exc:
        raise BadToken(_("This link is not valid. Check that you copied all of it.")) from exc
    row = (
        CirculationRecipient.objects.filter(pk=data.get("r"))
        .select_related("circulation", "circulation__version", "circulation__version__document", "member_state")
        .first()
    )
    if row is None or row.person_id != user.pk or not rules.can_see_document(user, row.circulation.version.document):
        raise BadToken(
            _("This link was sent to someone else. Sign in with the address it was sent to, or open the document.")
        )
    if row.link_nonce != data.get("n"):
        raise BadToken(_("This link has already been used. Open the circulation to see or change the answer."))
    circulation = row.circulation
    if ACTIONS[action] != circulation.mode:
        raise BadToken(_("This link is not valid. Check that you copied all of it."))
    if not circulation.accepts_answers:
        raise BadToken(
            _("This circulation is closed (%(status)s); the link can no longer be used.")
            % {"status": circulation.get_status_display().lower()}
        )
    if action != "acknowledge" and row.member_state_id not in rules.answer_state_ids(user, circulation):
        raise BadToken(_("You no longer act for this delegation, so the link cannot answer for it."))
    return row
