"""Audit: every model is tracked or exempt with a reason; writes cannot skip history."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from secretariat.history import (
    UntrackedWriteError,
    acting_as,
    bulk_create_with_history,
    update_with_history,
)
from secretariat.models import Body, Membership, Role, User
from tests.factories import state

OUR_APPS = ("secretariat", "meetings", "workgroups")


def _our_models():
    for app in OUR_APPS:
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical"):
                continue
            yield model


def test_every_model_of_the_three_apps_is_tracked_or_exempt_with_a_reason():
    untracked = []
    for model in _our_models():
        label = model._meta.label
        tracked = hasattr(model, "history") and hasattr(model.history, "model")
        if not tracked and label not in settings.AUDIT_EXEMPT_MODELS:
            untracked.append(label)
    assert not untracked, f"Models with neither history nor an exemption: {untracked}"


def test_exempt_models_are_operational_tables_with_a_reason_and_carry_no_history():
    for label, reason in settings.AUDIT_EXEMPT_MODELS.items():
        model = apps.get_model(label)
        assert reason.strip(), label
        assert not hasattr(model, "history"), f"{label} is exempt but tracked"


def test_user_history_leaves_out_the_password_hash_and_last_login():
    fields = {f.name for f in User.history.model._meta.get_fields()}
    assert "password" not in fields
    assert "last_login" not in fields
    assert "email" in fields


def test_queryset_update_on_a_tracked_model_is_refused(network):
    with pytest.raises(UntrackedWriteError):
        Body.objects.filter(pk=network.wgai.pk).update(name="Renamed behind the record's back")
    network.wgai.refresh_from_db()
    assert network.wgai.name == "Working Group on AI Governance"


def test_bulk_create_on_a_tracked_model_is_refused(db):
    with pytest.raises(UntrackedWriteError):
        Body.objects.bulk_create([Body(code="X1", name="x")])


def test_the_bulk_helpers_write_history_attributed_to_the_actor(network):
    with acting_as(network.officer):
        bodies = bulk_create_with_history(
            [Body(code=f"TF-{n}", name=f"Task force {n}") for n in range(3)], reason="Seeded"
        )
        changed = update_with_history(Body.objects.filter(code__startswith="TF-"), reason="Renamed", is_active=False)
    assert len(bodies) == 3
    assert changed == 3
    records = Body.history.filter(code__startswith="TF-")
    assert records.count() == 6
    assert {r.history_user for r in records} == {network.officer}
    assert set(records.values_list("history_change_reason", flat=True)) == {"Seeded", "Renamed"}


def test_a_change_made_in_a_request_is_attributed_to_the_request_user(client, network):
    client.force_login(network.officer)
    client.post(
        reverse("workgroups:body_edit", args=[network.wgai.pk]),
        {"code": "WG-AI", "name": "WG on AI", "is_active": "on"},
    )
    record = network.wgai.history.first()
    assert record.history_user == network.officer
    assert record.history_change_reason == "Body edited"


def test_a_task_or_command_acts_as_the_named_system_user(db):
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    record = Body.history.filter(code="WG-AI").earliest("history_date")
    assert record.history_user.email == settings.SYSTEM_USER_EMAIL
    assert not record.history_user.is_active


def test_the_history_page_shows_field_by_field_differences(client, network):
    membership = Membership.objects.get(person=network.mmr, body=network.wgai)
    from secretariat import services

    services.update_membership(membership, by=network.officer, role=Role.HEAD, member_state=state("MMR"))
    client.force_login(network.mmr)
    page = client.get(reverse("workgroups:body_history", args=[network.wgai.pk])).content.decode()
    assert "Term or role changed" in page
    assert "Delegate" in page
    assert "Head of delegation" in page
    assert "Olivia Officer" in page


def test_seed_demo_is_idempotent(db):
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    counts = (User.objects.count(), Membership.objects.count(), Body.objects.count(), Body.history.count())
    call_command("seed_demo", verbosity=0)
    assert (User.objects.count(), Membership.objects.count(), Body.objects.count(), Body.history.count()) == counts
    for email in (
        "secretariat@asean-ai-safe.example",
        "chair.adgsom@asean-ai-safe.example",
        "chair.wgai@asean-ai-safe.example",
        "delegate.sgp@asean-ai-safe.example",
        "delegate.mmr@asean-ai-safe.example",
        "observer@asean-ai-safe.example",
    ):
        assert User.objects.get(email=email).check_password(settings.DEMO_PASSWORD)
    assert User.objects.get(email="delegate.mmr@asean-ai-safe.example").zone_name == "Asia/Yangon"
    assert User.objects.get(email="secretariat@asean-ai-safe.example").is_secretariat


def test_seed_demo_scale_adds_volume_and_scale_one_equals_no_flag(db):
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    plain = Body.objects.count()
    call_command("seed_demo", scale=1, verbosity=0)
    assert Body.objects.count() == plain
    call_command("seed_demo", scale=3, verbosity=0)
    assert Body.objects.count() == plain + 4
    assert Membership.history.filter(body__code="TF-001").count() == 11
