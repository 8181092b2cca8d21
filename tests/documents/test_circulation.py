"""Circulation: recipients, deadlines, answers per state, and outcomes (silence, ad referendum)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from secretariat import delivery
from secretariat.documents import reminders as documents_reminders
from secretariat.documents import services
from secretariat.documents.models import (
    Circulation,
    CirculationAnswer,
    CirculationMode,
    CirculationStatus,
    Position,
)
from secretariat.models import Notification, Role
from tests.factories import MembershipFactory, state

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Kuala Lumpur
DEADLINE = T0 + dt.timedelta(hours=96)


def _circulate(network, document, mode=CirculationMode.SILENCE, deadline=DEADLINE, **kwargs):
    kwargs.setdefault("bodies", [network.wgai])
    return services.circulate_document(
        document.versions.get(), by=network.officer, mode=mode, deadline=deadline, **kwargs
    )


def _states(circulation) -> set[str]:
    return set(circulation.state_rows.values_list("member_state__code", flat=True))


@pytest.fixture
def now():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def wgai_chair(network):
    MembershipFactory(person=network.chair, body=network.wgai, role=Role.CHAIR, member_state=state("MYS"))
    return network.chair


def test_circulating_to_a_body_asks_its_delegations_and_sends_to_its_members_not_observers(network, docs, now):
    circulation = _circulate(network, docs.restricted)
    assert _states(circulation) == {"SGP", "MMR"}
    recipients = {r.person_id: r.member_state.code for r in circulation.recipients.select_related("member_state")}
    assert recipients == {network.sgp.pk: "SGP", network.sgp_delegate.pk: "SGP", network.mmr.pk: "MMR"}
    assert Notification.objects.filter(kind="circulation_sent").count() == 3
    assert circulation.addressed_to == "WG-AI (members)"


def test_a_silence_deadline_under_72_hours_is_refused(network, docs, now):
    with pytest.raises(ValidationError, match="72 hours"):
        _circulate(network, docs.restricted, deadline=T0 + dt.timedelta(hours=71, minutes=59))
    assert not Circulation.objects.exists()
    assert _circulate(network, docs.restricted, deadline=T0 + dt.timedelta(hours=72)).is_open


def test_a_deadline_in_the_past_is_refused(network, docs, now):
    with pytest.raises(ValidationError, match="already passed"):
        _circulate(network, docs.restricted, mode=CirculationMode.COMMENTS, deadline=T0 - dt.timedelta(minutes=1))
    assert not Circulation.objects.exists()


def test_a_recipient_outside_the_body_of_a_restricted_document_is_refused(network, docs, now):
    with pytest.raises(ValidationError) as error:
        _circulate(network, docs.restricted, persons=[network.outsider, network.observer])
    message = " ".join(error.value.messages)
    assert "restricted to members of WG-AI" in message
    assert network.outsider.display_name in message
    assert network.observer.display_name in message
    assert not Circulation.objects.exists()
    assert not Notification.objects.exists()


def test_a_confidential_document_goes_only_to_its_named_readers(network, docs, now):
    with pytest.raises(ValidationError, match="name these recipients as its readers"):
        _circulate(network, docs.confidential, mode=CirculationMode.INFORMATION, deadline=None)
    circulation = _circulate(
        network, docs.confidential, mode=CirculationMode.INFORMATION, deadline=None, bodies=[], persons=[network.mmr]
    )
    assert list(circulation.recipients.values_list("person_id", flat=True)) == [network.mmr.pk]


def test_an_adoption_procedure_needs_a_member_state(network, docs, now):
    with pytest.raises(ValidationError, match="address at least one"):
        _circulate(network, docs.public, bodies=[], persons=[network.observer])


def test_a_state_without_a_delegation_in_the_body_cannot_be_addressed(network, docs, now):
    with pytest.raises(ValidationError, match="Thailand has no head of delegation or delegate in WG-AI"):
        _circulate(network, docs.public, bodies=[], states=[state("THA")])


def test_one_adoption_procedure_at_a_time_per_version(network, docs, now):
    _circulate(network, docs.restricted)
    with pytest.raises(ValidationError, match="already under an adoption procedure"):
        _circulate(network, docs.restricted, mode=CirculationMode.AD_REFERENDUM)


def test_a_delegate_cannot_answer_for_another_state(network, docs, now):
    circulation = _circulate(network, docs.restricted)
    with pytest.raises(ValidationError, match="cannot answer for Myanmar"):
        services.answer_circulation(
            circulation, by=network.sgp, member_state=state("MMR"), position=Position.NO_OBJECTION
        )
    assert not CirculationAnswer.objects.exists()


def test_an_objection_needs_a_reason(network, docs, now):
    circulation = _circulate(network, docs.restricted)
    with pytest.raises(ValidationError, match="text of your objection"):
        services.answer_circulation(
            circulation, by=network.mmr, member_state=state("MMR"), position=Position.OBJECTION, text="  "
        )
    circulation.refresh_from_db()
    assert circulation.is_open


def test_a_second_answer_from_the_same_state_replaces_the_first_and_history_keeps_both(network, docs, now):
    circulation = _circulate(network, docs.restricted)
    services.answer_circulation(circulation, by=network.sgp, member_state=state("SGP"), position=Position.NO_OBJECTION)
    services.answer_circulation(
        circulation,
        by=network.sgp_delegate,
        member_state=state("SGP"),
        position=Position.RESERVATION,
        text="Singapore reserves its position on paragraph 4.",
    )
    answer = CirculationAnswer.objects.get(circulation=circulation)
    assert (answer.position, answer.answered_by) == (Position.RESERVATION, network.sgp_delegate)
    records = list(answer.history.order_by("history_id"))
    assert [r.position for r in records] == [Position.NO_OBJECTION, Position.RESERVATION]
    assert [r.history_user for r in records] == [network.sgp, network.sgp_delegate]
    assert records[1].history_change_reason == "SGP replaced its answer (No objection → Reservation)"


def test_an_objection_breaks_silence_at_once_and_alerts_the_chair_and_the_secretariat(network, docs, now, wgai_chair):
    circulation = _circulate(network, docs.restricted)
    services.answer_circulation(
        circulation,
        by=network.mmr,
        member_state=state("MMR"),
        position=Position.OBJECTION,
        text="Myanmar needs more time to consult the ministry.",
    )
    circulation.refresh_from_db()
    assert circulation.status == CirculationStatus.SILENCE_BROKEN
    assert circulation.decided_at == T0
    assert "Myanmar" in circulation.outcome_note
    assert "consult the ministry" in circulation.outcome_note
    alerted = set(Notification.objects.filter(kind="circulation_objection").values_list("recipient_id", flat=True))
    assert alerted == {wgai_chair.pk, network.officer.pk}
    assert delivery.kinds()["circulation_objection"].urgent
    told = set(Notification.objects.filter(kind="circulation_outcome").values_list("recipient_id", flat=True))
    assert told == {network.sgp.pk, network.sgp_delegate.pk, network.mmr.pk}
    with pytest.raises(ValidationError, match="Silence was broken"):
        services.answer_circulation(
            circulation, by=network.sgp, member_state=state("SGP"), position=Position.NO_OBJECTION
        )


def test_silence_holds_one_second_before_the_deadline_and_the_sweep_adopts_one_second_after(network, docs, now):
    circulation = _circulate(network, docs.restricted)
    services.answer_circulation(
        circulation,
        by=network.sgp,
        member_state=state("SGP"),
        position=Position.EXPLANATION,
        text="Singapore joins the consensus.",
    )
    now.move_to(DEADLINE - dt.timedelta(seconds=1))
    delivery.plan(timezone.now())
    circulation.refresh_from_db()
    assert circulation.status == CirculationStatus.OPEN
    assert circulation.accepts_answers

    now.move_to(DEADLINE + dt.timedelta(seconds=1))
    assert not Circulation.objects.get(pk=circulation.pk).accepts_answers
    delivery.plan(timezone.now())
    circulation.refresh_from_db()
    assert circulation.status == CirculationStatus.ADOPTED
    assert circulation.decided_at == DEADLINE + dt.timedelta(seconds=1)
    assert "Explanation of position: Singapore" in circulation.outcome_note
    assert circulation.history.first().history_user.email.endswith(".invalid")  # the system user
    told = set(Notification.objects.filter(kind="circulation_outcome").values_list("recipient_id", flat=True))
    assert told == {network.sgp.pk, network.sgp_delegate.pk, network.mmr.pk, network.officer.pk}

    delivery.plan(timezone.now())  # safe to run twice
    assert Notification.objects.filter(kind="circulation_outcome").count() == 4
    assert circulation.history.count() == 2


def test_an_answer_after_the_deadline_is_refused_even_before_the_sweep_runs(network, docs, now):
    circulation = _circulate(network, docs.restricted)
    now.move_to(DEADLINE + dt.timedelta(seconds=1))
    with pytest.raises(ValidationError, match="deadline passed"):
        services.answer_circulation(
            circulation, by=network.mmr, member_state=state("MMR"), position=Position.OBJECTION, text="Too late."
        )


def test_ad_referendum_is_confirmed_when_the_last_capital_confirms(network, docs, now):
    circulation = _circulate(network, docs.restricted, mode=CirculationMode.AD_REFERENDUM)
    services.answer_circulation(circulation, by=network.sgp, member_state=state("SGP"), position=Position.CONFIRMED)
    circulation.refresh_from_db()
    assert circulation.status == CirculationStatus.OPEN
    services.answer_circulation(circulation, by=network.mmr, member_state=state("MMR"), position=Position.CONFIRMED)
    circulation.refresh_from_db()
    assert circulation.status == CirculationStatus.CONFIRMED
    assert Notification.objects.filter(kind="circulation_outcome").count() == 4


def test_ad_referendum_without_every_confirmation_is_not_adopted_at_the_deadline(network, docs, now):
    circulation = _circulate(network, docs.restricted, mode=CirculationMode.AD_REFERENDUM)
    services.answer_circulation(circulation, by=network.sgp, member_state=state("SGP"), position=Position.CONFIRMED)
    now.move_to(DEADLINE + dt.timedelta(seconds=1))
    delivery.plan(timezone.now())
    circulation.refresh_from_db()
    assert circulation.status == CirculationStatus.NOT_ADOPTED
    assert "not confirmed by Myanmar" in circulation.outcome_note


def test_recipients_acknowledge_a_document_circulated_for_information(network, docs, now):
    circulation = _circulate(
        network, docs.public, mode=CirculationMode.INFORMATION, deadline=None, persons=[network.observer]
    )
    row = services.acknowledge_circulation(circulation, by=network.observer)
    assert row.acknowledged_at == T0
    services.acknowledge_circulation(circulation, by=network.observer)  # twice changes nothing
    assert row.history.count() == 2


def test_waiting_delegations_are_reminded_two_days_and_one_day_before_the_deadline_once_each(network, docs, now):
    circulation = _circulate(network, docs.restricted)  # 96 hours: both leads come after it was sent
    services.answer_circulation(circulation, by=network.sgp, member_state=state("SGP"), position=Position.NO_OBJECTION)
    reminders = Notification.objects.filter(kind="circulation_deadline", recipient=network.mmr)
    delivery.plan(timezone.now())
    assert not reminders.exists()
    assert documents_reminders._next_moment(timezone.now()) == DEADLINE - dt.timedelta(hours=48)
    for hours_left in (49, 47, 25, 23, 1):
        now.move_to(DEADLINE - dt.timedelta(hours=hours_left))
        delivery.plan(timezone.now())
        delivery.plan(timezone.now())
        expected = ["2d"] * (hours_left < 48) + ["1d"] * (hours_left < 24)
        assert list(reminders.order_by("pk").values_list("occurrence", flat=True)) == expected
    # Singapore answered: it hears nothing.
    assert not Notification.objects.filter(kind="circulation_deadline", recipient=network.sgp).exists()


def test_a_circulation_sent_inside_a_lead_is_not_reminded_of_it_at_once(network, docs, now):
    circulation = _circulate(
        network, docs.restricted, mode=CirculationMode.COMMENTS, deadline=T0 + dt.timedelta(hours=30)
    )
    delivery.plan(timezone.now())
    reminders = Notification.objects.filter(kind="circulation_deadline", object_id__in=circulation.recipients.all())
    assert not reminders.exists()  # the 48-hour moment came before it was sent
    now.move_to(T0 + dt.timedelta(hours=7))  # 23 hours left
    delivery.plan(timezone.now())
    assert set(reminders.values_list("occurrence", flat=True)) == {"1d"}


def test_delegations_that_have_not_answered_are_reminded_a_day_before_the_deadline(network, docs, now):
    circulation = _circulate(network, docs.restricted)
    services.answer_circulation(circulation, by=network.sgp, member_state=state("SGP"), position=Position.NO_OBJECTION)
    now.move_to(DEADLINE - dt.timedelta(hours=23))
    delivery.plan(timezone.now())
    delivery.plan(timezone.now())
    reminded = set(Notification.objects.filter(kind="circulation_deadline").values_list("recipient_id", flat=True))
    assert reminded == {network.mmr.pk}
