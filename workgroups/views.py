"""Pages of the network: "my work", bodies, memberships, invitations, people."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from meetings.models import Meeting, Minutes
from secretariat import audit, rules, services
from secretariat.documents import rules as document_rules
from secretariat.forms import BodyForm, DeactivateForm, EndMembershipForm, InviteForm, MembershipForm
from secretariat.models import ROLE_ORDER, Body, Invitation, Membership, Role, User
from secretariat.pagecache import cached_page

from . import plan_views
from . import rules as plan_rules


def _apply_errors(form: Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
@cached_page
def home(request: HttpRequest) -> HttpResponse:
    """My work: meetings, circulations and action items waiting for me, the bodies I sit in and my roles there."""
    user = request.user
    memberships = list(user.current_memberships().select_related("body", "member_state").order_by("body__code"))
    plan_rules.remember_roles(user, memberships)
    pending = None
    if user.is_secretariat:
        pending = Invitation.objects.pending().select_related("body", "member_state").order_by("expires_at")[:10]
    context = {"memberships": memberships, "pending_invitations": pending}
    context.update(plan_views.my_work(user, memberships))
    acts_for_a_state = any(m.role in document_rules.DELEGATION_ROLES and m.member_state_id for m in memberships)
    context["awaiting_circulations"] = document_rules.circulations_awaiting(user, delegations=acts_for_a_state)
    context["upcoming_meetings"] = Meeting.objects.upcoming_for(user)[:5]
    context["minutes_to_approve"] = Minutes.objects.awaiting_approval_by(user)
    return render(request, "workgroups/home.html", context)


@login_required
def body_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    current = Q(memberships__start__lte=today) & (Q(memberships__end__isnull=True) | Q(memberships__end__gte=today))
    bodies = (
        rules.visible_bodies(request.user)
        .select_related("parent")
        .annotate(
            member_count=Count("memberships__person", filter=current, distinct=True),
            state_count=Count("memberships__member_state", filter=current, distinct=True),
        )
        .order_by("parent_id", "code")
    )
    my_roles = {m.body_id: m for m in request.user.current_memberships()}
    return render(
        request,
        "workgroups/body_list.html",
        {"bodies": bodies, "my_roles": my_roles, "can_create": rules.can_manage_body(request.user)},
    )


def _delegations(
    memberships: list[Membership],
) -> tuple[list[Membership], list[tuple[object, list[Membership]]], list[Membership]]:
    """Split a body's members: officers, delegations by state (head first), observers."""
    order = {role: i for i, role in enumerate(ROLE_ORDER)}
    officers = [m for m in memberships if m.role in (Role.CHAIR, Role.VICE_CHAIR, Role.RAPPORTEUR)]
    observers = [m for m in memberships if m.role == Role.OBSERVER]
    in_state = sorted(
        (m for m in memberships if m.role in (Role.HEAD, Role.DELEGATE) and m.member_state_id),
        key=lambda m: (m.member_state.name, order[m.role], m.person.display_name),
    )
    delegations = [(state, list(rows)) for state, rows in groupby(in_state, key=lambda m: m.member_state)]
    return officers, delegations, observers


@login_required
def body_detail(request: HttpRequest, pk: int) -> HttpResponse:
    body = rules.get_body_for_user(request.user, pk)
    memberships = list(Membership.objects.current().filter(body=body).select_related("person", "member_state"))
    for membership in memberships:
        membership.body = body  # str(membership) names the body: not a query per row
    officers, delegations, observers = _delegations(memberships)
    head_states = rules.head_of_delegation_states(request.user, body)
    manage = rules.can_manage_body(request.user, body)
    invitations = Invitation.objects.pending().filter(body=body).select_related("member_state")
    if not manage:
        invitations = invitations.filter(invited_by=request.user)
    return render(
        request,
        "workgroups/body_detail.html",
        {
            "body": body,
            "officers": officers,
            "delegations": delegations,
            "observers": observers,
            "children": body.children.filter(pk__in=rules.visible_bodies(request.user)),
            "can_manage": manage,
            "head_states": head_states,
            "can_invite": manage or bool(head_states),
            "invitations": invitations,
            **plan_views.work_plan(body, request.user),
        },
    )


@login_required
def body_create(request: HttpRequest) -> HttpResponse:
    if not rules.can_manage_body(request.user):
        raise Http404
    form = BodyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.instance._change_reason = "Body created"
        body = form.save()
        messages.success(request, _("%(body)s was created.") % {"body": body})
        return redirect("workgroups:body", pk=body.pk)
    return render(request, "workgroups/body_form.html", {"form": form})


