"""Every URL of ours has a row in a permission matrix, so none slips through.

The matrices live in tests/<app>/test_permissions.py as a module-level MATRIX
list of (url name, args builder, method, expected status by role). Third-party
URLs (the admin, allauth) are covered by their own projects and listed here.
"""

from __future__ import annotations

import importlib
import pkgutil

from django.urls import URLPattern, URLResolver, get_resolver

import tests

THIRD_PARTY_PREFIXES = ("admin/", "accounts/")
# Our own pages that live under accounts/ are ours nonetheless.
OURS_UNDER_ACCOUNTS = {"profile", "invitation_accept"}


def _names(resolver: URLResolver, prefix: str = "", namespace: str = "") -> set[tuple[str, str]]:
    found = set()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found |= _names(pattern, route, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.add((namespace + pattern.name, route))
    return found


def _matrix_names() -> set[str]:
    names = set()
    for module in pkgutil.walk_packages(tests.__path__, "tests."):
        if module.name.endswith(".test_permissions"):
            names |= {row[0] for row in getattr(importlib.import_module(module.name), "MATRIX", [])}
    return names


def test_every_url_of_ours_has_a_row_in_a_permission_matrix():
    ours = {
        name
        for name, route in _names(get_resolver())
        if not route.startswith(THIRD_PARTY_PREFIXES) or name in OURS_UNDER_ACCOUNTS
    }
    # DRF's format-suffix twins and the API root share their view's rules.
    ours = {name for name in ours if not name.endswith("-root")}
    missing = sorted(ours - _matrix_names())
    assert not missing, f"URLs without a permission-matrix row: {missing}"
