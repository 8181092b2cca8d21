"""allauth adapter: signup is by invitation only."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are created only from an invitation (secretariat.views.invitation_accept);
        # allauth's own signup page answers "closed" and creates nothing.
        return False
