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
    assert ActionItem.history.count() == plain[2] + SYNTHETIC_PER_SCALE
    synthetic = ActionItem.objects.filter(title__startswith=SYNTHETIC_PREFIX)
    # Every synthetic item has a thread, and a closed one records how it got there.
    assert not synthetic.filter(updates__isnull=True).exists()
    done = synthetic.filter(status="done").first()
    assert list(done.updates.order_by("created_at").values_list("status", flat=True)) == ["", "in_progress", "done"]
    assert ProgressUpdate.history.filter(action_item_id=done.pk).count() == 3
