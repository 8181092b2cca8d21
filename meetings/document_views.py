"""Documents on a meeting's agenda: link, unlink, and the meeting pack (one zip).

What a user may read is decided by the document register's rules; the pack
holds only the documents of this meeting the requesting user may read.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from secretariat.documents import files
from secretariat.documents import rules as document_rules
from secretariat.documents.pack import build_pack, with_versions
from secretariat.models import User

from . import rules, services
from .forms import DocumentLinkForm
from .models import Meeting, MeetingDocument


def visible_links(user: User, meeting: Meeting):
    return (
        MeetingDocument.objects.filter(meeting=meeting, document__in=document_rules.visible_documents(user))
        .select_related("document", "agenda_item")
        .order_by("document__symbol")
    )


def page_context(user: User, meeting: Meeting) -> dict[str, object]:
    """What the meeting page shows of its documents: per item, for the whole meeting, and who may add more."""
    by_item: dict[int, list] = defaultdict(list)
    general = []
    for link in visible_links(user, meeting):
        if link.agenda_item_id:
            by_item[link.agenda_item_id].append(link.document)
        else:
            general.append(link)
    return {
        "item_documents": dict(by_item),
        "meeting_documents": general,
        "document_count": sum(len(v) for v in by_item.values()) + len(general),
        # The form that lists the register's every document has a page of its own.
        "can_link_documents": rules.can_manage_meetings(user),
    }


@login_required
def document_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a document of the register on the agenda: a page of its own, as its select lists the register."""
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    candidates = document_rules.visible_documents(request.user).order_by("-year", "body__code", "-number")
    form = DocumentLinkForm(request.POST or None, meeting=meeting, documents=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            services.link_document(meeting, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("%(symbol)s is on the agenda.") % {"symbol": form.cleaned_data["document"].symbol}
            )
            return redirect(f"{meeting.get_absolute_url()}#documents")
    return render(request, "meetings/document_link.html", {"form": form, "meeting": meeting})


@login_required
@require_POST
def document_unlink(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    meeting = rules.get_meeting_for_user(request.user, pk, write=True)
    link = MeetingDocument.objects.filter(pk=link_pk, meeting=meeting).select_related("document").first()
    if link is None:
        raise Http404("No such link.")
    services.unlink_document(link, by=request.user)
    messages.success(request, _("%(symbol)s was taken off the agenda.") % {"symbol": link.document.symbol})
    return redirect(f"{meeting.get_absolute_url()}#documents")


@login_required
@require_GET
@never_cache
def pack(request: HttpRequest, pk: int) -> HttpResponse:
    """One zip of every document of the meeting the user may read; each file is recorded as opened."""
    meeting = rules.get_meeting_for_user(request.user, pk)
    ids = visible_links(request.user, meeting).values("document_id")
    documents = with_versions(document_rules.visible_documents(request.user).filter(pk__in=ids).order_by("symbol"))
    spool, _count = build_pack(request.user, documents, title=f"{meeting.title}: documents", via="meeting pack")
    name = f"{meeting.title} documents.zip"
    response = FileResponse(spool, content_type="application/zip")
    response["Content-Disposition"] = files.content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
