"""Authentication backends that load the signed-in person with what every page reads.

Every request loads its user from the session. Django's backends fetch the bare
row; each page then reads the member state (the viewer's time zone) and asks
whether the person is in the secretariat group. These fetch all three in the
one query (issue 8: the per-request overhead).
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import backends
from django.db.models import Exists, OuterRef

from .models import SECRETARIAT_GROUP, User


def _session_user(user_id: object) -> User | None:
    in_group = User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=SECRETARIAT_GROUP)
    user = User.objects.select_related("member_state").annotate(in_secretariat=Exists(in_group)).filter(pk=user_id)
    user = user.first()
    if user is not None:
        # The same answer as User.is_secretariat, without its own query.
        user.is_secretariat = user.is_active and (user.is_superuser or user.in_secretariat)
    return user


class _SessionUser:
    """get_user through _session_user, for either backend a session may name."""

    def get_user(self, user_id: object) -> User | None:
        user = _session_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_SessionUser, backends.ModelBackend):
    pass


class AuthenticationBackend(_SessionUser, AllauthBackend):
    pass
