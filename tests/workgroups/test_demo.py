"""The demo work plan: every state of an action item, each body's own items, idempotent, scalable."""

from __future__ import annotations

from django.core.management import call_command

from secretariat.models import Body, User
from workgroups import rules
from workgroups.demo import SYNTHETIC_PER_SCALE, SYNTHETIC_PREFIX
from workgroups.models import ActionItem, ActionItemStatus, ProgressUpdate, Referral, Task


def _person(email: str) -> User:
    return User.objects.get(email=f"{email}@asean-ai-safe.example")


def test_the_demo_seeds_wg_ais_work_plan_and_items_in_every_state(db):
    call_command("seed_demo", verbosity=0)
    wgai = Body.objects.get(code="WG-AI")
    assert 6 <= Task.objects.filter(body=wgai).count() <= 10
    assert {t.framework for t in Task.objects.filter(body=wgai)} >= {
        "roadmap_2025_2030",
        "guide_ai_governance",
        "guide_generative_ai",
        "digital_masterplan_2025",
    }
    assert set(ActionItem.objects.values_list("status", flat=True)) == set(ActionItemStatus.values)
    assert ActionItem.objects.overdue().exists()
    assert ActionItem.objects.due_within(7).exists()
    assert ActionItem.objects.filter(body=wgai).values("owner_state").distinct().count() >= 6
    assert Referral.objects.pending().exists()
    assert Referral.objects.exclude(outcome="pending").exists()


def test_singapores_delegate_sees_several_of_its_own_and_myanmars_sees_no_adgsom_or_adgmin_item(db):
    call_command("seed_demo", verbosity=0)
    sgp, mmr = _person("delegate.sgp"), _person("delegate.mmr")
    own = rules.visible_action_items(sgp).open().owned_by_or_assigned_to(sgp)
    assert own.count() >= 3
    assert own.overdue().exists()
    seen = rules.visible_action_items(mmr)
    assert not seen.filter(body__code__in=["ADGSOM", "ADGMIN"]).exists()
    assert ActionItem.objects.filter(body__code="ADGSOM").exists()
    assert ActionItem.objects.filter(body__code="ADGMIN").exists()
    assert rules.visible_action_items(_person("observer")).count() < seen.count()


def test_the_demo_is_idempotent_and_scale_adds_synthetic_items(db):
    call_command("seed_demo", verbosity=0)
    plain = (Task.objects.count(), ActionItem.objects.count(), ActionItem.history.count())
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", scale=1, verbosity=0)
    assert (Task.objects.count(), ActionItem.objects.count(), ActionItem.history.count()) == plain
    call_command("seed_demo", scale=2, verbosity=0)
    assert ActionItem.objects.count() == plain[1] + SYNTHETIC_PER_SCALE
    call_command("seed_demo", scale=2, verbosity=0)
    assert ActionItem.objects.count() == plain[1] + SYNTHETIC_PER_SCALE
    synthetic = ActionItem.objects.filter(title__startswith=SYNTHETIC_PREFIX)
    # Every synthetic item has a thread, and a closed one records how it got there:
    # recorded open, started, done, each on its own day, by someone, for a reason.
    assert not synthetic.filter(updates__isnull=True).exists()
    done = synthetic.filter(status="done").first()
    thread = list(done.updates.order_by("created_at").values_list("status", flat=True))
    assert thread == ["", "in_progress", "", "", "done"]
    assert ProgressUpdate.history.filter(action_item_id=done.pk).count() == 5
    record = list(ActionItem.history.filter(id=done.pk).order_by("history_date"))
    statuses = [r.status for r in record]
    assert statuses[0] == "open"
    assert statuses[-2:] == ["in_progress", "done"]
    assert [r.history_type for r in record] == ["+"] + ["~"] * (len(record) - 1)
    assert all(r.history_user_id and r.history_change_reason for r in record)
    assert record[0].history_date == done.created_at
    assert record[-1].history_date == done.closed_at
    assert ActionItem.history.count() > plain[2] + 2 * SYNTHETIC_PER_SCALE
