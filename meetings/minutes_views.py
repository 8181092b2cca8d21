"""Pages of the minutes (the Report of the Meeting): versions, circulation, comments, approval."""

from __future__ import annotations

import csv
import difflib
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import markup, rules, services
from .forms import CirculateForm, CommentForm, MinutesForm, ReturnForm
from .models import Meeting, MeetingStatus, Minutes, MinutesStatus, MinutesVersion, numbered_agenda
from .views import _apply_errors, _refuse


def _minutes_or_404(meeting: Meeting) -> Minutes:
    return rules.get_minutes(meeting)


def _minutes_url(meeting: Meeting) -> str:
    return reverse("meetings:minutes", args=[meeting.pk])


@login_required
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """The minutes as the user may read them, with the actions open to it."""
    user = request.user
    meeting = rules.get_meeting_for_user(user, pk)
    record = Minutes.objects.filter(meeting=meeting).first()
    versions = list(rules.visible_versions(user, record).select_related("created_by", "approved_by")) if record else []
    current = versions[-1] if versions else None
    manage = rules.can_manage_meetings(user)
    comment_states = rules.comment_states(user, record) if record and record.comments_open else set()
    own_comments = []
    if current is not None and not rules.can_see_drafts(user, meeting):
        own_comments = list(
            current.comments.filter(member_state_id__in=rules.delegation_states(user, meeting)).select_related(
                "member_state", "author"
            )
        )
    status = record.status if record else None
    context = {
        "meeting": meeting,
        "minutes": record,
        "versions": versions,
        "current": current,
        "paragraphs": markup.paragraphs(current.text, shift=1) if current else [],
        "approved": next((v for v in reversed(versions) if v.is_approved), None),
        "can_manage": manage,
        "can_draft": manage
        and meeting.status in (MeetingStatus.HELD, MeetingStatus.CLOSED)
        and status != MinutesStatus.SUBMITTED,
        "can_circulate": manage and status == MinutesStatus.DRAFT and current is not None and not current.is_locked,
        "can_submit": manage
        and status in (MinutesStatus.DRAFT, MinutesStatus.CIRCULATED)
        and current is not None
        and not current.is_approved,
        "can_decide": status == MinutesStatus.SUBMITTED and rules.can_decide_on_minutes(user, meeting),
        "can_see_matrix": rules.can_see_comment_matrix(user, meeting),
        "comment_form": CommentForm(states=sorted(comment_states)) if comment_states else None,
        "own_comments": own_comments,
    }
    return render(request, "meetings/minutes.html", context)


