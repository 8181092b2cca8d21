"""The permission matrix of the work plan and action items: every page and endpoint × every role.

The items (tests/workgroups/conftest.py): `sgp_item` and `mmr_item` are WG-AI's,
owned by Singapore's and Myanmar's delegations; `shared_item` is WG-AI's and
shared with observers; `adgsom_item` is ADGSOM's (chaired by `chair`, where
`sgp` heads Singapore's delegation); `adgmin_item` is ADGMIN's, where nobody
of the named people sits. A record a user may not see answers 404; one it may
see but not change, 403.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from workgroups import services
from workgroups.models import ReferralPurpose

from .conftest import make_item

ROLES = ["officer", "chair", "sgp", "mmr", "observer", "outsider", "anonymous"]
LOGIN = 302


def _everyone(status: int, anonymous: int = LOGIN) -> dict[str, int]:
    return {**dict.fromkeys(ROLES, status), "anonymous": anonymous}


def _wgai(officer: int, sgp: int, mmr: int, observer: int = 404, chair: int = 404) -> dict[str, int]:
    """A WG-AI record: chair (of ADGSOM) and outsider do not see it unless said otherwise."""
    return {
        "officer": officer,
        "chair": chair,
        "sgp": sgp,
        "mmr": mmr,
        "observer": observer,
        "outsider": 404,
        "anonymous": LOGIN,
    }


def _api(expected: dict[str, int]) -> dict[str, int]:
    return {**expected, "anonymous": 403}


ADGSOM_READ = {**_everyone(404), "officer": 200, "chair": 200, "sgp": 200}
OFFICER_ONLY = {**_everyone(404), "officer": 200}

MATRIX = [
    ("workgroups:action_items", lambda n: [], "get", _everyone(200)),
    ("workgroups:action_items_csv", lambda n: [], "get", _everyone(200)),
    ("workgroups:action_item_create", lambda n: [], "get", {**_everyone(404), "officer": 200, "chair": 200}),
    ("workgroups:action_item", lambda n: [n.sgp_item.pk], "get", _wgai(200, 200, 200)),
    ("workgroups:action_item", lambda n: [n.shared_item.pk], "get", _wgai(200, 200, 200, observer=200)),
    ("workgroups:action_item", lambda n: [n.adgsom_item.pk], "get", ADGSOM_READ),
    ("workgroups:action_item", lambda n: [n.adgmin_item.pk], "get", OFFICER_ONLY),
    ("workgroups:action_item", lambda n: [n.referred_item.pk], "get", _wgai(200, 200, 200, chair=200)),
    ("workgroups:action_item_edit", lambda n: [n.sgp_item.pk], "get", _wgai(200, 403, 403)),
    ("workgroups:action_item_edit", lambda n: [n.adgsom_item.pk], "get", {**ADGSOM_READ, "sgp": 403}),
    ("workgroups:action_item_start", lambda n: [n.sgp_item.pk], "post", _wgai(302, 302, 403)),
    ("workgroups:action_item_start", lambda n: [n.mmr_item.pk], "post", _wgai(302, 403, 302)),
    ("workgroups:action_item_complete", lambda n: [n.sgp_item.pk], "get", _wgai(200, 200, 403)),
    ("workgroups:action_item_complete", lambda n: [n.adgsom_item.pk], "get", ADGSOM_READ),
    ("workgroups:action_item_drop", lambda n: [n.sgp_item.pk], "get", _wgai(200, 403, 403)),
    ("workgroups:action_item_reassign", lambda n: [n.sgp_item.pk], "get", _wgai(200, 403, 403)),
    ("workgroups:action_item_post_update", lambda n: [n.sgp_item.pk], "post", _wgai(302, 302, 403)),
    ("workgroups:action_item_refer", lambda n: [n.sgp_item.pk], "get", _wgai(200, 403, 403)),
    ("workgroups:task", lambda n: [n.task.pk], "get", _wgai(200, 200, 200)),
    ("workgroups:task_edit", lambda n: [n.task.pk], "get", _wgai(200, 403, 403)),
    ("workgroups:task_refer", lambda n: [n.task.pk], "get", _wgai(200, 403, 403)),
    ("workgroups:task_create", lambda n: [n.wgai.pk], "get", _wgai(200, 404, 404)),
    ("workgroups:task_create", lambda n: [n.adgsom.pk], "get", {**_everyone(404), "officer": 200, "chair": 200}),
    ("workgroups:referral_outcome", lambda n: [n.referral.pk], "get", _wgai(200, 403, 403, chair=200)),
    ("action-item-list", lambda n: [], "get", _api(_everyone(200))),
    ("action-item-detail", lambda n: [n.sgp_item.pk], "get", _api(_wgai(200, 200, 200))),
    ("action-item-detail", lambda n: [n.shared_item.pk], "get", _api(_wgai(200, 200, 200, observer=200))),
    ("action-item-detail", lambda n: [n.adgsom_item.pk], "get", _api(ADGSOM_READ)),
    ("action-item-detail", lambda n: [n.adgmin_item.pk], "get", _api(OFFICER_ONLY)),
    ("task-list", lambda n: [], "get", _api(_everyone(200))),
    ("task-detail", lambda n: [n.task.pk], "get", _api(_wgai(200, 200, 200))),
]

POST_DATA = {"workgroups:action_item_post_update": {"text": "Consultations with the national institutes under way"}}


@pytest.fixture
def matrix_work(work):
    work.referred_item = make_item(work.officer, work.wgai, title="Regional AI incident taxonomy")
    work.referral = services.refer_to_parent_body(
        by=work.officer, action_item=work.referred_item, purpose=ReferralPurpose.ENDORSEMENT
    )
    return work


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "args", "method", "expected"), MATRIX, ids=[f"{row[0]}-{i}" for i, row in enumerate(MATRIX)]
)
def test_permission_matrix(client, matrix_work, people, role, name, args, method, expected):
    user = people[role]
    if user is not None:
        client.force_login(user)
    url = reverse(name, args=args(matrix_work))
    response = getattr(client, method)(url, POST_DATA.get(name))
    assert response.status_code == expected[role], f"{role} {method.upper()} {url}"
    if response.status_code == LOGIN and role == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
