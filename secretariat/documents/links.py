"""Seams for the apps above: where a document is used, without importing them.

The register knows no app above it. An app that links documents (meetings:
agenda items and meeting packs) registers a provider when it is ready; the
register's pages ask every provider, and each provider applies its own access
rules, so a page never names a meeting the user may not see.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from django.db.models import Q, QuerySet

from secretariat.models import User

from .models import Document


@dataclasses.dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclasses.dataclass(frozen=True)
class Provider:
    # The meetings `user` may see that link documents: [(id, label)] for the list's filter.
    meeting_choices: Callable[[User], list[tuple[int, str]]]
    # Ids of the documents linked to a meeting `user` may see (empty for the others).
    documents_of_meeting: Callable[[User, int], QuerySet]
    # Where a document is used, for its page: [Link].
    links_of: Callable[[User, Document], list[Link]]


_providers: list[Provider] = []


def register_provider(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def meeting_choices(user: User) -> list[tuple[int, str]]:
    return [choice for p in _providers for choice in p.meeting_choices(user)]


def filter_by_meeting(documents: QuerySet[Document], user: User, meeting_id: int) -> QuerySet[Document]:
    if not _providers:
        return documents.none()
    linked = Q()
    for p in _providers:
        linked |= Q(pk__in=p.documents_of_meeting(user, meeting_id))
    return documents.filter(linked)


def links_of(user: User, document: Document) -> list[Link]:
    return [link for p in _providers for link in p.links_of(user, document)]
