"""Named people of the network, shared by every test (healthchecks' alice/bob).

- officer: secretariat officer (sees every record)
- chair: chair of ADGSOM (from Malaysia)
- sgp: Singapore's head of delegation in WG-AI and ADGSOM
- mmr: Myanmar's delegate in WG-AI only
- observer: observer in WG-AI
- outsider: an account with no membership

`restore_migration_data`: for transactional tests, which leave the database empty.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.db import connection

from secretariat.models import Role, secretariat_group
from tests.factories import BodyFactory, MembershipFactory, UserFactory, ensure_reference_data, state

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _reachable(url: str, port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or port), timeout=1):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Outside CI, skip what needs a missing service; in CI nothing is skipped."""
    if CI:
        return
    redis_up = _reachable(settings.CELERY_BROKER_URL, 6379)
    chromium = bool(shutil.which("chromium")) or os.path.exists("/usr/bin/chromium")
    for item in items:
        if "integration" in item.keywords and not redis_up:
            item.add_marker(pytest.mark.skip(reason="Redis is unreachable"))
        if "browser" in item.keywords and not chromium:
            item.add_marker(pytest.mark.skip(reason="Chromium is not installed (apt-get install -y chromium)"))


@pytest.fixture(autouse=True)
def _fast_passwords(settings: object) -> None:
    # Password hashing is slow by design; tests need speed, not resistance.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Rate-limit counters live in the shared cache: start every test clean.
    from django.core.cache import cache

    prefix = settings.CACHES["default"].get("KEY_PREFIX")
    if prefix and hasattr(cache, "_cache"):
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_content_types(request: pytest.FixtureRequest) -> None:
    """A transactional test starts from a flushed and restored database, whose content types
    may carry other ids than the ones this process cached: look them up afresh."""
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction")):
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()


@pytest.fixture
def cold_pages(settings: object) -> None:
    """Pages rendered by their views every time (secretariat.pagecache off): for query counts."""
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture
def network(db: object) -> SimpleNamespace:
    """The three bodies of the pipeline and the named people."""
    ensure_reference_data()
    adgmin = BodyFactory(code="ADGMIN", name="ASEAN Digital Ministers' Meeting")
    adgsom = BodyFactory(code="ADGSOM", name="ASEAN Digital Senior Officials' Meeting", parent=adgmin)
    wgai = BodyFactory(code="WG-AI", name="Working Group on AI Governance", parent=adgsom)

    officer = UserFactory(email="officer@example.org", display_name="Olivia Officer", time_zone="Asia/Kuala_Lumpur")
    officer.groups.add(secretariat_group())
    chair = UserFactory(email="chair@example.org", display_name="Chandra Chair", member_state=state("MYS"))
    sgp = UserFactory(email="sgp@example.org", display_name="Siew Ling (SGP)", member_state=state("SGP"))
    sgp_delegate = UserFactory(email="sgp2@example.org", display_name="Sanjay (SGP)", member_state=state("SGP"))
    mmr = UserFactory(email="mmr@example.org", display_name="Min Thu (MMR)", member_state=state("MMR"))
    observer = UserFactory(email="observer@example.org", display_name="Oscar Observer")
    outsider = UserFactory(email="outsider@example.org", display_name="Otto Outsider", member_state=state("THA"))

    # Officers and chairs must use a second factor outside demo mode: these have one.
    for person in (officer, chair):
        TOTP.activate(person, generate_totp_secret())
    MembershipFactory(person=chair, body=adgsom, role=Role.CHAIR)
    MembershipFactory(person=sgp, body=wgai, role=Role.HEAD)
    MembershipFactory(person=sgp, body=adgsom, role=Role.HEAD)
    MembershipFactory(person=sgp_delegate, body=wgai, role=Role.DELEGATE)
    MembershipFactory(person=mmr, body=wgai, role=Role.DELEGATE)
    MembershipFactory(person=observer, body=wgai, role=Role.OBSERVER, member_state=None)
    return SimpleNamespace(
        adgmin=adgmin,
        adgsom=adgsom,
        wgai=wgai,
        officer=officer,
        chair=chair,
        sgp=sgp,
        sgp_delegate=sgp_delegate,
        mmr=mmr,
        observer=observer,
        outsider=outsider,
    )


@pytest.fixture
def people(network: SimpleNamespace) -> dict[str, object]:
    """Roles of the permission matrix, by name (anonymous is None)."""
    return {
        "officer": network.officer,
        "chair": network.chair,
        "sgp": network.sgp,
        "mmr": network.mmr,
        "observer": network.observer,
        "outsider": network.outsider,
        "anonymous": None,
    }


@pytest.fixture(scope="session")
def restore_migration_data(django_db_setup: None, django_db_blocker: object) -> Iterator[None]:
    """At the end of the session, put back the rows the migrations loaded (member states...).

    A transactional test empties the database when it ends. Serialized rollback
    reloads those rows when each such test starts, but the last one leaves the
    database empty, and with --reuse-db the next session would start without them.
    """
    yield
    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        with django_db_blocker.unblock():
            # Saving a serialized row updates it if it is still there: safe either way.
            connection.creation.deserialize_db_from_string(contents)
