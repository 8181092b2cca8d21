"""Pages of the work plan: tasks, referrals and their outcome, and the body page's work plan section."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, Prefetch, Q, Sum, Value, When, Window, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from secretariat import audit, pagecache
from secretariat import rules as network_rules
from secretariat.models import Body, Membership, MemberState, User

from . import charts, rules, services
from .action_views import _refer
from .forms import OutcomeForm, TaskForm, apply_errors
from .models import ActionItemStatus, Assignment, Referral, Task, TaskLeadState


def work_plan(body: Body, user: User) -> dict[str, object]:
    """The body page's work plan: tasks with progress, the timeline, referrals both ways.

    A fixed number of queries whatever the size of the plan: tasks with their
    counts (1), their lead states (1), referrals received and made (2).
    """
    tasks = list(
        rules.visible_tasks(user)
        .filter(body=body)
        .with_progress()
        .prefetch_related(Prefetch("lead_states", queryset=MemberState.objects.order_by("code")))
        .order_by("start", "end", "pk")
    )
    visible = rules.visible_referrals(user).select_related(
        "action_item", "task", "from_body", "to_body", "referred_by", "decided_by"
    )
    received = list(visible.filter(to_body=body).order_by("-referred_at")[:20])
    return {
        "tasks": tasks,
        "gantt": charts.gantt(tasks, timezone.localdate()),
        "referrals_received": received,
        "can_answer": {r.pk for r in received if rules.can_record_outcome(user, r)},
        "referrals_made": list(visible.filter(from_body=body).order_by("-referred_at")[:20]),
        "can_plan": rules.can_create_in(user, body),
    }


@login_required
def task_create(request: HttpRequest, pk: int) -> HttpResponse:
    body = network_rules.get_body_for_user(request.user, pk)
    if not rules.can_create_in(request.user, body):
        raise Http404
    form = TaskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.create_task(by=request.user, body=body, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The task was added to the work plan."))
            return redirect(task)
    return render(request, "workgroups/task_form.html", {"form": form, "body": body})


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = rules.get_task_for_user(request.user, pk)
    # Task.progress from one query (it would count total and done apart).
    live = task.action_items.exclude(status=ActionItemStatus.DROPPED)
    counts = live.aggregate(total=Count("pk"), done=Count("pk", filter=Q(status=ActionItemStatus.DONE)))
    task.items_total, task.items_done = counts["total"], counts["done"]
    items = (
        rules.visible_action_items(request.user)
        .filter(task=task)
        .select_related("owner_state")
        .prefetch_related(Prefetch("assignments", queryset=Assignment.objects.select_related("person")))
        .order_by("due_date", "pk")
    )
    records = [
        *Task.history.filter(id=task.pk).select_related("history_user")[:100],
        *TaskLeadState.history.filter(task_id=task.pk).select_related("history_user")[:100],
        *Referral.history.filter(task_id=task.pk).select_related("history_user")[:100],
    ]
    can_manage = rules.can_manage_task(request.user, task)
    referrals = list(
        Referral.objects.filter(task=task).select_related("from_body", "to_body", "referred_by", "decided_by")
    )
    return render(
        request,
        "workgroups/task.html",
        {
            "task": task,
            "leads": task.lead_states.order_by("name"),
            "items": items,
            "referrals": referrals,
            "can_answer": {r.pk for r in referrals if rules.can_record_outcome(request.user, r)},
            "entries": audit.entries(records),
            "can_manage": can_manage,
            "can_refer": can_manage and task.body.parent_id and not any(r.is_pending for r in referrals),
        },
    )


@login_required
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = rules.get_task_for_user(request.user, pk, write=True)
    form = TaskForm(request.POST or None, instance=Task.objects.get(pk=task.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_task(task, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(task)
    return render(request, "workgroups/task_form.html", {"form": form, "body": task.body, "task": task})


@login_required
def task_refer(request: HttpRequest, pk: int) -> HttpResponse:
    task = rules.get_task_for_user(request.user, pk, write=True)
    return _refer(request, task, task=task)


@login_required
def referral_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    referral = rules.get_referral_for_user(request.user, pk, write=True)
    form = OutcomeForm(request.POST or None, purpose=referral.purpose)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_referral_outcome(referral, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The outcome was recorded."))
            return redirect(referral.subject)
    return render(request, "workgroups/referral_outcome.html", {"form": form, "referral": referral})


def item_chart(user: User, bodies: list[Body] | None) -> list[dict[str, object]]:
    """For each body: its action items by owner and status, as a stacked bar chart (one GROUP BY query).

    `bodies` None means the pipeline (ADGMIN, ADGSOM, WG-AI): the bodies come from
    the same query, so an officer sitting nowhere pays no query for them.
    """
    if bodies is not None and not bodies:
        return []
    today = timezone.localdate()
    items = rules.visible_action_items(user)
    if bodies is None:
        items = items.filter(body__is_active=True, body__parent__parent__parent__isnull=True)
    else:
        items = items.filter(body__in=bodies)
    rows = (
        items.values(
            "body_id", "body__code", "body__name", "owner_kind", "owner_state__code", "owner_state__name", "status"
        )
        .annotate(
            count=Count("pk"), overdue=Count("pk", filter=Q(status__in=["open", "in_progress"], due_date__lt=today))
        )
        .order_by()
    )
    per_body: dict[int, list] = {}
    found: dict[int, Body] = {}
    for row in rows:
        if row["owner_kind"] == "state":
            key, label = row["owner_state__code"], row["owner_state__name"]
        else:
            key = "~" + row["owner_kind"]
            label = _("Secretariat") if row["owner_kind"] == "secretariat" else _("Named persons")
        per_body.setdefault(row["body_id"], []).append((key, label, row["status"], row["count"], row["overdue"]))
        found.setdefault(row["body_id"], Body(pk=row["body_id"], code=row["body__code"], name=row["body__name"]))
    if bodies is None:
        bodies = sorted(found.values(), key=lambda body: body.code)
    return [{"body": body, "chart": charts.stacked_bars(per_body[body.pk])} for body in bodies if body.pk in per_body]


# How many of my open items the home page lists before "see all".
MY_ITEMS = 15


def my_work(user: User, memberships: Iterable[Membership]) -> dict[str, object]:
    """The home page's action items: mine and my state's open ones (overdue first), and the charts.

    Queries: my items with their total and overdue count (1, window functions),
    the assignments of those owned by named persons (1 if any), the charts' GROUP BY (1): the same number whatever the
    number of items. `memberships` is a list the caller has fetched.
    """
    today = timezone.localdate()
    whole = Window(Count("pk"))
    overdue = Window(Sum(Case(When(due_date__lt=today, then=Value(1)), default=Value(0))))
    mine = (
        rules.visible_action_items(user)
        .open()
        .owned_by_or_assigned_to(user)
        .select_related("body", "owner_state")
        .annotate(mine_total=whole, mine_overdue=overdue)
        # Ascending due dates put the overdue first; then the most pressing.
        .order_by("due_date", "priority", "pk")
    )
    items = list(mine[:MY_ITEMS])
    prefetch_related_objects(items, Prefetch("assignments", queryset=Assignment.objects.select_related("person")))
    bodies: list[Body] | None = list({m.body_id: m.body for m in memberships}.values())
    if not bodies and user.is_secretariat:
        bodies = None  # An officer sitting nowhere sees the pipeline, not every task force.
    return {
        "my_items": items,
        "my_items_total": items[0].mine_total if items else 0,
        "my_items_overdue": items[0].mine_overdue if items else 0,
        "item_charts": _cached_charts(user, bodies),
    }


# The home page's charts are kept this long at most, and only while no row has been
# written anywhere (the data generation of secretariat.pagecache).
CHARTS_TTL = 60


def _cached_charts(user: User, bodies: list[Body] | None) -> str:
    """item_chart rendered as HTML, kept per person in the cache.

    Its GROUP BY is the home page's costliest query, and a delegate sitting in
    twenty bodies has twenty charts: most of the page's template work.
    """
    generation = pagecache.generation()  # None: the cache cannot be reached, render them
    bodies_key = ",".join(str(b.pk) for b in bodies) if bodies is not None else "pipeline"
    key = f"home-charts:{generation}:{user.pk}:{get_language()}:{timezone.localdate()}:{bodies_key}"
    html = cache.get(key) if generation is not None else None
    if html is None:
        html = render_to_string("workgroups/includes/item_charts.html", {"item_charts": item_chart(user, bodies)})
        if generation is not None:
            cache.set(key, html, CHARTS_TTL)
    return mark_safe(html)  # noqa: S308 -- our own template's output, escaped when it was rendered
