"""Pages of meetings: list, page, forms for the secretariat, RSVP, attendance, agenda, decisions.

Every view fetches through `rules` (404 for what the user may not see, 403 for
what it may see but not change) and acts through `services`. Minutes pages live
in `minutes_views`, calendar files and PDFs in `export_views`.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from secretariat import audit
from secretariat.models import Body, Membership, Role, User
from secretariat.pagecache import cached_page

from . import document_views, rules, services
from .forms import (
    AgendaItemForm,
    DecisionForm,
    DecisionSearchForm,
    FilterForm,
    GuestForm,
    MeetingForm,
    PostponeForm,
    ReasonForm,
    RsvpForm,
)
from .models import (
    AgendaItem,
    Decision,
    Delegation,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesComment,
    MinutesVersion,
    Participant,
    ParticipantRole,
    numbered_agenda,
)

PAGE_SIZE = 25


def _apply_errors(form: Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _refuse(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _warn_out_of_hours(request: HttpRequest, meeting: Meeting) -> None:
    """Warn, without blocking, when the slot leaves 08:00 to 18:00 for an invited delegation."""
    states = [d.member_state for d in meeting.delegations.select_related("member_state")]
    late = [t for t in meeting.local_times(states) if t.out_of_hours]
    if late:
        names = "; ".join(f"{t.state.name} ({t.start:%H:%M}–{t.end:%H:%M}, {t.label})" for t in late)
        messages.warning(request, _("The slot falls outside 08:00–18:00 local time for: %(names)s.") % {"names": names})


# --- List and page -------------------------------------------------------------


@login_required
@cached_page
def meeting_list(request: HttpRequest) -> HttpResponse:
    visible = rules.visible_meetings(request.user)
    when = request.GET.get("when", "upcoming")
    form = FilterForm(
        request.GET or None,
        bodies=Body.objects.filter(pk__in=visible.values("body_id")),
        years=sorted({d.year for d in visible.dates("start", "year")}, reverse=True),
        statuses=MeetingStatus.choices,
    )
    meetings = visible.select_related("body", "host_state")
    if form.is_valid():
        data = form.cleaned_data
        if data["body"]:
            meetings = meetings.filter(body=data["body"])
        if data["status"]:
            meetings = meetings.filter(status=data["status"])
        if data["year"]:
            meetings = meetings.filter(start__year=data["year"])
    now = timezone.now()
    if when == "past":
        meetings = meetings.filter(end__lt=now).order_by("-start")
    elif when == "all":
        meetings = meetings.order_by("-start")
    else:
        when = "upcoming"
        meetings = meetings.filter(end__gte=now).order_by("start")
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "meetings/list.html",
        {
            "page": page,
            "form": form,
            "when": when,
            "query": query.urlencode(),
            "can_create": rules.can_manage_meetings(request.user),
        },
    )


def _delegation_rows(delegations: list[Delegation], participants: list[Participant]) -> list[dict]:
    """Delegations in order of state name, each with its people (head of delegation first)."""
    people: dict[int, list[Participant]] = defaultdict(list)
    for participant in participants:
        if participant.delegation_id:
            people[participant.delegation_id].append(participant)
    order = {ParticipantRole.HEAD: 0, ParticipantRole.DELEGATE: 1}
    return [
        {
            "delegation": d,
            "people": sorted(people[d.pk], key=lambda p: (order.get(p.role, 2), p.display_name)),
        }
        for d in delegations
    ]


def _minutes_of(meeting: Meeting) -> Minutes | None:
    """The meeting's minutes, fetched with it by get_meeting_for_user (None if there are none)."""
    try:
        return meeting.minutes
    except Minutes.DoesNotExist:
        return None


# A body's open items can run to thousands: the meeting page lists the soonest due.
MATTERS_ARISING_SHOWN = 25


