"""Tamper evidence: every history row is sealed in its object's chain; verify_audit finds edits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from secretariat import services
from secretariat.history import Step, acting_as, bulk_create_with_history, bulk_create_with_past, update_with_history
from secretariat.models import AuditSeal, Body, Membership


def _verify() -> None:
    call_command("verify_audit", verbosity=0)


@pytest.mark.parametrize("count", [3, 300])
def test_sealing_a_bulk_write_costs_the_same_queries_for_3_or_300_rows(network, count):
    """The chains' tips are read in one query for the whole write, not one per row (issue 6's N+1)."""
    with acting_as(network.officer):
        with CaptureQueriesContext(connection) as created:
            bulk_create_with_history([Body(code=f"TF-{n}", name=f"Task force {n}") for n in range(count)])
        with CaptureQueriesContext(connection) as updated:
            update_with_history(Body.objects.filter(code__startswith="TF-"), reason="Closed", is_active=False)
    # Create: savepoint, INSERT bodies, INSERT history, SELECT unsealed history rows, SELECT tips,
    # INSERT seals, release. Update: SELECT bodies, savepoint, UPDATE bodies, INSERT history,
    # SELECT unsealed rows, SELECT tips, INSERT seals, release.
    assert (len(created), len(updated)) == (7, 8)
    _verify()


def test_rows_created_with_their_past_carry_each_step_in_order_and_verify(network):
    """Seeding writes how a row got where it is: a "+" and a "~" per step, dated, attributed, chained."""
    then = timezone.now() - dt.timedelta(days=400)

    def steps(body: Body) -> list[Step]:
        return [
            Step(then, "Set up", {"name": "Draft name", "is_active": True}),
            Step(then + dt.timedelta(days=30), "Renamed", {"is_active": True}, by=network.chair),
            Step(then + dt.timedelta(days=300), "Wound up"),
        ]

    with acting_as(network.officer):
        bodies = [Body(code=f"TF-{n}", name=f"Task force {n}", is_active=False) for n in range(3)]
        bulk_create_with_past(bodies, steps)
    record = list(Body.history.filter(code="TF-1").order_by("history_id"))
    assert [(r.history_type, r.name, r.is_active) for r in record] == [
        ("+", "Draft name", True),
        ("~", "Task force 1", True),
        ("~", "Task force 1", False),
    ]
    assert [r.history_date for r in record] == [s.when for s in steps(bodies[1])]
    assert [r.history_user for r in record] == [network.officer, network.chair, network.officer]
    assert [r.history_change_reason for r in record] == ["Set up", "Renamed", "Wound up"]
    assert not Body.objects.get(code="TF-1").is_active
    _verify()


def test_every_history_row_written_by_a_save_is_sealed_in_its_objects_chain(network):
    membership = Membership.objects.get(person=network.mmr, body=network.wgai)
    services.end_membership(membership, by=network.officer, reason="Posted abroad")
    seals = list(
        AuditSeal.objects.filter(model="secretariat.Membership", object_id=membership.pk).order_by("history_id")
    )
    assert len(seals) == 2
    assert seals[1].previous == seals[0].seal
    _verify()


def test_rows_written_by_the_bulk_helpers_are_chained_too(network):
    with acting_as(network.officer):
        bulk_create_with_history([Body(code=f"TF-{n}", name=f"Task force {n}") for n in range(3)])
        update_with_history(Body.objects.filter(code__startswith="TF-"), reason="Closed", is_active=False)
    for body in Body.objects.filter(code__startswith="TF-"):
        seals = list(AuditSeal.objects.filter(model="secretariat.Body", object_id=body.pk).order_by("history_id"))
        assert len(seals) == 2
        assert seals[1].previous == seals[0].seal
    _verify()


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_a_history_row_edited_in_sql_is_detected_and_named(network, capsys):
    record = Body.history.filter(id=network.wgai.pk).earliest("history_date")
    _sql("UPDATE secretariat_historicalbody SET name = %s WHERE history_id = %s", ["Forged", record.history_id])
    with pytest.raises(CommandError):
        _verify()
    assert f"secretariat.Body object {network.wgai.pk}, history row {record.history_id}" in capsys.readouterr().err


def test_a_history_row_deleted_in_sql_is_detected(network):
    membership = Membership.objects.get(person=network.mmr, body=network.wgai)
    services.end_membership(membership, by=network.officer, reason="Posted abroad")
    first = Membership.history.filter(id=membership.pk).earliest("history_date")
    _sql("DELETE FROM secretariat_historicalmembership WHERE history_id = %s", [first.history_id])
    with pytest.raises(CommandError):
        _verify()


def test_a_history_row_inserted_in_sql_without_a_seal_is_detected(network):
    record = Body.history.filter(id=network.wgai.pk).latest("history_date")
    record.pk = None
    record.name = "Inserted"
    record.save()  # a plain insert in the history table: no signal, no seal
    AuditSeal.objects.filter(history_id=record.history_id, model="secretariat.Body").delete()
    with pytest.raises(CommandError):
        _verify()


def test_an_intact_seeded_database_verifies(db):
    call_command("seed_demo", verbosity=0)
    _verify()
