"""One search over the record: meetings, agenda items, decisions, action items and documents.

Every source starts from its app's `visible_*` queryset, so a result is never
something the user may not read. On PostgreSQL each source is ranked with
full-text search (weighted: titles over bodies of text) and the best results of
every kind are merged by rank; on SQLite a case-insensitive substring match
stands in, titles first. One query per source, whatever the size of the record.

Extension point: a later source (tasks, minutes) is one more `Source` in
`sources()`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Case, F, FloatField, Model, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from meetings import rules as meeting_rules
from meetings.models import AgendaItem
from secretariat.documents import rules as document_rules
from secretariat.documents.search import CONFIG, document_vector, is_postgresql
from secretariat.models import User

from . import rules

# Results per kind before merging; a page shows the best of all kinds.
PER_KIND = 25


@dataclasses.dataclass(frozen=True)
class Source:
    kind: str
    queryset: Callable[[User], QuerySet]
    # (field, weight): "A" for titles, "B" and "C" for longer text.
    fields: list[tuple[str, str]]
    title: Callable[[Model], str]
    url: Callable[[Model], str]
    detail: Callable[[Model], str]
    when: Callable[[Model], dt.datetime | dt.date | None]
    vector: Callable[[], SearchVector] | None = None


@dataclasses.dataclass
class Result:
    kind: str
    title: str
    url: str
    detail: str
    when: dt.datetime | dt.date | None
    rank: float

    @property
    def moment(self) -> dt.datetime | None:
        return self.when if isinstance(self.when, dt.datetime) else None

    @property
    def day(self) -> dt.date | None:
        return self.when if isinstance(self.when, dt.date) and not isinstance(self.when, dt.datetime) else None


def _vector(fields: list[tuple[str, str]]) -> SearchVector:
    vector = None
    for field, weight in fields:
        part = SearchVector(field, weight=weight, config=CONFIG)
        vector = part if vector is None else vector + part
    return vector


def sources() -> list[Source]:
    return [
        Source(
            kind=_("Document"),
            queryset=lambda user: document_rules.visible_documents(user).select_related("body"),
            fields=[("symbol", "A"), ("title", "A"), ("description", "C")],
            vector=document_vector,
            title=lambda d: f"{d.symbol} — {d.title}",
            url=lambda d: d.get_absolute_url(),
            detail=lambda d: d.get_classification_display(),
            when=lambda d: d.created_at,
        ),
        Source(
            kind=_("Meeting"),
            queryset=lambda user: meeting_rules.visible_meetings(user).select_related("body"),
            fields=[("title", "A"), ("venue", "B")],
            title=lambda m: m.title,
            url=lambda m: m.get_absolute_url(),
            detail=lambda m: m.get_status_display(),
            when=lambda m: m.start,
        ),
        Source(
            kind=_("Agenda item"),
            queryset=lambda user: AgendaItem.objects.filter(
                meeting__in=meeting_rules.visible_meetings(user)
            ).select_related("meeting"),
            fields=[("title", "A"), ("notes", "C"), ("outcome", "B")],
            title=lambda i: i.title,
            url=lambda i: f"{i.meeting.get_absolute_url()}#item-{i.pk}",
            detail=lambda i: i.meeting.title,
            when=lambda i: i.meeting.start,
        ),
        Source(
            kind=_("Decision"),
            queryset=lambda user: meeting_rules.visible_decisions(user).select_related("meeting"),
            fields=[("text", "A")],
            title=lambda d: d.text[:140],
            url=lambda d: f"{d.meeting.get_absolute_url()}#decisions",
            detail=lambda d: f"{d.get_kind_display()}, {d.meeting.title}",
            when=lambda d: d.recorded_at,
        ),
        Source(
            kind=_("Action item"),
            queryset=lambda user: rules.visible_action_items(user).select_related("body"),
            fields=[("title", "A"), ("description", "C")],
            title=lambda a: a.title,
            url=lambda a: a.get_absolute_url(),
            detail=lambda a: f"{a.get_status_display()}, {a.body.code}",
            when=lambda a: a.due_date,
        ),
    ]


def _ranked(source: Source, rows: QuerySet, text: str) -> QuerySet:
    if is_postgresql():
        query = SearchQuery(text, search_type="websearch", config=CONFIG)
        vector = source.vector() if source.vector else _vector(source.fields)
        return (
            rows.annotate(search=vector, rank=SearchRank(vector, query))
            .filter(search=query)
            .order_by(F("rank").desc(), "-pk")
        )
    title_fields = [f for f, weight in source.fields if weight == "A"]
    anywhere = Q()
    for field, _weight in source.fields:
        anywhere |= Q(**{f"{field}__icontains": text})
    in_title = Q()
    for field in title_fields:
        in_title |= Q(**{f"{field}__icontains": text})
    rank = Case(When(in_title, then=Value(1.0)), default=Value(0.5), output_field=FloatField())
    return rows.filter(anywhere).annotate(rank=rank).order_by(F("rank").desc(), "-pk")


def search(user: User, text: str, *, per_kind: int = PER_KIND) -> list[Result]:
    """The best matches of every kind the user may see, best first."""
    text = text.strip()
    if not text:
        return []
    results = []
    for source in sources():
        for row in _ranked(source, source.queryset(user), text)[:per_kind]:
            results.append(
                Result(
                    kind=str(source.kind),
                    title=source.title(row),
                    url=source.url(row),
                    detail=source.detail(row),
                    when=source.when(row),
                    rank=float(row.rank),
                )
            )
    results.sort(key=lambda r: r.rank, reverse=True)
    return results
