"""Bodies and memberships: terms, one head per state, one chair, deactivation."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from secretariat import services
from secretariat.models import Body, Membership, MemberState, Role
from tests.factories import UserFactory, state

TODAY = timezone.localdate


def test_eleven_member_states_are_loaded_with_their_zones(db):
    states = {s.code: s.time_zone for s in MemberState.objects.all()}
    assert len(states) == 11
    assert states["MMR"] == "Asia/Yangon"
    assert states["TLS"] == "Asia/Dili"
    assert states["BRN"] == "Asia/Brunei"


def test_the_chair_of_a_body_on_a_date_follows_membership_terms(network):
    successor = UserFactory(member_state=state("PHL"))
    handover = TODAY() + dt.timedelta(days=30)
    current = Membership.objects.get(body=network.adgsom, role=Role.CHAIR)
    services.end_membership(current, by=network.officer, end=handover - dt.timedelta(days=1))
    services.add_membership(
        by=network.officer,
        person=successor,
        body=network.adgsom,
        role=Role.CHAIR,
        member_state=state("PHL"),
        start=handover,
    )
    assert network.adgsom.chair_on(TODAY()) == network.chair
    assert network.adgsom.chair_on(handover) == successor
    assert network.adgsom.chair_on(handover - dt.timedelta(days=1)) == network.chair


def test_a_second_chair_for_the_same_term_is_refused(network):
    other = UserFactory(member_state=state("IDN"))
    with pytest.raises(ValidationError, match="already has a chair"):
        services.add_membership(by=network.officer, person=other, body=network.adgsom, role=Role.CHAIR)
    assert not Membership.objects.filter(person=other).exists()


def test_a_second_head_of_delegation_for_the_same_state_and_body_is_refused(network):
    other = UserFactory(member_state=state("SGP"))
    with pytest.raises(ValidationError, match="already has a head of delegation"):
        services.add_membership(
            by=network.officer, person=other, body=network.wgai, role=Role.HEAD, member_state=state("SGP")
        )
    assert not Membership.objects.filter(person=other).exists()


def test_a_head_of_delegation_for_another_state_is_accepted(network):
    other = UserFactory(member_state=state("IDN"))
    membership = services.add_membership(
        by=network.officer, person=other, body=network.wgai, role=Role.HEAD, member_state=state("IDN")
    )
    assert membership.history.first().history_user == network.officer


def test_a_term_that_ends_before_it_starts_is_refused_on_the_form(client, network):
    client.force_login(network.officer)
    response = client.post(
        reverse("workgroups:membership_add", args=[network.wgai.pk]),
        {
            "person": network.outsider.pk,
            "role": Role.DELEGATE,
            "member_state": state("THA").pk,
            "start": "2026-05-01",
            "end": "2026-04-01",
        },
    )
    assert response.status_code == 200
    assert "The term cannot end before it starts." in response.content.decode()
    assert not Membership.objects.filter(person=network.outsider).exists()


def test_a_second_head_of_delegation_gets_a_clear_message_on_the_form(client, network):
    client.force_login(network.officer)
    other = UserFactory(member_state=state("SGP"))
    response = client.post(
        reverse("workgroups:membership_add", args=[network.wgai.pk]),
        {"person": other.pk, "role": Role.HEAD, "member_state": state("SGP").pk, "start": "2026-01-01"},
    )
    assert response.status_code == 200
    assert "already has a head of delegation" in response.content.decode()
    assert not Membership.objects.filter(person=other).exists()


def test_a_delegate_without_a_member_state_is_refused(network):
    with pytest.raises(ValidationError, match="acts for a member state"):
        services.add_membership(by=network.officer, person=network.outsider, body=network.wgai, role=Role.DELEGATE)


def test_a_duplicate_body_code_gets_a_clear_message(client, network):
    client.force_login(network.officer)
    response = client.post(reverse("workgroups:body_create"), {"code": "wg-ai", "name": "Another", "is_active": "on"})
    assert response.status_code == 200
    assert "A body with this code already exists" in response.content.decode()
    assert Body.objects.filter(code__iexact="WG-AI").count() == 1


def test_the_secretariat_creates_a_body_and_its_history_names_the_officer(client, network):
    client.force_login(network.officer)
    response = client.post(
        reverse("workgroups:body_create"),
        {"code": "tf-gen", "name": "Task Force on Generative AI", "parent": network.wgai.pk, "is_active": "on"},
    )
    body = Body.objects.get(code="TF-GEN")
    assert response.status_code == 302
    record = body.history.get()
    assert record.history_user == network.officer
    assert record.history_change_reason == "Body created"


def test_a_head_of_delegation_removes_a_delegate_of_its_own_state(client, network):
    membership = Membership.objects.get(person=network.sgp_delegate, body=network.wgai)
    client.force_login(network.sgp)
    response = client.post(
        reverse("workgroups:membership_end", args=[membership.pk]),
        {"end": TODAY().isoformat(), "reason": "Posted abroad"},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.end == TODAY()
    assert membership.history.first().history_change_reason == "Posted abroad"


def test_a_head_of_delegation_cannot_remove_another_states_delegate(network):
    membership = Membership.objects.get(person=network.mmr, body=network.wgai)
    with pytest.raises(PermissionDenied):
        services.end_membership(membership, by=network.sgp)
    membership.refresh_from_db()
    assert membership.end is None


def test_ending_a_term_before_it_started_is_refused(network):
    membership = Membership.objects.get(person=network.mmr, body=network.wgai)
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        services.end_membership(membership, by=network.officer, end=membership.start - dt.timedelta(days=1))


def test_the_body_page_groups_members_by_delegation_head_first(client, network):
    client.force_login(network.mmr)
    page = client.get(reverse("workgroups:body", args=[network.wgai.pk])).content.decode()
    singapore = page.index("Singapore")
    assert page.index("Siew Ling (SGP)", singapore) < page.index("Sanjay (SGP)", singapore)
    assert page.index("Myanmar") < singapore  # delegations in alphabetical order


def test_deactivating_a_person_ends_memberships_and_sessions_at_once(
    client, network, django_capture_on_commit_callbacks
):
    client.force_login(network.mmr)
    assert client.get("/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        services.deactivate_person(network.mmr, by=network.officer, reason="Left the ministry")
    network.mmr.refresh_from_db()
    assert not network.mmr.is_active
    assert Membership.objects.get(person=network.mmr, body=network.wgai).end == TODAY()
    assert not Membership.objects.current().filter(person=network.mmr).exists()
    assert not UserSession.objects.filter(user=network.mmr).exists()
    assert not any(s.get_decoded().get("_auth_user_id") == str(network.mmr.pk) for s in Session.objects.all())
    assert client.get("/").status_code == 302


def test_deactivation_needs_a_reason(network):
    with pytest.raises(ValidationError):
        services.deactivate_person(network.mmr, by=network.officer, reason="  ")
    network.mmr.refresh_from_db()
    assert network.mmr.is_active


def test_only_the_secretariat_deactivates_people(network):
    with pytest.raises(PermissionDenied):
        services.deactivate_person(network.mmr, by=network.sgp, reason="No")


def test_a_profile_with_an_unknown_time_zone_is_refused(client, network):
    client.force_login(network.mmr)
    response = client.post(reverse("profile"), {"display_name": "Min Thu", "time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    assert "is not a known time zone" in response.content.decode()
    network.mmr.refresh_from_db()
    assert network.mmr.time_zone == ""


def test_a_profile_time_zone_is_saved_and_pages_name_it(client, network):
    client.force_login(network.mmr)
    response = client.post(reverse("profile"), {"display_name": "Min Thu", "time_zone": "Asia/Makassar"})
    assert response.status_code == 302
    network.mmr.refresh_from_db()
    assert network.mmr.time_zone == "Asia/Makassar"
    assert "Makassar, UTC+8" in client.get("/").content.decode()


def test_a_person_without_a_zone_uses_the_member_states_zone(network):
    assert network.mmr.zone_name == "Asia/Yangon"
    assert network.mmr.zone_label == "Yangon, UTC+6:30"
