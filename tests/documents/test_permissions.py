"""The permission matrix of the document register: pages, downloads, circulation, links, API.

Every URL × every named role, with the status it must answer. What a user may
not see answers 404 (its existence does not leak); what it may see but not do,
403; a bad one-click link, 400 with the reason; an anonymous visitor is sent to
the sign-in page (pages) or refused (API).

The WG-AI documents are read by its members sgp and mmr (not by its observer);
the confidential one names mmr alone; the ADGSOM one is read by chair and sgp.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from meetings import services as meeting_services
from secretariat.documents import services, tokens
from secretariat.documents.models import CirculationMode, CirculationRecipient
from tests.meetings.conftest import make_meeting

ROLES = ["officer", "chair", "sgp", "mmr", "observer", "outsider", "anonymous"]
LOGIN = 302


def _everyone(status: int, anonymous: int = LOGIN) -> dict[str, int]:
    return {**dict.fromkeys(ROLES, status), "anonymous": anonymous}


def _readers(*names: str, status: int = 200, others: int = 404, anonymous: int = LOGIN, **special: int) -> dict:
    expected = {**dict.fromkeys(ROLES, others), "anonymous": anonymous}
    expected.update(dict.fromkeys(names, status))
    expected.update(special)
    return expected


WGAI = ("officer", "sgp", "mmr")  # readers of a restricted WG-AI document
ADGSOM = ("officer", "chair", "sgp")
SECRETARIAT_ONLY = _readers("officer")
# A WG-AI record its members may see but only the secretariat may change.
WGAI_WRITE = _readers("officer", sgp=403, mmr=403)

MATRIX = [
    ("documents:list", lambda n: [], "get", _everyone(200)),
    ("documents:create", lambda n: [], "get", SECRETARIAT_ONLY),
    ("documents:detail", lambda n: [n.docs.public.pk], "get", _everyone(200)),
    ("documents:detail", lambda n: [n.docs.restricted.pk], "get", _readers(*WGAI)),
    ("documents:detail", lambda n: [n.docs.confidential.pk], "get", _readers("officer", "mmr")),
    ("documents:detail", lambda n: [n.docs.adgsom.pk], "get", _readers(*ADGSOM)),
    ("documents:edit", lambda n: [n.docs.restricted.pk], "get", WGAI_WRITE),
    ("documents:history", lambda n: [n.docs.restricted.pk], "get", _readers(*WGAI)),
    ("documents:version_add", lambda n: [n.docs.restricted.pk], "get", WGAI_WRITE),
    ("documents:download", lambda n: [n.docs.restricted.pk, n.v.restricted], "get", _readers(*WGAI)),
    ("documents:download", lambda n: [n.docs.confidential.pk, n.v.confidential], "get", _readers("officer", "mmr")),
    ("documents:download", lambda n: [n.docs.adgsom.pk, n.v.adgsom], "get", _readers(*ADGSOM)),
    ("documents:download", lambda n: [n.docs.public.pk, n.v.public], "get", _everyone(200)),
    # A version of another document under this document's path: never found.
    ("documents:download", lambda n: [n.docs.public.pk, n.v.adgsom], "get", _everyone(404)),
    ("documents:circulate", lambda n: [n.docs.restricted.pk], "get", WGAI_WRITE),
    ("documents:circulation", lambda n: [n.docs.restricted.pk, n.silence.pk], "get", _readers(*WGAI)),
    ("documents:circulation", lambda n: [n.docs.public.pk, n.silence.pk], "get", _everyone(404)),
    # An empty answer from a delegate is re-shown with errors (400); the secretariat answers for no state.
    (
        "documents:answer",
        lambda n: [n.docs.restricted.pk, n.silence.pk],
        "post",
        _readers(*WGAI, officer=403, sgp=400, mmr=400),
    ),
    (
        "documents:acknowledge",
        lambda n: [n.docs.public.pk, n.info.pk],
        "post",
        _readers("sgp", "mmr", "observer", status=302, others=403),
    ),
    (
        "documents:withdraw",
        lambda n: [n.docs.restricted.pk, n.silence.pk],
        "post",
        _readers("officer", status=302, sgp=403, mmr=403),
    ),
    ("documents:link", lambda n: ["no_objection", n.mmr_token], "get", _readers("mmr", others=400)),
    # The meeting pack and the agenda links live in meetings; readers of the WG-AI meeting get a pack.
    ("meetings:pack", lambda n: [n.meeting.pk], "get", _readers(*WGAI)),
    # An empty POST comes back as the form with its errors (200); the others may not write.
    ("meetings:document_link", lambda n: [n.meeting.pk], "post", _readers("officer", status=200, sgp=403, mmr=403)),
    ("meetings:document_link", lambda n: [n.meeting.pk], "get", _readers("officer", status=200, sgp=403, mmr=403)),
    (
        "meetings:document_unlink",
        lambda n: [n.meeting.pk, n.link.pk],
        "post",
        _readers("officer", status=302, sgp=403, mmr=403),
    ),
    ("workgroups:search", lambda n: [], "get", _everyone(200)),
    # The API: the same rules; an anonymous client is refused (403), never redirected.
    ("document-list", lambda n: [], "get", _everyone(200, anonymous=403)),
    ("document-detail", lambda n: [n.docs.restricted.pk], "get", _readers(*WGAI, anonymous=403)),
    ("document-detail", lambda n: [n.docs.confidential.pk], "get", _readers("officer", "mmr", anonymous=403)),
    ("document-detail", lambda n: [n.docs.adgsom.pk], "get", _readers(*ADGSOM, anonymous=403)),
    ("circulation-list", lambda n: [], "get", _everyone(200, anonymous=403)),
    ("circulation-detail", lambda n: [n.silence.pk], "get", _readers(*WGAI, anonymous=403)),
    # No answer in the request: refused as invalid (400) for whoever may see the circulation.
    ("circulation-answer", lambda n: [n.silence.pk], "post", _readers(*WGAI, status=400, anonymous=403)),
    (
        "circulation-acknowledge",
        lambda n: [n.info.pk],
        "post",
        _readers("sgp", "mmr", "observer", others=403, anonymous=403),
    ),
]


@pytest.fixture
def matrix_network(network, docs):
    deadline = timezone.now() + dt.timedelta(days=5)
    network.docs = docs
    network.v = SimpleNamespace(**{name: doc.versions.get().pk for name, doc in vars(docs).items()})
    network.silence = services.circulate_document(
        docs.restricted.versions.get(),
        by=network.officer,
        mode=CirculationMode.SILENCE,
        deadline=deadline,
        bodies=[network.wgai],
    )
    network.info = services.circulate_document(
        docs.public.versions.get(),
        by=network.officer,
        mode=CirculationMode.INFORMATION,
        bodies=[network.wgai],
        persons=[network.observer],
    )
    network.meeting = meeting_services.schedule_meeting(make_meeting(network.officer, network.wgai), by=network.officer)
    network.link = meeting_services.link_document(network.meeting, by=network.officer, document=docs.restricted)
    meeting_services.link_document(network.meeting, by=network.officer, document=docs.adgsom)
    row = CirculationRecipient.objects.get(circulation=network.silence, person=network.mmr)
    network.mmr_token = tokens.make_token(row, "no_objection")
    return network


@pytest.mark.parametrize(
    ("name", "args", "method", "expected"), MATRIX, ids=[f"{row[0]}-{i}" for i, row in enumerate(MATRIX)]
)
def test_permission_matrix(client, matrix_network, people, name, args, method, expected):
    """One row, every role (the roles share the row's set-up: documents and circulations are costly to make)."""
    url = reverse(name, args=args(matrix_network))
    data = {"reason": "Superseded by a new revision"} if method == "post" else None
    wrong = []
    for role in ROLES:
        client.logout()
        if people[role] is not None:
            client.force_login(people[role])
        with transaction.atomic():
            response = getattr(client, method)(url, data)
            transaction.set_rollback(True)  # a POST by one role must not change what the next one meets
        if response.status_code != expected[role]:
            wrong.append(f"{role}: {response.status_code}, expected {expected[role]}")
        assert response["X-Content-Type-Options"] == "nosniff"
        if response.status_code == LOGIN and role == "anonymous" and not url.startswith("/api/"):
            assert response["Location"].startswith("/accounts/login/")
    assert not wrong, f"{method.upper()} {url}: " + "; ".join(wrong)
