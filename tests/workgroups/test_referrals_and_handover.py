"""Referral up the pipeline (WG-AI → ADGSOM → ADGMIN), and open work handed over when people leave."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from secretariat import services as network_services
from secretariat.models import Membership, Role
from tests.factories import MembershipFactory, UserFactory, state
from workgroups import rules, services
from workgroups.models import ActionItem, Assignment, OwnerKind, ReferralOutcome, ReferralPurpose, UpdateKind

from .conftest import make_item

# --- Referral ----------------------------------------------------------------------------


def test_an_item_referred_to_the_parent_body_is_visible_on_both_sides(work):
    referral = services.refer_to_parent_body(
        by=work.officer, action_item=work.sgp_item, purpose=ReferralPurpose.ENDORSEMENT, note="For the 6th ADGSOM"
    )
    assert (referral.from_body, referral.to_body) == (work.wgai, work.adgsom)
    # The chair of ADGSOM does not sit in WG-AI, yet reads what is referred to ADGSOM.
    assert rules.visible_action_items(work.chair).filter(pk=work.sgp_item.pk).exists()
    assert rules.visible_referrals(work.chair).filter(pk=referral.pk).exists()
    assert rules.visible_referrals(work.mmr).filter(pk=referral.pk).exists()
    assert not rules.visible_referrals(work.outsider).exists()
    assert work.sgp_item.updates.get().kind == UpdateKind.REFERRAL


def test_the_chair_of_the_receiving_body_records_the_outcome_and_the_referring_side_hears_it(work):
    from secretariat.models import Notification

    referral = services.refer_to_parent_body(by=work.officer, task=work.task, purpose=ReferralPurpose.APPROVAL)
    assert Notification.objects.filter(kind="referral_made", address=work.chair.email).exists()
    services.record_referral_outcome(referral, by=work.chair, outcome=ReferralOutcome.APPROVED, note="Approved")
    referral.refresh_from_db()
    assert (referral.outcome, referral.decided_by) == (ReferralOutcome.APPROVED, work.chair)
    assert Notification.objects.filter(kind="referral_outcome", address=work.officer.email).exists()


def test_an_outcome_is_recorded_once(work):
    referral = services.refer_to_parent_body(by=work.officer, task=work.task, purpose=ReferralPurpose.NOTING)
    services.record_referral_outcome(referral, by=work.chair, outcome=ReferralOutcome.NOTED)
    with pytest.raises(ValidationError, match="already recorded: noted"):
        services.record_referral_outcome(referral, by=work.chair, outcome=ReferralOutcome.NOTED)


def test_an_outcome_must_answer_the_purpose(work):
    referral = services.refer_to_parent_body(by=work.officer, task=work.task, purpose=ReferralPurpose.NOTING)
    with pytest.raises(ValidationError, match="can be answered: noted, returned for further work"):
        services.record_referral_outcome(referral, by=work.chair, outcome=ReferralOutcome.APPROVED)


def test_returning_work_needs_a_note(work):
    referral = services.refer_to_parent_body(by=work.officer, task=work.task, purpose=ReferralPurpose.ENDORSEMENT)
    with pytest.raises(ValidationError, match="Say why it is returned"):
        services.record_referral_outcome(referral, by=work.chair, outcome=ReferralOutcome.RETURNED)
    referral.refresh_from_db()
    assert referral.outcome == ReferralOutcome.PENDING


def test_only_the_receiving_chair_or_the_secretariat_records_the_outcome(work):
    referral = services.refer_to_parent_body(by=work.officer, task=work.task, purpose=ReferralPurpose.NOTING)
    for person in (work.sgp, work.mmr, work.observer, work.outsider):
        with pytest.raises(PermissionDenied):
            services.record_referral_outcome(referral, by=person, outcome=ReferralOutcome.NOTED)


def test_the_same_item_cannot_wait_twice_for_the_same_body(work):
    services.refer_to_parent_body(by=work.officer, action_item=work.sgp_item, purpose=ReferralPurpose.NOTING)
    with pytest.raises(ValidationError, match="already waits for an answer from ADGSOM"):
        services.refer_to_parent_body(by=work.officer, action_item=work.sgp_item, purpose=ReferralPurpose.APPROVAL)


def test_the_top_of_the_pipeline_has_nobody_to_refer_to(work):
    with pytest.raises(ValidationError, match="ADGMIN has no parent body"):
        services.refer_to_parent_body(by=work.officer, action_item=work.adgmin_item, purpose=ReferralPurpose.NOTING)


def test_delegates_cannot_refer(work):
    with pytest.raises(PermissionDenied):
        services.refer_to_parent_body(by=work.sgp, action_item=work.sgp_item, purpose=ReferralPurpose.NOTING)


# --- Hand-over -----------------------------------------------------------------------------


@pytest.fixture
def named(work):
    """An item owned by Singapore's delegate by name, in WG-AI."""
    return make_item(work.officer, work.wgai, owner_kind=OwnerKind.PERSONS, assignees=[work.sgp_delegate])


def test_a_delegate_leaving_the_body_hands_its_items_to_its_head_of_delegation(
    work, named, django_capture_on_commit_callbacks
):
    membership = Membership.objects.get(person=work.sgp_delegate, body=work.wgai)
    with django_capture_on_commit_callbacks(execute=True):
        network_services.end_membership(membership, by=work.officer, reason="Posted to Geneva")
    item = ActionItem.objects.get(pk=named.pk)
    assert [a.person for a in item.assignments.all()] == [work.sgp]
    handover = item.updates.get(kind=UpdateKind.HANDOVER)
    assert handover.author == work.officer
    assert "Handed over from Sanjay (SGP) to Siew Ling (SGP)" in handover.text
    record = ActionItem.history.filter(id=item.pk).latest("history_date")
    assert record.history_change_reason.startswith("Handed over")
    assert record.history_user == work.officer
    assert Assignment.history.filter(action_item_id=item.pk, history_type="-").exists()


