"""Pages of action items: the filtered list and its CSV export, an item with its thread, the verbs."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections.abc import Callable, Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from meetings.models import AgendaItem, Decision
from meetings.rules import visible_meetings
from secretariat import audit
from secretariat.models import Body, User
from secretariat.pagecache import cached_page

from . import rules, services
from .forms import (
    ActionItemEditForm,
    ActionItemFilter,
    ActionItemForm,
    CompleteForm,
    DropForm,
    ProgressUpdateForm,
    ReassignForm,
    ReferForm,
    apply_errors,
)
from .models import ActionItem, Assignment, ProgressUpdate, Referral, Task

PAGE_SIZE = 50


def filtered_items(user: User, params: object) -> tuple[ActionItemFilter, QuerySet[ActionItem]]:
    """The items `user` may see, narrowed by the filter parameters (page, CSV and API alike)."""
    form = ActionItemFilter(params, user=user)
    items = form.apply(rules.visible_action_items(user))
    items = items.select_related("body", "owner_state").prefetch_related(
        Prefetch("assignments", queryset=Assignment.objects.select_related("person").order_by("pk"))
    )
    return form, items


@login_required
@cached_page
def action_item_list(request: HttpRequest) -> HttpResponse:
    form, items = filtered_items(request.user, request.GET)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "workgroups/action_items.html",
        {
            "form": form,
            "page": page,
            "sort": form.current_sort,
            "can_create": rules.can_create_in(request.user),
            "today": timezone.localdate(),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "id",
    "title",
    "body",
    "owner",
    "member state",
    "assigned to",
    "status",
    "priority",
    "due date",
    "overdue",
    "task id",
    "meeting id",
    "created (UTC)",
    "closed (UTC)",
    "url",
]


@login_required
@require_GET
def action_item_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered list as CSV (all pages), streamed in chunks."""
    _form, items = filtered_items(request.user, request.GET)
    writer = csv.writer(_Echo())
    base = request.build_absolute_uri("/")[:-1]

    def rows() -> Iterator[str]:
        yield writer.writerow(CSV_HEADER)
        stream = items.iterator(chunk_size=1000)
        while chunk := list(itertools.islice(stream, 1000)):
            for item in chunk:
                yield writer.writerow(
                    [
                        item.pk,
                        item.title,
                        item.body.code,
                        item.get_owner_kind_display(),
                        item.owner_state.code if item.owner_state_id else "",
                        "; ".join(str(a.person) for a in item.assignments.all()),
                        item.status,
                        item.get_priority_display(),
                        item.due_date.isoformat(),
                        "yes" if item.is_overdue else "no",
                        item.task_id or "",
                        item.meeting_id or "",
                        item.created_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
                        item.closed_at.astimezone(dt.UTC).isoformat(timespec="seconds") if item.closed_at else "",
                        base + item.get_absolute_url(),
                    ]
                )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="action-items-{timezone.localdate():%Y-%m-%d}.csv"'
    return response


def _detail(
    request: HttpRequest, item: ActionItem, *, update_form: Form | None = None, status: int = 200
) -> HttpResponse:
    """The item page: summary, thread, referrals, history; forms for what the user may do."""
    user = request.user
    updates = ProgressUpdate.objects.filter(action_item=item).select_related("author", "member_state")
    referrals = list(
        Referral.objects.filter(action_item=item).select_related("from_body", "to_body", "referred_by", "decided_by")
    )
    records = [
        *ActionItem.history.filter(id=item.pk).select_related("history_user")[:100],
        *Assignment.history.filter(action_item_id=item.pk).select_related("history_user")[:100],
        *Referral.history.filter(action_item_id=item.pk).select_related("history_user")[:100],
    ]
    can_update = rules.can_update_item(user, item)
    can_manage = rules.can_manage_item(user, item)
    pending = [r for r in referrals if r.is_pending]
    context = {
        "item": item,
        "can_answer": {r.pk for r in referrals if rules.can_record_outcome(user, r)},
        "updates": updates,
        "referrals": referrals,
        "entries": audit.entries(records),
        "can_update": can_update and item.is_open,
        "can_manage": can_manage and item.is_open,
        "can_refer": can_manage and item.body.parent_id and item.status != "dropped" and not pending,
        "update_form": update_form or (ProgressUpdateForm() if can_update and item.is_open else None),
    }
    return render(request, "workgroups/action_item.html", context, status=status)


@login_required
def action_item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, rules.get_action_item_for_user(request.user, pk))