@login_required
@cached_page
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    meeting = rules.get_meeting_for_user(user, pk)
    agenda = numbered_agenda(meeting.agenda_items.select_related("presenter_state", "presenter_person"))
    delegations = list(meeting.delegations.select_related("member_state"))
    participants = list(meeting.participants.select_related("person"))
    decisions = list(meeting.decisions.all())
    numbers = {n.item.pk: n for n in agenda}
    decisions.sort(key=lambda d: (agenda.index(numbers[d.agenda_item_id]), d.pk))
    minutes = _minutes_of(meeting)
    my_states = rules.meeting_roles(user, meeting)
    recorded = any(d.attended is not None for d in delegations)
    local_times = meeting.local_times(d.member_state for d in delegations)
    arising = meeting.matters_arising(user, limit=MATTERS_ARISING_SHOWN)
    context = {
        "meeting": meeting,
        "agenda": agenda,
        "numbers": {pk: n.number for pk, n in numbers.items()},
        "delegations": _delegation_rows(delegations, participants),
        "guests": [p for p in participants if p.delegation_id is None],
        "local_times": local_times,
        "out_of_hours": [t for t in local_times if t.out_of_hours],
        "decisions": decisions,
        "minutes": minutes,
        "attendance_recorded": recorded,
        "absent": [d.member_state for d in delegations if d.attended is False],
        "my_delegations": [d for d in delegations if d.member_state_id in my_states],
        "my_guest": next((p for p in participants if p.delegation_id is None and p.person_id == user.pk), None),
        "can_manage": rules.can_manage_meetings(user),
        "is_chair": rules.is_chair(user, meeting),
        "can_adopt": rules.can_adopt_agenda(user, meeting),
        "can_invite_guests": rules.can_manage_meetings(user)
        and (meeting.status == MeetingStatus.DRAFT or meeting.is_going_ahead),
        # Documents on the agenda, as the register's rules let this user read them.
        **document_views.page_context(user, meeting),
        # Seam for a later app: "Matters arising".
        "matters_arising": arising,
        "matters_arising_total": arising[0].arising_total if arising else 0,
        "actions_arising": meeting.actions_arising(user),
    }
    return render(request, "meetings/detail.html", context)


HISTORY_PAGE = 200  # entries a page of a meeting's history shows