@login_required
def body_edit(request: HttpRequest, pk: int) -> HttpResponse:
    body = rules.get_body_for_user(request.user, pk, write=True)
    form = BodyForm(request.POST or None, instance=body)
    if request.method == "POST" and form.is_valid():
        form.instance._change_reason = "Body edited"
        form.save()
        messages.success(request, _("Your changes were saved."))
        return redirect("workgroups:body", pk=body.pk)
    return render(request, "workgroups/body_form.html", {"form": form, "body": body})


@login_required
def body_history(request: HttpRequest, pk: int) -> HttpResponse:
    body = rules.get_body_for_user(request.user, pk)
    records = [
        *Body.history.filter(id=body.pk).select_related("history_user")[:200],
        *Membership.history.filter(body_id=body.pk)
        .select_related("history_user", "person", "body")
        .order_by("-history_date")[:200],
    ]
    return render(request, "workgroups/body_history.html", {"body": body, "entries": audit.entries(records)})


@login_required
def membership_add(request: HttpRequest, pk: int) -> HttpResponse:
    body = rules.get_body_for_user(request.user, pk, write=True)
    form = MembershipForm(request.POST or None, initial={"start": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.add_membership(by=request.user, body=body, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, _("%(person)s was added to %(body)s.") % {"person": form.cleaned_data["person"], "body": body}
            )
            return redirect("workgroups:body", pk=body.pk)
    return render(request, "workgroups/membership_form.html", {"form": form, "body": body})


@login_required
def membership_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = rules.get_membership_for_user(request.user, pk)
    if not rules.can_manage_body(request.user, membership.body):
        raise PermissionDenied
    form = MembershipForm(request.POST or None, instance=membership)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_membership(membership, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The membership was updated."))
            return redirect("workgroups:body", pk=membership.body_id)
    return render(
        request, "workgroups/membership_form.html", {"form": form, "body": membership.body, "membership": membership}
    )


@login_required
def membership_end(request: HttpRequest, pk: int) -> HttpResponse:
    membership = rules.get_membership_for_user(request.user, pk, write=True)
    form = EndMembershipForm(request.POST or None, initial={"end": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.end_membership(membership, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(person)s's term in %(body)s ends on %(end)s.")
                % {"person": membership.person, "body": membership.body, "end": membership.end},
            )
            return redirect("workgroups:body", pk=membership.body_id)
    return render(request, "workgroups/membership_end.html", {"form": form, "membership": membership})


@login_required
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    body = rules.get_body_for_user(request.user, pk)
    if not rules.can_invite(request.user, body):
        raise PermissionDenied
    allowed = (
        None
        if rules.can_manage_body(request.user, body)
        else sorted(rules.head_of_delegation_states(request.user, body))
    )
    form = InviteForm(request.POST or None, allowed_states=allowed)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invite(by=request.user, body=body, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("An invitation is on its way to %(email)s.") % {"email": invitation.email})
            return redirect("workgroups:body", pk=body.pk)
    return render(request, "workgroups/invite_form.html", {"form": form, "body": body})


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = rules.visible_invitations(request.user).filter(pk=pk).select_related("body").first()
    if invitation is None:
        raise Http404
    try:
        services.revoke_invitation(invitation, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email})
    return redirect("workgroups:body", pk=invitation.body_id)


@login_required
def people(request: HttpRequest) -> HttpResponse:
    if not rules.can_manage_people(request.user):
        raise Http404
    today = timezone.localdate()
    current = Membership.objects.on(today).select_related("body")
    query = request.GET.get("q", "").strip()
    persons = (
        User.objects.exclude(email__endswith=".invalid")
        .select_related("member_state")
        .prefetch_related(Prefetch("memberships", queryset=current, to_attr="current"))
        .order_by("-is_active", "display_name")
    )
    if query:
        persons = persons.filter(Q(display_name__icontains=query) | Q(email__icontains=query))
    page = Paginator(persons, 50).get_page(request.GET.get("page"))
    return render(request, "workgroups/people.html", {"page": page, "query": query})


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = rules.get_person_for_user(request.user, pk)
    records = [
        *User.history.filter(id=person.pk).select_related("history_user")[:100],
        *Membership.history.filter(person_id=person.pk).select_related("history_user", "person", "body")[:100],
    ]
    memberships = Membership.objects.filter(person=person).select_related("body", "member_state").order_by("-start")
    return render(
        request,
        "workgroups/person_detail.html",
        {"person": person, "memberships": memberships, "entries": audit.entries(records), "form": DeactivateForm()},
    )


@login_required
@require_POST
def person_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    person = rules.get_person_for_user(request.user, pk)
    form = DeactivateForm(request.POST)
    if form.is_valid():
        try:
            services.deactivate_person(person, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(person)s was deactivated; their sessions have ended.") % {"person": person})
    else:
        messages.error(request, _("Give a reason for the deactivation; it is kept in the record."))
    return redirect("workgroups:person", pk=person.pk)
