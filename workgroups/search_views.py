"""The search page behind the header's search box (/search/)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .search import search


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    # PostgreSQL text cannot hold a NUL byte; nobody types one.
    query = request.GET.get("q", "")[:200].replace("\x00", "").strip()
    results = search(request.user, query) if query else []
    kinds: dict[str, int] = {}
    for result in results:
        kinds[result.kind] = kinds.get(result.kind, 0) + 1
    return render(request, "workgroups/search.html", {"query": query, "results": results, "kinds": kinds})
