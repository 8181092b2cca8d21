"""Notifications through the delivery engine: assigned, status changed, referral outcome, due and overdue."""

from __future__ import annotations

import time_machine
from django.utils import timezone

from secretariat import delivery
from secretariat.models import Notification
from tests.factories import state
from workgroups import services
from workgroups.models import ReferralOutcome, ReferralPurpose

from .conftest import days, make_item


def _render(notification: Notification) -> delivery.EmailContent:
    return delivery.kinds()[notification.kind].render(notification)


def _subjects(address: str) -> list[str]:
    """Each planned notification to `address`, rendered as the sweep will (it may digest them later)."""
    return sorted(_render(n).subject for n in Notification.objects.filter(address=address))


def test_every_kind_renders_a_message_naming_the_item(work):
    services.start_action_item(work.sgp_item, by=work.sgp_delegate)
    services.complete_action_item(work.sgp_item, by=work.sgp_delegate, note="Mapped all eleven")
    referral = services.refer_to_parent_body(by=work.officer, task=work.task, purpose=ReferralPurpose.ENDORSEMENT)
    services.record_referral_outcome(referral, by=work.chair, outcome=ReferralOutcome.ENDORSED)
    assert {
        "Action item for you: Map national AI safety institutes (WG-AI)",
        "Done: Map national AI safety institutes",
        "In progress: Map national AI safety institutes",
    } <= set(_subjects(work.sgp.email))
    assert "WG-AI refers to ADGSOM for endorsement: Regional AI safety testing guidelines" in _subjects(
        work.chair.email
    )
    assert "ADGSOM: Endorsed — Regional AI safety testing guidelines" in _subjects(work.officer.email)
    done = _render(Notification.objects.get(address=work.officer.email, kind="action_item_status", occurrence="done"))
    assert "Mapped all eleven" in done.text
    assert f"/action-items/{work.sgp_item.pk}/" in done.text
    assert "Mapped all eleven" in done.html


def test_owners_are_reminded_before_the_due_date_once(work):
    item = make_item(work.officer, work.wgai, owner_state=state("MMR"), due=2)
    Notification.objects.all().delete()
    now = timezone.now()
    delivery.plan(now)
    delivery.plan(now)
    rows = Notification.objects.filter(kind="action_item_due", object_id=item.pk)
    assert list(rows.values_list("address", "occurrence")) == [(work.mmr.email, f"due-{item.due_date.isoformat()}")]


def test_an_overdue_item_is_escalated_to_the_head_of_delegation_and_the_secretariat(work):
    item = make_item(work.officer, work.wgai, owner_state=state("SGP"), assignees=[work.sgp_delegate], due=1)
    Notification.objects.all().delete()
    with time_machine.travel(days(3)):
        delivery.plan(timezone.now())
        delivery.plan(timezone.now())
    addresses = set(
        Notification.objects.filter(kind="action_item_overdue", object_id=item.pk).values_list("address", flat=True)
    )
    assert addresses == {work.sgp.email, work.sgp_delegate.email, work.officer.email}
    assert Notification.objects.filter(kind="action_item_overdue", object_id=item.pk).count() == 3
