"""Files of a meeting: .ics, the personal calendar feed, the List of Participants, PDFs.

Each goes through the same rules as the pages: what a user may not see answers 404.
The feed is the one page without a session: its secret token stands for the user.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import ics, markup, pdf, rules, services
from .models import CalendarFeed, Meeting, MeetingStatus, Participant, ParticipantRole, Rsvp

# The feed lists meetings from this far back, and every meeting to come.
FEED_PAST_DAYS = 180


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk)
    return _download(ics.download(meeting), ics.filename(meeting), ics.CONTENT_TYPE)


# --- Personal calendar feed ------------------------------------------------------


def feed_url(feed: CalendarFeed) -> str:
    return settings.SITE_URL + reverse("meetings:feed", args=[feed.token])


@login_required
def calendar_settings(request: HttpRequest) -> HttpResponse:
    feed = CalendarFeed.objects.filter(user=request.user, revoked_at__isnull=True).first()
    return render(request, "meetings/calendar.html", {"feed": feed, "url": feed_url(feed) if feed else ""})


@login_required
@require_POST
def calendar_enable(request: HttpRequest) -> HttpResponse:
    if request.POST.get("replace"):
        services.revoke_calendar_feed(by=request.user)
    services.enable_calendar_feed(by=request.user)
    messages.success(request, _("Your calendar address is ready. Keep it to yourself: it shows your meetings."))
    return redirect("meetings:calendar")


@login_required
@require_POST
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    services.revoke_calendar_feed(by=request.user)
    messages.success(request, _("The calendar address is revoked; calendars using it stop updating."))
    return redirect("meetings:calendar")


@login_not_required
@require_GET
@never_cache
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's meetings as an iCalendar feed; the token is the only credential."""
    record = CalendarFeed.objects.filter(token=token, revoked_at__isnull=True).select_related("user").first()
    if record is None or not record.user.is_active:
        raise Http404
    since = timezone.now() - dt.timedelta(days=FEED_PAST_DAYS)
    meetings = (
        rules.visible_meetings(record.user)
        .exclude(status=MeetingStatus.DRAFT)
        .filter(end__gte=since)
        .select_related("body")
        .order_by("start")
    )
    content = ics.feed(meetings, name=_("ASEAN AI Safe meetings"))
    response = HttpResponse(content, content_type=ics.CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="meetings.ics"'
    return response


# --- List of Participants ------------------------------------------------------------


def participants_context(meeting: Meeting) -> dict:
    """Delegations by state name, head of delegation first; then guests.

    Before attendance is recorded the list shows who registered; after, who attended.
    """
    delegations = list(meeting.delegations.select_related("member_state"))
    people = list(meeting.participants.select_related("person", "person__member_state"))
    recorded = any(d.attended is not None for d in delegations)

    def listed(p: Participant) -> bool:
        return p.attended is True if recorded else p.rsvp == Rsvp.ATTENDING

    by_delegation: dict[int, list[Participant]] = defaultdict(list)
    for person in people:
        if person.delegation_id and listed(person):
            by_delegation[person.delegation_id].append(person)
    order = {ParticipantRole.HEAD: 0, ParticipantRole.DELEGATE: 1}
    rows = [(d, sorted(by_delegation[d.pk], key=lambda p: (order.get(p.role, 2), p.display_name))) for d in delegations]
    return {
        "meeting": meeting,
        "chair": meeting.chair,
        "rows": rows,
        "guests": [p for p in people if p.delegation_id is None and listed(p)],
        "recorded": recorded,
        "generated_at": timezone.now(),
    }


@login_required
@require_GET
def participants(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk)
    return render(request, "meetings/participants.html", participants_context(meeting))


@login_required
@require_GET
def participants_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk)
    with timezone.override(meeting.zone):
        content = pdf.render_pdf("meetings/pdf/participants.html", participants_context(meeting))
    name = f"{meeting.body.code}-{meeting.number}-list-of-participants.pdf".lower()
    return _download(content, name, "application/pdf")


@login_required
@require_GET
def minutes_pdf(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Approved minutes only, carrying the approval stamp, date, chair and SHA-256."""
    meeting = rules.get_meeting_for_user(request.user, pk)
    record = rules.get_minutes(meeting)
    version = rules.get_version_for_user(request.user, record, number)
    if not version.is_approved:
        raise Http404("Only approved minutes have a PDF.")
    with timezone.override(meeting.zone):
        content = pdf.render_pdf(
            "meetings/pdf/minutes.html",
            {"meeting": meeting, "version": version, "paragraphs": markup.paragraphs(version.text)},
        )
    name = f"{meeting.body.code}-{meeting.number}-minutes-rev{version.number}.pdf".lower()
    return _download(content, name, "application/pdf")
