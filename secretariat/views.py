"""Pages of the base layer: health, profile, invitation links, trust pages."""

from __future__ import annotations

from allauth.account.utils import perform_login
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import services
from .forms import InvitationAcceptForm, ProfileForm
from .tokens import BadToken, invitation_from_token


@login_not_required
@require_GET
@never_cache
def health(request: HttpRequest) -> HttpResponse:
    """200 with a tiny body while the app and its database answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.update_profile(
            request.user,
            by=request.user,
            display_name=form.cleaned_data["display_name"],
            time_zone=form.cleaned_data["time_zone"],
        )
        messages.success(request, _("Your profile was saved."))
        return redirect("profile")
    memberships = request.user.current_memberships().select_related("body", "member_state")
    return render(request, "secretariat/profile.html", {"form": form, "memberships": memberships})


@login_not_required
@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Set a password from an invitation link (single use, expiring)."""
    if request.user.is_authenticated:
        messages.info(request, _("You are signed in already. Sign out to use an invitation for another address."))
        return redirect("workgroups:home")
    try:
        invitation = invitation_from_token(token)
    except BadToken as exc:
        return render(request, "secretariat/invitation_invalid.html", {"reason": str(exc)}, status=400)
    state = invitation.member_state
    form = InvitationAcceptForm(
        request.POST or None,
        initial={"display_name": invitation.display_name},
        default_zone_label=state.zone_label if state else "",
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(
                invitation,
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password1"],
                time_zone=form.cleaned_data["time_zone"],
            )
        except ValidationError as exc:
            form.add_error("password1" if _is_password_error(exc) else None, exc)
        else:
            messages.success(request, _("Welcome. Your account is ready."))
            return perform_login(request, user, email_verification="none", redirect_url="/")
    return render(request, "secretariat/invitation_accept.html", {"invitation": invitation, "form": form})


def _is_password_error(exc: ValidationError) -> bool:
    return any((e.code or "").startswith("password") for e in getattr(exc, "error_list", []))


@login_not_required
@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "secretariat/privacy.html")


@login_not_required
@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "secretariat/accessibility.html")
