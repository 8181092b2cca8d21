"""Pages of the base layer: health, profile, invitation links, trust pages."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections.abc import Iterator

from allauth.account.utils import perform_login
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import audit, delivery, reminder_policy, services
from .context_processors import forget_unread_count
from .forms import AuditFilterForm, InvitationAcceptForm, NotificationPreferencesForm, ProfileForm
from .models import Message, MessageStatus, Notification, NotificationStatus, User
from .pagecache import cached_page
from .tokens import BadToken, invitation_from_token, unsubscribe_from_token


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


# --- Audit --------------------------------------------------------------------


def _audit_filter(request: HttpRequest) -> tuple[AuditFilterForm, audit.LogFilter]:
    """The filter form from the query string, and the filter it stands for.

    Dates are days in the viewer's zone: "until 3 May" includes all of 3 May there.
    """
    if not _may_read_the_audit_log(request):
        raise Http404
    form = AuditFilterForm(request.GET or None, models=audit.historical_models())
    flt = audit.LogFilter()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        zone = timezone.get_current_timezone()
        flt = audit.LogFilter(
            user=data["user"].pk if data["user"] else None,
            model=data["model"],
            object_id=data["object_id"],
            since=dt.datetime.combine(data["since"], dt.time.min, zone) if data["since"] else None,
            until=dt.datetime.combine(data["until"] + dt.timedelta(days=1), dt.time.min, zone)
            if data["until"]
            else None,
            kind=data["kind"],
        )
    return form, flt


def _may_read_the_audit_log(request: HttpRequest) -> bool:
    """The audit log's access rule (as `_audit_filter`), asked again when the page comes from the cache."""
    return request.user.is_secretariat


@login_required
@require_GET
@cached_page(access=_may_read_the_audit_log)
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every change of every tracked record, filterable, for the secretariat."""
    form, flt = _audit_filter(request)
    page = Paginator(audit.log_queryset(flt), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "secretariat/audit_log.html",
        {"form": form, "page": page, "rows": audit.log_rows(page.object_list), "query": query.urlencode()},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered log as CSV, streamed in chunks so a large export stays small in memory."""
    _form, flt = _audit_filter(request)
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(["when (UTC)", "record", "record id", "change", "reason", "by", "by e-mail"])
        values = audit.log_queryset(flt).iterator(chunk_size=2000)
        while chunk := list(itertools.islice(values, 2000)):
            for row in audit.log_rows(chunk):
                yield writer.writerow(
                    [
                        row.when.astimezone(dt.UTC).isoformat(),
                        row.model,
                        row.object_id,
                        row.kind,
                        row.reason,
                        str(row.user or ""),
                        getattr(row.user, "email", ""),
                    ]
                )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


@login_required
@require_GET
def audit_object(request: HttpRequest, label: str, pk: int) -> HttpResponse:
    """The full history of one record, field by field, for the secretariat."""
    if not request.user.is_secretariat:
        raise Http404
    history_model = audit.historical_models().get(label)
    if history_model is None:
        raise Http404
    records = history_model.objects.filter(id=pk).select_related("history_user").order_by("-history_date")[:500]
    if not records:
        raise Http404
    return render(
        request,
        "secretariat/audit_object.html",
        {
            "label": label,
            "verbose": history_model.instance_type._meta.verbose_name,
            "pk": pk,
            "entries": audit.entries(records),
        },
    )


# --- Deliveries -------------------------------------------------------------------


@login_required
@require_GET
def deliveries(request: HttpRequest) -> HttpResponse:
    """Operations: every e-mail the app sends, its state, attempts and last error."""
    if not request.user.is_secretariat:
        raise Http404
    status = request.GET.get("status", "")
    counts = dict(Message.objects.values_list("status").annotate(n=Count("pk")).order_by())
    rows = Message.objects.select_related("recipient").order_by("-created_at")
    if status in MessageStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    pending = Notification.objects.filter(status=NotificationStatus.PENDING).count()
    return render(
        request,
        "secretariat/deliveries.html",
        {"page": page, "counts": counts, "status": status, "statuses": MessageStatus.choices, "pending": pending},
    )


