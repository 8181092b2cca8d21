"""Documents on the agenda, as the document register sees them.

The register (a lower layer) knows no meeting; this provider tells it, under the
meetings' own access rules, which meetings link a document and which documents
a meeting links. Registered when the app is ready.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Exists, OuterRef, QuerySet

from secretariat import demo
from secretariat.documents import links
from secretariat.documents.models import Document
from secretariat.history import save_with_reason
from secretariat.models import User

from . import rules
from .models import Meeting, MeetingDocument


def meeting_choices(user: User) -> list[tuple[int, str]]:
    # EXISTS, not a join and DISTINCT over every link: the documents list asks on every view.
    linked = MeetingDocument.objects.filter(meeting=OuterRef("pk"))
    meetings = rules.visible_meetings(user).filter(Exists(linked)).order_by("-start")
    return [(m.pk, m.title) for m in meetings.only("pk", "title", "start")[:200]]


def documents_of_meeting(user: User, meeting_id: int) -> QuerySet:
    return MeetingDocument.objects.filter(meeting_id=meeting_id, meeting__in=rules.visible_meetings(user)).values(
        "document_id"
    )


def links_of(user: User, document) -> list[links.Link]:
    rows = (
        MeetingDocument.objects.filter(document=document, meeting__in=rules.visible_meetings(user))
        .select_related("meeting", "agenda_item")
        .order_by("-meeting__start")
    )
    result = []
    for row in rows:
        url = row.meeting.get_absolute_url()
        label = row.meeting.title
        if row.agenda_item_id:
            url += f"#item-{row.agenda_item_id}"
            label += f" — {row.agenda_item.title}"
        result.append(links.Link(label=label, url=url))
    return result


links.register_provider(
    links.Provider(meeting_choices=meeting_choices, documents_of_meeting=documents_of_meeting, links_of=links_of)
)


# --- Demo -------------------------------------------------------------------------------


def seed_agenda_documents(network: demo.Network, *, scale: int = 1, log: Callable[[str], object] = print) -> None:
    """Demo: each body's documents on the agenda of its next meeting (or its last one).

    Runs after the meetings' demo seeder (registered later). Idempotent: a document
    already on that meeting's agenda is left alone.
    """
    linked = 0
    officer = network.people["secretariat"]
    for code in ("WG-AI", "ADGSOM", "ADGMIN"):
        body = network.bodies[code]
        meeting = Meeting.objects.filter(body=body).upcoming().order_by("start").first()
        meeting = meeting or Meeting.objects.filter(body=body).order_by("-start").first()
        if meeting is None:
            continue
        items = list(meeting.agenda_items.filter(parent__isnull=True).order_by("position", "pk"))
        documents = Document.objects.filter(body=body).exclude(title__startswith="Synthetic").order_by("number")
        for i, document in enumerate(documents):
            if MeetingDocument.objects.filter(meeting=meeting, document=document).exists():
                continue
            # Item 1 is usually the adoption of the agenda: documents go under the items after it.
            item = items[min(i + 1, len(items) - 1)] if items else None
            link = MeetingDocument(meeting=meeting, agenda_item=item, document=document, added_by=officer)
            save_with_reason(link, "Demo: on the agenda")
            linked += 1
    if linked:
        log(f"Documents put on meeting agendas: {linked}.")


demo.register(seed_agenda_documents)
