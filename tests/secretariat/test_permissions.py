"""The permission matrix of the network's pages and API (pretix's test_permissions).

Every URL × every named role, with the status it must answer. A record a user
may not see answers 404; a record it may see but not change, 403; an anonymous
visitor is sent to the sign-in page (pages) or refused (API). The coverage test
in tests/test_url_coverage.py fails when a URL of ours has no row anywhere.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from secretariat import delivery, services
from secretariat.models import Membership, Message, Role
from secretariat.tokens import invitation_token, unsubscribe_token

ROLES = ["officer", "chair", "sgp", "mmr", "observer", "outsider", "anonymous"]
LOGIN = 302  # an anonymous visitor is redirected to /accounts/login/


def _everyone(status: int, anonymous: int = LOGIN) -> dict[str, int]:
    return {**dict.fromkeys(ROLES, status), "anonymous": anonymous}


def _wgai_reader(officer: int, members: int, others: int = 404) -> dict[str, int]:
    """A WG-AI record: members of WG-AI (sgp, mmr, observer) see it; chair of ADGSOM and outsider do not."""
    return {
        "officer": officer,
        "chair": others,
        "sgp": members,
        "mmr": members,
        "observer": members,
        "outsider": others,
        "anonymous": LOGIN,
    }


# (url name, how to build args from the network, method, expected by role)
MATRIX = [
    ("health", lambda n: [], "get", _everyone(200, 200)),
    ("privacy", lambda n: [], "get", _everyone(200, 200)),
    ("accessibility", lambda n: [], "get", _everyone(200, 200)),
    ("profile", lambda n: [], "get", _everyone(200)),
    ("invitation_accept", lambda n: [n.token], "get", {**_everyone(302), "anonymous": 200}),
    ("workgroups:home", lambda n: [], "get", _everyone(200)),
    ("workgroups:bodies", lambda n: [], "get", _everyone(200)),
    ("workgroups:body_create", lambda n: [], "get", {**_everyone(404), "officer": 200, "anonymous": LOGIN}),
    ("workgroups:body", lambda n: [n.wgai.pk], "get", _wgai_reader(200, 200)),
    ("workgroups:body_history", lambda n: [n.wgai.pk], "get", _wgai_reader(200, 200)),
    ("workgroups:body_edit", lambda n: [n.wgai.pk], "get", _wgai_reader(200, 403)),
    ("workgroups:membership_add", lambda n: [n.wgai.pk], "get", _wgai_reader(200, 403)),
    ("workgroups:invite", lambda n: [n.wgai.pk], "get", {**_wgai_reader(200, 403), "sgp": 200}),
    ("workgroups:membership_edit", lambda n: [n.mmr_membership.pk], "get", _wgai_reader(200, 403)),
    ("workgroups:membership_end", lambda n: [n.sgp2_membership.pk], "get", {**_wgai_reader(200, 403), "sgp": 200}),
    (
        "workgroups:invitation_revoke",
        lambda n: [n.invitation.pk],
        "post",
        {**_everyone(404), "officer": 302, "anonymous": LOGIN},
    ),
    ("workgroups:people", lambda n: [], "get", {**_everyone(404), "officer": 200, "anonymous": LOGIN}),
    ("workgroups:person", lambda n: [n.mmr.pk], "get", {**_everyone(404), "officer": 200, "anonymous": LOGIN}),
    (
        "workgroups:person_deactivate",
        lambda n: [n.mmr.pk],
        "post",
        {**_everyone(404), "officer": 302, "anonymous": LOGIN},
    ),
    ("api-schema", lambda n: [], "get", _everyone(200, 200)),
    ("api-docs", lambda n: [], "get", _everyone(200, 200)),
    ("body-list", lambda n: [], "get", _everyone(200, 403)),
    ("body-detail", lambda n: [n.wgai.pk], "get", {**_wgai_reader(200, 200), "anonymous": 403}),
    ("body-detail", lambda n: [n.adgsom.pk], "get", {**_everyone(404, 403), "officer": 200, "chair": 200, "sgp": 200}),
]

MATRIX += [
    ("audit_log", lambda n: [], "get", {**_everyone(404), "officer": 200, "anonymous": LOGIN}),
    ("deliveries", lambda n: [], "get", {**_everyone(404), "officer": 200, "anonymous": LOGIN}),
    ("notifications", lambda n: [], "get", _everyone(200)),
    ("notification_read", lambda n: [], "post", _everyone(302)),
    ("notification_preferences", lambda n: [], "get", _everyone(200)),
    ("unsubscribe", lambda n: [n.unsubscribe], "get", _everyone(200, 200)),
    ("delivery_resend", lambda n: [n.message.pk], "post", {**_everyone(404), "officer": 302, "anonymous": LOGIN}),
    ("audit_export", lambda n: [], "get", {**_everyone(404), "officer": 200, "anonymous": LOGIN}),
    (
        "audit_object",
        lambda n: ["secretariat.Body", n.wgai.pk],
        "get",
        {**_everyone(404), "officer": 200, "anonymous": LOGIN},
    ),
]


@pytest.fixture
def matrix_network(network):
    delivery.register_kind("test-optional", label="Test optional", render=lambda n: None, mandatory=False)
    network.invitation = services.invite(
        by=network.officer,
        email="new.delegate@example.org",
        body=network.wgai,
        role=Role.DELEGATE,
        member_state=network.mmr.member_state,
    )
    network.token = invitation_token(network.invitation)
    network.unsubscribe = unsubscribe_token(network.mmr, "test-optional")
    network.message = Message.objects.create(
        address="x@example.org", subject_line="Hello", body_text="Hi", status="failed"
    )
    network.mmr_membership = Membership.objects.get(person=network.mmr, body=network.wgai)
    network.sgp2_membership = Membership.objects.get(person=network.sgp_delegate, body=network.wgai)
    return network


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "args", "method", "expected"), MATRIX, ids=[f"{row[0]}-{i}" for i, row in enumerate(MATRIX)]
)
def test_permission_matrix(client, matrix_network, people, role, name, args, method, expected):
    user = people[role]
    if user is not None:
        client.force_login(user)
    url = reverse(name, args=args(matrix_network))
    data = {"reason": "Left the ministry"} if method == "post" else None
    response = getattr(client, method)(url, data)
    assert response.status_code == expected[role], f"{role} {method.upper()} {url}"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    assert response["X-Content-Type-Options"] == "nosniff"
    if response.status_code == LOGIN and role == "anonymous" and not url.startswith("/api/"):
        assert response["Location"].startswith("/accounts/login/")
