"""Notifications through the delivery engine: assigned, status changed, referral outcome, due and overdue."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone
from django.utils.formats import date_format

from secretariat import delivery
from secretariat.models import Notification
from tests.factories import state
from workgroups import reminders, services
from workgroups.models import ReferralOutcome, ReferralPurpose, start_of

from .conftest import days, make_item


def _render(notification: Notification) -> delivery.EmailContent:
    return delivery.kinds()[notification.kind].render(notification)


def _at(day: int, *, hour: int = 3) -> dt.datetime:
    """`day` days from today, at `hour` in the secretariat's zone (the sweep's calendar)."""
    return start_of(days(day)) + dt.timedelta(hours=hour)


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


def test_owners_are_reminded_three_days_before_and_on_the_day_once_each(work):
    item = make_item(work.officer, work.wgai, owner_state=state("MMR"), due=2)
    Notification.objects.all().delete()
    for day in (0, 1, 2):  # two days before (within the three), the day before, the due date
        with time_machine.travel(_at(day), tick=False):
            delivery.plan(timezone.now())
            delivery.plan(timezone.now())
    rows = Notification.objects.filter(kind="action_item_due", object_id=item.pk).order_by("pk")
    due = item.due_date.isoformat()
    assert list(rows.values_list("address", "occurrence")) == [
        (work.mmr.email, f"due-3d-{due}"),
        (work.mmr.email, f"due-0d-{due}"),
    ]
    first, on_the_day = (_render(n) for n in rows)
    assert first.subject == f"Due on {date_format(item.due_date, 'j M')}: {item.title}"
    assert on_the_day.subject == f"Due today: {item.title}"
    assert "falls due today" in on_the_day.text


def test_a_late_sweep_sends_the_latest_due_reminder_only(work):
    item = make_item(work.officer, work.wgai, owner_state=state("MMR"), due=10)
    Notification.objects.all().delete()
    with time_machine.travel(_at(10), tick=False):  # the sweeps of days 7 to 9 never ran
        delivery.plan(timezone.now())
    rows = Notification.objects.filter(kind__in=reminders.REMINDER_KINDS, object_id=item.pk)
    assert list(rows.values_list("occurrence", flat=True)) == [f"due-0d-{item.due_date.isoformat()}"]


def test_an_overdue_item_is_chased_weekly_and_escalated_after_two_reminders(work):
    item = make_item(work.officer, work.wgai, owner_state=state("SGP"), assignees=[work.sgp_delegate], due=1)
    Notification.objects.all().delete()
    owners = {work.sgp.email, work.sgp_delegate.email}  # sgp heads Singapore's delegation in WG-AI
    overdue = Notification.objects.filter(kind="action_item_overdue", object_id=item.pk)
    due = item.due_date.isoformat()
    expected: set[tuple[str, str]] = set()
    for number, day in enumerate((2, 9, 16, 23), start=1):  # the day after the due date, then weekly
        with time_machine.travel(_at(day - 1, hour=20), tick=False):  # the evening before
            delivery.plan(timezone.now())
        assert set(overdue.values_list("address", "occurrence")) == expected
        with time_machine.travel(_at(day), tick=False):
            delivery.plan(timezone.now())
            delivery.plan(timezone.now())
        people = owners | ({work.officer.email} if number > 2 else set())  # the head is among the owners
        expected |= {(address, f"overdue-{number}-{due}") for address in people}
        assert set(overdue.values_list("address", "occurrence")) == expected
    third = _render(overdue.get(address=work.officer.email, occurrence=f"overdue-3-{due}"))
    assert third.subject == f"Overdue, escalated: {item.title}"
    assert "This is reminder 3 since the due date." in third.text
    assert "still open after 2 reminders, the head of delegation and the secretariat" in third.text
    assert "escalated" not in _render(overdue.get(occurrence=f"overdue-1-{due}", address=work.sgp.email)).subject


def test_an_item_long_overdue_is_left_to_the_meeting(work):
    with time_machine.travel(_at(-75), tick=False):
        item = make_item(work.officer, work.wgai, owner_state=state("MMR"), due=5)  # due 70 days ago
    assert item.reminder_plan.next_at is not None  # still open, never swept: the sweep looks, then stops looking
    Notification.objects.all().delete()
    assert delivery.plan(timezone.now()) == 0
    item.reminder_plan.refresh_from_db()
    assert item.reminder_plan.next_at is None
    assert not Notification.objects.filter(kind__in=reminders.REMINDER_KINDS, object_id=item.pk).exists()


def test_the_cadence_follows_the_settings_table(work, settings):
    settings.REMINDERS = {
        **settings.REMINDERS,
        "action_item_due": {"before": [dt.timedelta(days=5)]},
        "action_item_overdue": {"every": dt.timedelta(days=2), "escalate_after": 0, "until": dt.timedelta(days=3)},
    }
    item = make_item(work.officer, work.wgai, owner_state=state("MMR"), due=5)
    assert item.reminder_plan.next_at == start_of(item.due_date - dt.timedelta(days=5))
    Notification.objects.all().delete()
    for day in range(12):
        with time_machine.travel(_at(day), tick=False):
            delivery.plan(timezone.now())
    due = item.due_date.isoformat()
    rows = Notification.objects.filter(kind__in=reminders.REMINDER_KINDS, object_id=item.pk)
    # 5 days before; overdue on days 1 and 3 after the due date, escalated at once; none after 3 days.
    assert sorted(set(rows.values_list("occurrence", flat=True))) == [
        f"due-5d-{due}",
        f"overdue-1-{due}",
        f"overdue-2-{due}",
    ]
    assert set(rows.filter(occurrence=f"overdue-1-{due}").values_list("address", flat=True)) == {
        work.mmr.email,
        work.officer.email,
    }