@login_required
def meeting_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting's record and its parts', newest first: one query over the eight tables."""
    meeting = rules.get_meeting_for_user(request.user, pk)
    minutes = Minutes.objects.filter(meeting=meeting).values("pk")
    versions = MinutesVersion.objects.filter(minutes__meeting=meeting).values("pk")
    version_rows = MinutesVersion.history.filter(minutes_id__in=minutes)
    comment_rows = MinutesComment.history.filter(version_id__in=versions)
    if not rules.can_see_drafts(request.user, meeting):
        # As the minutes page: drafts stay with the secretariat and the chair (a version's
        # rows from the moment it was circulated or approved), and each delegation reads
        # its own comments only.
        version_rows = version_rows.filter(Q(circulated_at__isnull=False) | Q(approved_at__isnull=False))
        comment_rows = comment_rows.filter(member_state_id__in=rules.delegation_states(request.user, meeting))
    rows = audit.union(
        [
            Meeting.history.filter(id=meeting.pk),
            AgendaItem.history.filter(meeting_id=meeting.pk),
            Delegation.history.filter(meeting_id=meeting.pk),
            Participant.history.filter(meeting_id=meeting.pk),
            Decision.history.filter(meeting_id=meeting.pk),
            Minutes.history.filter(id__in=minutes),
            version_rows,
            comment_rows,
        ],
        records=True,
    )
    page = Paginator(rows, HISTORY_PAGE).get_page(request.GET.get("page"))
    context = {"meeting": meeting, "page": page, "entries": audit.record_entries(page.object_list)}
    return render(request, "meetings/history.html", context)


# --- Creating and editing ----------------------------------------------------------


@login_required
def meeting_create(request: HttpRequest) -> HttpResponse:
    if not rules.can_manage_meetings(request.user):
        raise Http404
    initial = {"body": request.GET.get("body")} if request.GET.get("body") else None
    form = MeetingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.create_meeting(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("%(meeting)s was created as a draft.") % {"meeting": meeting})
            _warn_out_of_hours(request, meeting)
            return redirect(meeting)
    return render(request, "meetings/form.html", {"form": form})


@login_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    form = MeetingForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["number"] is None:
            data["number"] = meeting.number
        data["title"] = data["title"].strip() or meeting.title
        try:
            services.update_meeting(meeting, by=request.user, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            if meeting.sequence and meeting.is_going_ahead:
                messages.info(request, _("Delegations receive the updated calendar entry."))
            _warn_out_of_hours(request, meeting)
            return redirect(meeting)
    return render(request, "meetings/form.html", {"form": form, "meeting": meeting})


# --- Transitions ------------------------------------------------------------------


def _transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    service, done = {
        "schedule": (services.schedule_meeting, _("%(m)s is scheduled; the invitations are on their way.")),
        "held": (services.mark_held, _("%(m)s is marked as held.")),
        "close": (services.close_meeting, _("%(m)s is closed.")),
    }[action]
    try:
        service(meeting, by=request.user)
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, done % {"m": meeting})
        if action == "schedule":
            _warn_out_of_hours(request, meeting)
    return redirect(meeting)


@login_required
@require_POST
def meeting_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "schedule")


@login_required
@require_POST
def meeting_held(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "held")


@login_required
@require_POST
def meeting_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "close")


@login_required
def meeting_postpone(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    form = PostponeForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.postpone_meeting(meeting, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("%(m)s is postponed; delegations receive the update.") % {"m": meeting})
            _warn_out_of_hours(request, meeting)
            return redirect(meeting)
    return render(request, "meetings/postpone.html", {"form": form, "meeting": meeting})


@login_required
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_meeting(meeting, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("%(m)s is cancelled.") % {"m": meeting})
            return redirect(meeting)
    return render(request, "meetings/cancel.html", {"form": form, "meeting": meeting})


# --- Guests, RSVP, attendance ---------------------------------------------------------


@login_required
def guest_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Invite a person by name: a page of its own, as its select lists every person."""
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    form = GuestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invite_guest(meeting, by=request.user, person=form.cleaned_data["person"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("%(p)s is invited.") % {"p": form.cleaned_data["person"]})
            return redirect(meeting)
    return render(request, "meetings/guest_invite.html", {"form": form, "meeting": meeting})


@login_required
@require_POST
def guest_remove(request: HttpRequest, pk: int, guest_pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    guest = meeting.participants.filter(pk=guest_pk, delegation__isnull=True).select_related("person").first()
    if guest is None:
        raise Http404
    try:
        services.remove_guest(guest, by=request.user)
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("The invitation of %(p)s was withdrawn.") % {"p": guest})
    return redirect(meeting)


def _delegation_members(meeting: Meeting, delegation: Delegation) -> list[User]:
    members = (
        Membership.objects.current()
        .filter(body_id=meeting.body_id, member_state_id=delegation.member_state_id, role__in=rules.DELEGATION_ROLES)
        .select_related("person")
        .order_by("person__display_name")
    )
    heads = [m.person for m in members if m.role == Role.HEAD]
    return heads + [m.person for m in members if m.role != Role.HEAD]


@login_required
def rsvp(request: HttpRequest, pk: int) -> HttpResponse:
    """A delegation's answer, given by its head or a delegate, for its own state only."""
    meeting = rules.get_meeting_for_user(request.user, pk)
    states = rules.delegation_states(request.user, meeting)
    delegation = meeting.delegations.filter(member_state_id__in=states).select_related("member_state").first()
    if delegation is None:
        raise PermissionDenied
    members = _delegation_members(meeting, delegation)
    current = [p.person_id for p in delegation.participants.all()]
    form = RsvpForm(
        request.POST or None,
        members=members,
        initial={
            "answer": delegation.rsvp if delegation.rsvp != "pending" else None,
            "people": current,
            "note": delegation.rsvp_note,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_rsvp(delegation, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("The answer of %(state)s is recorded: %(answer)s.")
                % {"state": delegation.member_state, "answer": delegation.get_rsvp_display().lower()},
            )
            return redirect(meeting)
    return render(request, "meetings/rsvp.html", {"form": form, "meeting": meeting, "delegation": delegation})


@login_required
@require_POST
def guest_rsvp(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk)
    guest = rules.guest_invitation(request.user, meeting)
    if guest is None:
        raise PermissionDenied
    try:
        services.answer_guest_rsvp(guest, by=request.user, answer=request.POST.get("answer", ""))
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("Your answer is recorded."))
    return redirect(meeting)


@login_required
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    delegations = list(meeting.delegations.select_related("member_state"))
    participants = list(meeting.participants.select_related("person"))
    if request.method == "POST":
        try:
            services.record_attendance(
                meeting,
                by=request.user,
                present_states=[int(x) for x in request.POST.getlist("states") if x.isdigit()],
                present_people=[int(x) for x in request.POST.getlist("people") if x.isdigit()],
            )
        except ValidationError as exc:
            _refuse(request, exc)
        else:
            messages.success(request, _("Attendance is recorded."))
            return redirect(meeting)
    return render(
        request,
        "meetings/attendance.html",
        {
            "meeting": meeting,
            "delegations": _delegation_rows(delegations, participants),
            "guests": [p for p in participants if p.delegation_id is None],
        },
    )


# --- Agenda ------------------------------------------------------------------------


def _agenda_editor(request: HttpRequest, meeting: Meeting, *, status: int = 200) -> HttpResponse:
    agenda = numbered_agenda(meeting.agenda_items.select_related("presenter_state", "presenter_person"))
    template = "meetings/includes/agenda_editor.html" if request.htmx else "meetings/agenda.html"
    context = {"meeting": meeting, "agenda": agenda, "partial": bool(request.htmx)}
    return render(request, template, context, status=status)


@login_required
def agenda(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    return _agenda_editor(request, meeting)


@login_required
def agenda_item_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    form = AgendaItemForm(request.POST or None, meeting=meeting, initial={"parent": request.GET.get("parent")})
    if request.method == "POST" and form.is_valid():
        try:
            services.add_agenda_item(meeting, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The item was added."))
            return redirect("meetings:agenda", pk=meeting.pk)
    return render(request, "meetings/agenda_item_form.html", {"form": form, "meeting": meeting})


@login_required
def agenda_item_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    item = rules.get_agenda_item_for_user(request.user, meeting, item_pk, write=True)
    form = AgendaItemForm(request.POST or None, instance=item, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_agenda_item(item, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The item was saved."))
            return redirect("meetings:agenda", pk=meeting.pk)
    return render(request, "meetings/agenda_item_form.html", {"form": form, "meeting": meeting, "item": item})


@login_required
@require_POST
def agenda_item_delete(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    item = rules.get_agenda_item_for_user(request.user, meeting, item_pk, write=True)
    try:
        services.delete_agenda_item(item, by=request.user)
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("“%(title)s” was removed from the agenda.") % {"title": item.title})
    return redirect("meetings:agenda", pk=meeting.pk)


@login_required
@require_POST
def agenda_item_move(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Up or down: htmx swaps the editor in place; without JavaScript the page reloads."""
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    item = rules.get_agenda_item_for_user(request.user, meeting, item_pk, write=True)
    try:
        services.move_agenda_item(item, by=request.user, direction=request.POST.get("direction", ""))
    except ValidationError as exc:
        _refuse(request, exc)
    if request.htmx:
        return _agenda_editor(request, meeting)
    return redirect("meetings:agenda", pk=meeting.pk)


@login_required
@require_POST
def agenda_adopt(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk)
    try:
        services.adopt_agenda(meeting, by=request.user)
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("The agenda of %(m)s is adopted.") % {"m": meeting})
    return redirect(meeting)


# --- Decisions ---------------------------------------------------------------------


@login_required
def decision_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    form = DecisionForm(request.POST or None, meeting=meeting, initial={"agenda_item": request.GET.get("item")})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_decision(meeting, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The decision is recorded."))
            return redirect(f"{meeting.get_absolute_url()}#decisions")
    return render(request, "meetings/decision_form.html", {"form": form, "meeting": meeting})


@login_required
def decision_edit(request: HttpRequest, pk: int, decision_pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    decision = meeting.decisions.filter(pk=decision_pk).first()
    if decision is None:
        raise Http404
    form = DecisionForm(request.POST or None, instance=decision, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_decision(
                decision, by=request.user, kind=form.cleaned_data["kind"], text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The decision was corrected."))
            return redirect(f"{meeting.get_absolute_url()}#decisions")
    form.fields["agenda_item"].disabled = True
    return render(request, "meetings/decision_form.html", {"form": form, "meeting": meeting, "decision": decision})


@login_required
def decision_list(request: HttpRequest) -> HttpResponse:
    """All decisions of the bodies the user follows, searchable."""
    visible = rules.visible_decisions(request.user)
    form = DecisionSearchForm(
        request.GET or None, bodies=Body.objects.filter(meetings__decisions__in=visible).distinct()
    )
    decisions = visible.select_related("meeting", "meeting__body", "agenda_item").order_by("-meeting__start", "pk")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            decisions = decisions.filter(Q(text__icontains=data["q"]) | Q(agenda_item__title__icontains=data["q"]))
        if data["body"]:
            decisions = decisions.filter(meeting__body=data["body"])
        if data["kind"]:
            decisions = decisions.filter(kind=data["kind"])
    page = Paginator(decisions, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "meetings/decisions.html", {"page": page, "form": form, "query": query.urlencode()})