def _origin(request: HttpRequest) -> dict[str, object]:
    """The origin named in the query string (?task=, ?agenda_item=, ?decision=, ?body=), checked for access."""
    user, origin = request.user, {}
    params = request.GET if request.method == "GET" else request.POST
    if params.get("task"):
        origin["task"] = rules.get_task_for_user(user, _int(params["task"]))
        origin["body"] = origin["task"].body
    elif params.get("decision") or params.get("agenda_item"):
        meetings = visible_meetings(user)
        if params.get("decision"):
            decision = Decision.objects.filter(pk=_int(params["decision"]), meeting__in=meetings).first()
            if decision is None:
                raise Http404("No such decision.")
            origin["decision"], agenda_item = decision, decision.agenda_item
        else:
            agenda_item = AgendaItem.objects.filter(pk=_int(params["agenda_item"]), meeting__in=meetings).first()
            if agenda_item is None:
                raise Http404("No such agenda item.")
        origin["agenda_item"] = agenda_item
        origin["body"] = agenda_item.meeting.body
    elif params.get("body"):
        origin["body"] = Body.objects.filter(pk=_int(params["body"])).first()
    return origin


def _int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("Not a number.") from None


@login_required
def action_item_create(request: HttpRequest) -> HttpResponse:
    origin = _origin(request)
    body = origin.get("body")
    # Nowhere to create, or not in this body: the page does not exist for this user.
    if not rules.can_create_in(request.user, body):
        raise Http404
    form = ActionItemForm(request.POST or None, user=request.user, body=body)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, **{k: v for k, v in origin.items() if k != "body"}}
        try:
            item = services.create_action_item(by=request.user, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The action item was recorded."))
            return redirect(item)
    return render(request, "workgroups/action_item_form.html", {"form": form, "origin": origin, "body": body})


@login_required
def action_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = rules.get_action_item_for_user(request.user, pk, manage=True)
    form = ActionItemEditForm(request.POST or None, item=item)
    return _verb_page(
        request,
        item,
        form,
        services.update_action_item,
        heading=_("Edit"),
        submit=_("Save the changes"),
        done=_("Your changes were saved."),
    )


@login_required
@require_POST
def action_item_start(request: HttpRequest, pk: int) -> HttpResponse:
    item = rules.get_action_item_for_user(request.user, pk, write=True)
    try:
        services.start_action_item(item, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The item is now in progress."))
    return redirect(item)


def _verb_page(
    request: HttpRequest,
    item: ActionItem,
    form: Form,
    verb: Callable[..., object],
    *,
    heading: str,
    submit: str,
    done: str,
    warning: bool = False,
) -> HttpResponse:
    """A verb with a form (done, drop, reassign, edit): GET shows it, POST calls the service."""
    if request.method == "POST" and form.is_valid():
        try:
            verb(item, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(item)
    context = {"form": form, "item": item, "heading": heading, "submit": submit, "warning": warning}
    return render(request, "workgroups/action_item_verb.html", context)


@login_required
def action_item_complete(request: HttpRequest, pk: int) -> HttpResponse:
    item = rules.get_action_item_for_user(request.user, pk, write=True)
    return _verb_page(
        request,
        item,
        CompleteForm(request.POST or None),
        services.complete_action_item,
        heading=_("Mark as done"),
        submit=_("Mark as done"),
        done=_("Marked as done."),
    )


@login_required
def action_item_drop(request: HttpRequest, pk: int) -> HttpResponse:
    item = rules.get_action_item_for_user(request.user, pk, manage=True)
    return _verb_page(
        request,
        item,
        DropForm(request.POST or None),
        services.drop_action_item,
        heading=_("Drop the item"),
        submit=_("Drop the item"),
        done=_("The item was dropped."),
        warning=True,
    )


@login_required
def action_item_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    item = rules.get_action_item_for_user(request.user, pk, manage=True)
    return _verb_page(
        request,
        item,
        ReassignForm(request.POST or None, item=item),
        services.reassign,
        heading=_("Reassign"),
        submit=_("Reassign"),
        done=_("The item was reassigned."),
    )


@login_required
@require_POST
def action_item_post_update(request: HttpRequest, pk: int) -> HttpResponse:
    item = rules.get_action_item_for_user(request.user, pk, write=True)
    form = ProgressUpdateForm(request.POST)
    if form.is_valid():
        try:
            services.post_progress_update(item, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your update was posted."))
            return redirect(item)
    return _detail(request, item, update_form=form, status=400)


@login_required
def action_item_refer(request: HttpRequest, pk: int) -> HttpResponse:
    item = rules.get_action_item_for_user(request.user, pk, manage=True)
    return _refer(request, item, action_item=item)


def _refer(request: HttpRequest, subject: ActionItem | Task, **which: object) -> HttpResponse:
    if subject.body.parent_id is None:
        raise Http404("Nothing above this body.")
    form = ReferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.refer_to_parent_body(by=request.user, **which, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Referred to %(body)s.") % {"body": subject.body.parent.code})
            return redirect(subject)
    return render(request, "workgroups/refer.html", {"form": form, "subject": subject})
