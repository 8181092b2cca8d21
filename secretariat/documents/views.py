"""Pages of the document register: list, document, versions, downloads, circulation, one-click links.

Every view fetches through `rules` (404 for what the user may not see, 403 for
what it may see but not change) and acts through `services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from secretariat import audit
from secretariat.models import Body
from secretariat.pagecache import cached_page

from . import links, rules, services, tokens
from .files import file_response
from .forms import AnswerForm, CirculateForm, DocumentEditForm, DocumentForm, FilterForm, ReasonForm, VersionForm
from .models import (
    Circulation,
    CirculationAnswer,
    CirculationRecipient,
    Document,
    DocumentOpen,
    DocumentReader,
    DocumentVersion,
)
from .search import search_documents
from .status import circulation_matrix, tone

PAGE_SIZE = 25


def _apply_errors(form: Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# --- Register -----------------------------------------------------------------------


@login_required
@require_GET
@cached_page
def document_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    visible = rules.visible_documents(user)
    form = FilterForm(
        request.GET or None,
        bodies=Body.objects.filter(pk__in=visible.values("body_id")),
        meetings=links.meeting_choices(user),
    )
    # Per-row subqueries, not a join and GROUP BY: PostgreSQL evaluates them for the page's
    # rows only, after the sort and the limit, and the paginator's count leaves them out.
    versions = DocumentVersion.objects.filter(document=OuterRef("pk")).order_by()
    documents = (
        visible.select_related("body")
        .annotate(
            version_count=Coalesce(Subquery(versions.values("document").annotate(n=Count("pk")).values("n")), 0),
            last_upload=Subquery(versions.order_by("-uploaded_at").values("uploaded_at")[:1]),
        )
        .order_by("-year", "body__code", "-number")
    )
    query = ""
    if form.is_bound:
        # A value that does not validate is shown with its error on the form; the
        # other filters still apply (cleaned_data keeps the fields that passed).
        form.is_valid()
        data = form.cleaned_data
        if data.get("body"):
            documents = documents.filter(body=data["body"])
        if data.get("classification"):
            documents = documents.filter(classification=data["classification"])
        if data.get("meeting"):
            documents = links.filter_by_meeting(documents, user, data["meeting"])
        query = (data.get("q") or "").strip()
        documents = search_documents(documents, query)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "documents/list.html",
        {
            "page": page,
            "form": form,
            "params": params.urlencode(),
            "searching": bool(query),
            "can_manage": rules.can_manage_documents(user),
        },
    )


@login_required
def document_create(request: HttpRequest) -> HttpResponse:
    if not rules.can_manage_documents(request.user):
        raise Http404
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = services.create_document(
                by=request.user,
                body=data["body"],
                title=data["title"],
                description=data["description"],
                classification=data["classification"],
                readers=list(data["readers"]),
                upload=data["file"],
                upload_name=data["file"].name,
                upload_size=data["file"].size,
                note=data["note"],
            )
        except ValidationError as exc:
            _apply_errors(form, _on_file(exc))
        else:
            messages.success(request, _("%(symbol)s was registered.") % {"symbol": document.symbol})
            return redirect(document)
    return render(request, "documents/form.html", {"form": form, "multipart": True})


def _on_file(exc: ValidationError) -> ValidationError:
    """Upload errors carry no field; they belong on the file input."""
    if not hasattr(exc, "error_dict") and any((e.code or "").startswith("file") for e in exc.error_list):
        return ValidationError({"file": exc.error_list})
    return exc


@login_required
@require_GET
@cached_page
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    document = rules.get_document_for_user(user, pk)
    versions = list(document.versions.select_related("uploaded_by").order_by("-uploaded_at", "-pk"))
    for version in versions:
        version.document = document
    circulations = list(
        Circulation.objects.filter(version__document=document)
        .select_related("version")
        .annotate(answer_count=Count("answers", distinct=True), asked_count=Count("state_rows", distinct=True))
        .order_by("-created_at")
    )
    receipts = rules.can_see_receipts(user)
    opens = DocumentOpen.objects.filter(version__document=document).select_related("person", "version")
    if not receipts:
        opens = opens.filter(person=user)
    readers = (
        list(DocumentReader.objects.filter(document=document).select_related("person"))
        if document.is_confidential and receipts
        else []
    )
    return render(
        request,
        "documents/detail.html",
        {
            "document": document,
            "versions": versions,
            "circulations": circulations,
            "opens": list(opens[:200]),
            "receipts": receipts,
            "readers": readers,
            "links": links.links_of(user, document),
            "can_manage": rules.can_manage_documents(user),
            "tone": tone,
        },
    )


@login_required
def document_edit(request: HttpRequest, pk: int) -> HttpResponse:
    document = rules.get_document_for_user(request.user, pk, write=True)
    initial = {
        "title": document.title,
        "description": document.description,
        "classification": document.classification,
        "readers": list(document.readers.all()),
    }
    form = DocumentEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_document(
                document, by=request.user, **{**form.cleaned_data, "readers": list(form.cleaned_data["readers"])}
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(document)
    return render(request, "documents/form.html", {"form": form, "document": document})


@login_required
def version_add(request: HttpRequest, pk: int) -> HttpResponse:
    document = rules.get_document_for_user(request.user, pk, write=True)
    form = VersionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = services.add_version(
                document,
                by=request.user,
                kind=data["kind"],
                upload=data["file"],
                upload_name=data["file"].name,
                upload_size=data["file"].size,
                note=data["note"],
            )
        except ValidationError as exc:
            _apply_errors(form, _on_file(exc))
        else:
            messages.success(request, _("%(symbol)s was uploaded.") % {"symbol": version.full_symbol})
            return redirect(document)
    return render(
        request, "documents/form.html", {"form": form, "document": document, "multipart": True, "new_version": True}
    )


@login_required
@require_GET
@never_cache
def download(request: HttpRequest, pk: int, version_pk: int) -> HttpResponse:
    """The file of a version, as an attachment; the opening is recorded first."""
    document = rules.get_document_for_user(request.user, pk)
    version = rules.get_version_for_user(request.user, document, version_pk)
    services.record_open(version, by=request.user)
    return file_response(version, request.user)


@login_required
@require_GET
def document_history(request: HttpRequest, pk: int) -> HttpResponse:
    document = rules.get_document_for_user(request.user, pk)
    circulation_ids = Circulation.objects.filter(version__document=document).values("pk")
    records = [
        *Document.history.filter(id=document.pk).select_related("history_user")[:200],
        *DocumentVersion.history.filter(document_id=document.pk).select_related("history_user")[:200],
        *Circulation.history.filter(id__in=circulation_ids).select_related("history_user")[:200],
        *CirculationAnswer.history.filter(circulation_id__in=circulation_ids).select_related("history_user")[:200],
    ]
    if rules.can_see_receipts(request.user):
        records += [
            *DocumentReader.history.filter(document_id=document.pk).select_related("history_user")[:200],
            *CirculationRecipient.history.filter(
                circulation_id__in=circulation_ids, acknowledged_at__isnull=False
            ).select_related("history_user")[:200],
        ]
    return render(request, "documents/history.html", {"document": document, "entries": audit.entries(records)})


# --- Circulation ----------------------------------------------------------------------


@login_required
def circulate(request: HttpRequest, pk: int) -> HttpResponse:
    document = rules.get_document_for_user(request.user, pk, write=True)
    form = CirculateForm(request.POST or None, document=document)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            circulation = services.circulate_document(
                data["version"],
                by=request.user,
                mode=data["mode"],
                deadline=data["deadline"],
                bodies=list(data["bodies"]),
                states=list(data["states"]),
                persons=list(data["persons"]),
                message=data["message"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(symbol)s was circulated to %(n)s people.")
                % {"symbol": circulation.version.full_symbol, "n": circulation.recipients.count()},
            )
            return redirect(circulation)
    return render(request, "documents/circulate.html", {"form": form, "document": document})


def _circulation_page(
    request: HttpRequest, document: Document, circulation: Circulation, **forms: Form
) -> HttpResponse:
    user = request.user
    state_ids = rules.answer_state_ids(user, circulation)
    answers = list(circulation.answers.select_related("member_state", "answered_by"))
    mine = rules.recipient_row(user, circulation)
    context = {
        "document": document,
        "circulation": circulation,
        "answers": answers,
        "my_answers": [a for a in answers if a.member_state_id in state_ids],
        "recipient": mine,
        "answer_form": forms.get("answer_form")
        or (
            AnswerForm(circulation=circulation, state_ids=state_ids)
            if state_ids and circulation.accepts_answers
            else None
        ),
        "withdraw_form": forms.get("withdraw_form") or ReasonForm(),
        "can_manage": rules.can_manage_documents(user),
        "tone": tone,
    }
    if rules.can_see_receipts(user):
        context["matrix"] = circulation_matrix(circulation, answers)
    return render(request, "documents/circulation.html", context, status=400 if forms else 200)


@login_required
@require_GET
def circulation_detail(request: HttpRequest, pk: int, circulation_pk: int) -> HttpResponse:
    document = rules.get_document_for_user(request.user, pk)
    circulation = rules.get_circulation_for_user(request.user, document, circulation_pk)
    return _circulation_page(request, document, circulation)


@login_required
@require_POST
def answer(request: HttpRequest, pk: int, circulation_pk: int) -> HttpResponse:
    document = rules.get_document_for_user(request.user, pk)
    circulation = rules.get_circulation_for_user(request.user, document, circulation_pk)
    state_ids = rules.answer_state_ids(request.user, circulation)
    if not state_ids:
        raise PermissionDenied
    form = AnswerForm(request.POST, circulation=circulation, state_ids=state_ids)
    if form.is_valid():
        try:
            services.answer_circulation(circulation, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("The answer of %(state)s was recorded.") % {"state": form.cleaned_data["member_state"].name},
            )
            return redirect(circulation)
    return _circulation_page(request, document, circulation, answer_form=form)


@login_required
@require_POST
def acknowledge(request: HttpRequest, pk: int, circulation_pk: int) -> HttpResponse:
    document = rules.get_document_for_user(request.user, pk)
    circulation = rules.get_circulation_for_user(request.user, document, circulation_pk)
    try:
        services.acknowledge_circulation(circulation, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your acknowledgement of receipt was recorded."))
    return redirect(circulation)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int, circulation_pk: int) -> HttpResponse:
    document = rules.get_document_for_user(request.user, pk)
    circulation = rules.get_circulation_for_user(request.user, document, circulation_pk, write=True)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.withdraw_circulation(circulation, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The circulation was withdrawn; recipients are told."))
            return redirect(circulation)
    return _circulation_page(request, document, circulation, withdraw_form=form)


# --- One-click links --------------------------------------------------------------------


@login_required
@never_cache
def one_click(request: HttpRequest, action: str, token: str) -> HttpResponse:
    """GET shows what the link would do and asks to confirm; only the POST records it."""
    try:
        row = tokens.row_from_token(action, token, request.user)
    except tokens.BadToken as exc:
        return render(request, "documents/link_invalid.html", {"reason": str(exc)}, status=400)
    circulation = row.circulation
    if request.method == "POST":
        try:
            services.use_link(row, by=request.user, action=action)
        except ValidationError as exc:
            return render(request, "documents/link_invalid.html", {"reason": " ".join(exc.messages)}, status=400)
        messages.success(request, _("Recorded. Thank you."))
        return redirect(circulation)
    existing = None
    if row.member_state_id:
        existing = circulation.answers.filter(member_state_id=row.member_state_id).select_related("answered_by").first()
    return render(
        request,
        "documents/link_confirm.html",
        {
            "row": row,
            "circulation": circulation,
            "document": circulation.version.document,
            "action": action,
            "existing": existing,
        },
    )
