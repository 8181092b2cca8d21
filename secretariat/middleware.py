"""Request middleware of the base layer."""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

Handler = Callable[[HttpRequest], HttpResponse]


class UserTimezoneMiddleware:
    """Render every page in the viewer's own zone."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone_name = user.zone_name if user is not None and user.is_authenticated else settings.DEFAULT_USER_TIME_ZONE
        with timezone.override(zoneinfo.ZoneInfo(zone_name)):
            return self.get_response(request)


# Where a person who must set up a second factor may still go.
MFA_SETUP_ALLOWED = ("/accounts/", "/static/", "/health/", "/privacy/", "/accessibility/")


class RequireSecondFactorMiddleware:
    """Outside demo mode, secretariat officers and chairs must use a second factor.

    Until they have one, every page sends them to the TOTP setup. The verdict is
    kept in the session for a few minutes, so a page does not pay for the check
    on every request; a person who becomes a chair is caught within that time.
    """

    RECHECK_SECONDS = 300

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if settings.DEMO or not user.is_authenticated or request.path.startswith(MFA_SETUP_ALLOWED):
            return self.get_response(request)
        checked = request.session.get("second_factor_checked_at", 0)
        if time.time() - checked > self.RECHECK_SECONDS:
            if (
                user.requires_second_factor
                and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
            ):
                return redirect("mfa_activate_totp")
            request.session["second_factor_checked_at"] = int(time.time())
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy on every response.

    Scripts only from our own origin: no inline script, no eval (htmx runs with
    `allowEval: false`, set in its meta config).
    """

    POLICY = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
        ]
    )

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, except for the API.

    API clients get DRF's 401/403 with a reason instead of a redirect to an HTML
    sign-in page; DRF's own IsAuthenticated default guards every endpoint.
    """

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: list, view_kwargs: dict
    ) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
