"""The work of the named network: WG-AI's plan and items of Singapore, Myanmar and ADGSOM.

- `sgp_item`: WG-AI, owned by Singapore's delegation (sgp heads it, sgp_delegate sits in it)
- `mmr_item`: WG-AI, owned by Myanmar's delegation (mmr)
- `shared_item`: WG-AI, owned by the secretariat, shared with observers
- `adgsom_item`: ADGSOM, owned by Singapore (sgp heads it there too; chair chairs ADGSOM)
- `adgmin_item`: ADGMIN, owned by the secretariat (nobody of the network sits in ADGMIN)
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.factories import state
from workgroups import services
from workgroups.models import ActionItem, OwnerKind, Task


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def make_item(
    by, body, *, title: str = "Draft the AI incident reporting template", due: int = 30, **kwargs
) -> ActionItem:
    kwargs.setdefault("owner_kind", OwnerKind.STATE if kwargs.get("owner_state") else OwnerKind.SECRETARIAT)
    return services.create_action_item(by=by, body=body, title=title, due_date=days(due), **kwargs)


def make_task(by, body, *, title: str = "Regional AI safety testing guidelines", **kwargs) -> Task:
    kwargs.setdefault("start", days(-60))
    kwargs.setdefault("end", days(300))
    return services.create_task(by=by, body=body, title=title, **kwargs)


@pytest.fixture
def work(network: SimpleNamespace) -> SimpleNamespace:
    officer = network.officer
    network.task = make_task(officer, network.wgai, lead_states=[state("SGP")])
    network.sgp_item = make_item(
        officer, network.wgai, title="Map national AI safety institutes", owner_state=state("SGP"), task=network.task
    )
    network.mmr_item = make_item(
        officer, network.wgai, title="Translate the guide into Burmese", owner_state=state("MMR")
    )
    network.shared_item = make_item(
        officer, network.wgai, title="Summary for dialogue partners", shared_with_observers=True
    )
    network.adgsom_item = make_item(
        officer, network.adgsom, title="Endorse the AI safety roadmap", owner_state=state("SGP")
    )
    network.adgmin_item = make_item(officer, network.adgmin, title="Ministerial statement on AI safety")
    return network
