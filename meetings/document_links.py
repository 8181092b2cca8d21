"""Documents on the agenda, as the document register sees them.

The register (a lower layer) knows no meeting; this provider tells it, under the
meetings' own access rules, which meetings link a document and which documents
a meeting links. Registered when the app is ready.
"""

from __future__ import annotations

from django.db.models import QuerySet

from secretariat.documents import links
from secretariat.models import User

from . import rules
from .models import MeetingDocument


def meeting_choices(user: User) -> list[tuple[int, str]]:
    meetings = rules.visible_meetings(user).filter(document_links__isnull=False).distinct().order_by("-start")
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
