"""Text search over the register: PostgreSQL full-text search, a plain scan on SQLite.

On PostgreSQL the weighted vector below is indexed (GIN, migration 0006: the
index expression is this very expression), the query is read as a web search
(`"exact phrase"`, `-word`, `or`), and results are ranked. Symbols such as
`WG-AI/2026/DOC.3` are matched as text too, since the parser splits them.
On SQLite (the embedded default) a case-insensitive substring match stands in.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.fields import FloatField

CONFIG = "english"


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def document_vector() -> SearchVector:
    return (
        SearchVector("symbol", weight="A", config=CONFIG)
        + SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("description", weight="C", config=CONFIG)
    )


def search_documents(documents: QuerySet, text: str) -> QuerySet:
    """Filter by `text` and annotate `rank` (0 on SQLite); order by rank, best first."""
    text = text.strip()
    if not text:
        return documents
    if not is_postgresql():
        plain = Q(symbol__icontains=text) | Q(title__icontains=text) | Q(description__icontains=text)
        return documents.filter(plain).annotate(rank=Value(0.0, output_field=FloatField()))
    query = SearchQuery(text, search_type="websearch", config=CONFIG)
    matches = documents.annotate(search=document_vector(), rank=SearchRank(document_vector(), query))
    condition = Q(search=query)
    if "/" in text or "." in text:
        condition |= Q(symbol__icontains=text)
    return matches.filter(condition).order_by(F("rank").desc(), "-year", "-number")