@login_required
def minutes_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the current draft, or start a new version from the latest text."""
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    record = Minutes.objects.filter(meeting=meeting).first()
    latest = services.latest_version(record) if record else None
    editing = latest if latest is not None and not latest.is_locked else None
    form = MinutesForm(request.POST or None, initial={"text": latest.text if latest else _template(meeting)})
    if request.method == "POST" and form.is_valid():
        try:
            if editing is not None:
                version = services.edit_minutes_version(editing, by=request.user, text=form.cleaned_data["text"])
            else:
                version = services.create_minutes_version(meeting, by=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("%(rev)s is saved.") % {"rev": version.label})
            return redirect("meetings:minutes", pk=meeting.pk)
    return render(
        request,
        "meetings/minutes_form.html",
        {"form": form, "meeting": meeting, "editing": editing, "latest": latest},
    )


def _template(meeting: Meeting) -> str:
    """A first draft: the heading and one section per agenda item."""
    lines = [
        f"# Report of the {meeting.title}",
        "",
        f"The {meeting.title} was held on {meeting.local_start:%-d %B %Y}.",
    ]
    for numbered in numbered_agenda(meeting.agenda_items.all()):
        lines += ["", f"{'#' * (2 + numbered.depth)} {numbered.number}. {numbered.item.title}", ""]
    return "\n".join(lines) + "\n"


@login_required
def minutes_circulate(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    record = _minutes_or_404(meeting)
    form = CirculateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.circulate_minutes(record, by=request.user, deadline=form.cleaned_data["deadline"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The minutes are circulated to the delegations for comments."))
            return redirect("meetings:minutes", pk=meeting.pk)
    return render(request, "meetings/circulate.html", {"form": form, "meeting": meeting, "minutes": record})


@login_required
@require_POST
def minutes_comment(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk)
    record = _minutes_or_404(meeting)
    states = rules.comment_states(request.user, record)
    if not states:
        raise PermissionDenied
    form = CommentForm(request.POST, states=sorted(states))
    if form.is_valid():
        try:
            services.comment_on_minutes(record, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _refuse(request, exc)
        else:
            messages.success(request, _("Your delegation's comment is recorded."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(f"{_minutes_url(meeting)}#comment")


def _minutes_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk)
    record = _minutes_or_404(meeting)
    try:
        if action == "submit":
            if not rules.can_manage_meetings(request.user):
                raise PermissionDenied
            services.submit_minutes(record, by=request.user)
            messages.success(request, _("The minutes are submitted to the chair."))
        else:
            version = services.approve_minutes(record, by=request.user)
            messages.success(
                request,
                _("%(rev)s is approved and sealed (SHA-256 %(hash)s).")
                % {"rev": version.label, "hash": version.sha256},
            )
    except ValidationError as exc:
        _refuse(request, exc)
    return redirect("meetings:minutes", pk=meeting.pk)


@login_required
@require_POST
def minutes_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _minutes_action(request, pk, "submit")


@login_required
@require_POST
def minutes_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _minutes_action(request, pk, "approve")


@login_required
def minutes_return(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk)
    record = _minutes_or_404(meeting)
    if not rules.can_decide_on_minutes(request.user, meeting):
        raise PermissionDenied
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.return_minutes(record, by=request.user, comments=form.cleaned_data["comments"])
        except ValidationError as exc:
            _refuse(request, exc)
        else:
            messages.success(request, _("The minutes are returned to the secretariat with your comments."))
        return redirect("meetings:minutes", pk=meeting.pk)
    return render(request, "meetings/return.html", {"form": form, "meeting": meeting, "minutes": record})


@login_required
def minutes_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk)
    record = _minutes_or_404(meeting)
    version = rules.get_version_for_user(request.user, record, number)
    return render(
        request,
        "meetings/version.html",
        {
            "meeting": meeting,
            "minutes": record,
            "version": version,
            "paragraphs": markup.paragraphs(version.text, shift=1),
        },
    )


@login_required
def minutes_diff(request: HttpRequest, pk: int) -> HttpResponse:
    """Line by line, what changed from one version to another."""
    meeting = rules.get_meeting_for_user(request.user, pk)
    record = _minutes_or_404(meeting)
    versions = list(rules.visible_versions(request.user, record))
    if len(versions) < 2:
        raise Http404("Only one version.")
    by_number = {v.number: v for v in versions}
    try:
        old = by_number[int(request.GET.get("from", versions[-2].number))]
        new = by_number[int(request.GET.get("to", versions[-1].number))]
    except (KeyError, ValueError) as exc:
        raise Http404("No such version.") from exc
    lines = []
    for line in difflib.ndiff(old.text.splitlines(), new.text.splitlines()):
        code, text = line[:2], line[2:]
        if code == "? ":
            continue
        lines.append({"kind": {"+ ": "added", "- ": "removed"}.get(code, "same"), "text": text})
    return render(
        request,
        "meetings/diff.html",
        {"meeting": meeting, "old": old, "new": new, "lines": lines, "versions": versions},
    )


def _matrix(meeting: Meeting, record: Minutes, request: HttpRequest) -> tuple[MinutesVersion, list, list]:
    """Comments on one circulated version as rows (paragraphs) by columns (delegations)."""
    circulated = list(record.versions.filter(circulated_at__isnull=False).order_by("number"))
    if not circulated:
        raise Http404("Never circulated.")
    wanted = request.GET.get("rev")
    version = next((v for v in circulated if str(v.number) == wanted), circulated[-1])
    states = [d.member_state for d in meeting.delegations.select_related("member_state")]
    cells: dict[tuple[int | None, int], list] = defaultdict(list)
    for comment in version.comments.select_related("author"):
        cells[(comment.paragraph, comment.member_state_id)].append(comment)
    paragraphs = sorted({p for p, _s in cells}, key=lambda p: -1 if p is None else p)
    rows = [(p, [cells.get((p, s.pk), []) for s in states]) for p in paragraphs]
    return version, states, rows


@login_required
def minutes_comments(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk)
    if not rules.can_see_comment_matrix(request.user, meeting):
        raise Http404
    record = _minutes_or_404(meeting)
    version, states, rows = _matrix(meeting, record, request)
    return render(
        request,
        "meetings/comments.html",
        {"meeting": meeting, "minutes": record, "version": version, "states": states, "rows": rows},
    )


def _csv_cell(text: str) -> str:
    """Keep spreadsheet programs from reading a comment as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
def minutes_comments_csv(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk)
    if not rules.can_see_comment_matrix(request.user, meeting):
        raise Http404
    record = _minutes_or_404(meeting)
    version, states, rows = _matrix(meeting, record, request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"{meeting.body.code}-{meeting.number}-minutes-rev{version.number}-comments.csv".lower()
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow([_("Paragraph"), *[s.name for s in states]])
    for paragraph, cells in rows:
        label = _("General") if paragraph is None else str(paragraph)
        writer.writerow(
            [label, *[_csv_cell("\n\n".join(f"{c.text} ({c.author})" for c in comments)) for comments in cells]]
        )
    return response