@login_required
@require_POST
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_secretariat:
        raise Http404
    message = Message.objects.filter(pk=pk).first()
    if message is None:
        raise Http404
    if delivery.requeue_failed([message]):
        messages.success(request, _("The message to %(address)s is queued again.") % {"address": message.address})
    else:
        messages.error(
            request,
            _("Only a failed message can be sent again; this one is %(status)s.")
            % {"status": message.get_status_display()},
        )
    return redirect("deliveries")


# --- Notifications -------------------------------------------------------------------


@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """Each optional kind on or off, and immediate or daily e-mail; mandatory kinds say why."""
    kinds = sorted(delivery.kinds().values(), key=lambda k: str(k.label))
    optional = [(k.name, k.label) for k in kinds if not k.mandatory]
    initial = {
        "digest_mode": request.user.digest_mode,
        "enabled": [name for name, _label in optional if name not in request.user.muted_kinds],
    }
    form = NotificationPreferencesForm(request.POST or None, initial=initial, optional=optional)
    if request.method == "POST" and form.is_valid():
        enabled = set(form.cleaned_data["enabled"])
        services.update_notification_preferences(
            request.user,
            by=request.user,
            digest_mode=form.cleaned_data["digest_mode"],
            muted_kinds=[name for name, _label in optional if name not in enabled],
        )
        messages.success(request, _("Your notification preferences were saved."))
        return redirect("notification_preferences")
    mandatory = [k for k in kinds if k.mandatory]
    by_name = {kind.name: kind for kind in kinds}
    schedule = [(by_name[name], when) for name, when in reminder_policy.schedule().items() if name in by_name]
    return render(
        request,
        "secretariat/notification_preferences.html",
        {"form": form, "mandatory": mandatory, "schedule": schedule},
    )


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The in-app notifications: what the app has told this person, newest first."""
    rows = Notification.objects.inbox(request.user).prefetch_related("subject").order_by("-due_at", "-pk")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    kinds = delivery.kinds()
    items = [
        {
            "row": row,
            "label": kinds[row.kind].label if row.kind in kinds else row.kind,
            "subject": row.subject,
            "url": getattr(row.subject, "get_absolute_url", lambda: "")() if row.subject is not None else "",
        }
        for row in page.object_list
    ]
    return render(request, "secretariat/notifications.html", {"page": page, "items": items})


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read (`id`) or all of them; then go where it points, if asked."""
    ids = [int(request.POST["id"])] if request.POST.get("id", "").isdigit() else None
    services.mark_notifications_read(request.user, by=request.user, ids=ids)
    forget_unread_count(request.user.pk)  # marking read is a bulk UPDATE: no signal clears the bell
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("notifications")


@login_not_required
@never_cache
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """A signed link from an optional e-mail: GET asks, only the POST switches the kind off."""
    try:
        user_id, kind_name = unsubscribe_from_token(token)
    except BadToken as exc:
        return render(request, "secretariat/unsubscribe.html", {"error": str(exc)}, status=400)
    person = User.objects.filter(pk=user_id, is_active=True).first()
    kind = delivery.kinds().get(kind_name)
    if person is None or kind is None or kind.mandatory:
        return render(
            request, "secretariat/unsubscribe.html", {"error": _("This link is not valid any more.")}, status=400
        )
    done = kind.name in person.muted_kinds
    if request.method == "POST" and not done:
        services.update_notification_preferences(
            person, by=person, digest_mode=person.digest_mode, muted_kinds=[*person.muted_kinds, kind.name]
        )
        done = True
    return render(request, "secretariat/unsubscribe.html", {"kind": kind, "done": done, "person": person})