def test_a_person_without_a_head_of_delegation_hands_over_to_the_secretariat(work, django_capture_on_commit_callbacks):
    item = make_item(work.officer, work.wgai, owner_kind=OwnerKind.PERSONS, assignees=[work.mmr])
    with django_capture_on_commit_callbacks(execute=True):
        network_services.deactivate_person(work.mmr, by=work.officer, reason="Retired")
    item.refresh_from_db()
    assert item.owner_kind == OwnerKind.SECRETARIAT
    assert not item.assignments.exists()
    assert "to The secretariat" in item.updates.get(kind=UpdateKind.HANDOVER).text


def test_a_focal_point_leaving_leaves_the_item_with_its_state(work, django_capture_on_commit_callbacks):
    item = make_item(work.officer, work.wgai, owner_state=state("SGP"), assignees=[work.sgp_delegate])
    membership = Membership.objects.get(person=work.sgp_delegate, body=work.wgai)
    with django_capture_on_commit_callbacks(execute=True):
        network_services.end_membership(membership, by=work.sgp, reason="Reassigned at home")
    item.refresh_from_db()
    assert (item.owner_kind, item.owner_state) == (OwnerKind.STATE, state("SGP"))
    assert [a.person for a in item.assignments.all()] == [work.sgp]


def test_closed_items_and_other_bodies_items_stay_as_they_were(work, named, django_capture_on_commit_callbacks):
    MembershipFactory(person=work.sgp_delegate, body=work.adgsom, role=Role.DELEGATE)
    adgsom = make_item(work.officer, work.adgsom, owner_kind=OwnerKind.PERSONS, assignees=[work.sgp_delegate])
    done = make_item(work.officer, work.wgai, owner_kind=OwnerKind.PERSONS, assignees=[work.sgp_delegate])
    services.complete_action_item(done, by=work.sgp_delegate, note="Delivered")
    membership = Membership.objects.get(person=work.sgp_delegate, body=work.wgai)
    with django_capture_on_commit_callbacks(execute=True):
        network_services.end_membership(membership, by=work.officer, reason="Posted to Geneva")
    assert [a.person for a in adgsom.assignments.all()] == [work.sgp_delegate]
    assert [a.person for a in done.assignments.all()] == [work.sgp_delegate]
    assert [a.person for a in named.assignments.all()] == [work.sgp]


def test_a_person_who_keeps_another_term_in_the_body_keeps_its_items(work, named, django_capture_on_commit_callbacks):
    MembershipFactory(person=work.sgp_delegate, body=work.wgai, role=Role.RAPPORTEUR, member_state=None)
    membership = Membership.objects.get(person=work.sgp_delegate, body=work.wgai, role=Role.DELEGATE)
    with django_capture_on_commit_callbacks(execute=True):
        network_services.end_membership(membership, by=work.officer, reason="Now rapporteur")
    assert [a.person for a in named.assignments.all()] == [work.sgp_delegate]


def test_the_head_of_delegation_hears_of_what_it_takes_over(work, named, django_capture_on_commit_callbacks):
    from secretariat.models import Notification

    Notification.objects.all().delete()
    membership = Membership.objects.get(person=work.sgp_delegate, body=work.wgai)
    with django_capture_on_commit_callbacks(execute=True):
        network_services.end_membership(membership, by=work.officer, reason="Posted to Geneva")
    assert Notification.objects.filter(kind="action_item_assigned", address=work.sgp.email).exists()


def test_a_secretariat_officer_deactivated_hands_its_items_to_the_secretariat(work, django_capture_on_commit_callbacks):
    from secretariat.models import secretariat_group

    officer2 = UserFactory(display_name="Second Officer")
    officer2.groups.add(secretariat_group())
    item = make_item(work.officer, work.adgmin, owner_kind=OwnerKind.PERSONS, assignees=[officer2])
    with django_capture_on_commit_callbacks(execute=True):
        network_services.deactivate_person(officer2, by=work.officer, reason="Contract ended")
    item.refresh_from_db()
    assert item.owner_kind == OwnerKind.SECRETARIAT


def test_a_term_ended_with_a_date_ahead_hands_over_when_that_date_comes(
    work, named, django_capture_on_commit_callbacks
):
    from secretariat import delivery

    membership = Membership.objects.get(person=work.sgp_delegate, body=work.wgai)
    last_day = timezone.localdate() + dt.timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        network_services.end_membership(membership, by=work.officer, end=last_day, reason="Posted to Geneva")
    delivery.plan(timezone.now())
    assert [a.person for a in named.assignments.all()] == [work.sgp_delegate]  # still in post

    with time_machine.travel(timezone.now() + dt.timedelta(days=10, hours=1)):
        delivery.plan(timezone.now())
        assert [a.person for a in named.assignments.all()] == [work.sgp]
        handover = named.updates.get(kind=UpdateKind.HANDOVER)
        assert f"term in WG-AI ended on {last_day:%-d %b %Y}" in handover.text
        assert ActionItem.history.filter(id=named.pk).latest("history_date").history_user.email == (
            settings.SYSTEM_USER_EMAIL
        )
        delivery.plan(timezone.now())  # the next sweep finds nothing more to do
    assert named.updates.filter(kind=UpdateKind.HANDOVER).count() == 1
