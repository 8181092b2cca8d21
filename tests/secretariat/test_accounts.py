"""Accounts: invitation-only signup, single-use expiring links, second factor, sign-in."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from secretariat import services
from secretariat.models import Invitation, Membership, Notification, Role, User, secretariat_group
from secretariat.tokens import invitation_token
from tests.factories import MembershipFactory, UserFactory, state

ACCEPT = {
    "display_name": "Thida Aung",
    "time_zone": "",
    "password1": "a-Long-passphrase-2026",
    "password2": "a-Long-passphrase-2026",
}


@pytest.fixture
def invitation(network):
    return services.invite(
        by=network.officer,
        email="Thida.Aung@Example.org",
        body=network.wgai,
        role=Role.DELEGATE,
        member_state=state("MMR"),
    )


def test_an_invitation_writes_its_email_as_a_notification_row(invitation):
    assert invitation.email == "thida.aung@example.org"
    row = Notification.objects.get(kind="invitation", object_id=invitation.pk)
    assert row.address == "thida.aung@example.org"
    assert row.status == "pending"


def test_the_invitee_sets_a_password_and_joins_the_body(client, invitation):
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    page = client.get(url)
    assert page.status_code == 200
    assert "Working Group on AI Governance" in page.content.decode()
    response = client.post(url, ACCEPT)
    assert response.status_code == 302
    user = User.objects.get(email="thida.aung@example.org")
    assert user.check_password(ACCEPT["password1"])
    assert user.member_state.code == "MMR"
    assert EmailAddress.objects.get(user=user).verified
    assert Membership.objects.get(person=user).role == Role.DELEGATE
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert client.get("/").status_code == 200  # signed in


def test_a_reused_invitation_link_is_refused_clearly(client, invitation):
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    client.post(url, ACCEPT)
    client.logout()
    response = client.post(url, {**ACCEPT, "display_name": "Someone else"})
    assert response.status_code == 400
    assert "already been used" in response.content.decode()
    assert User.objects.filter(email="thida.aung@example.org").count() == 1


def test_an_expired_invitation_link_is_refused_clearly(client, invitation):
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    with time_machine.travel(timezone.now() + dt.timedelta(days=15)):
        response = client.get(url)
    assert response.status_code == 400
    assert "expired" in response.content.decode()


def test_a_forged_invitation_link_is_refused_clearly(client, invitation):
    response = client.get(reverse("invitation_accept", args=[invitation_token(invitation)[:-3] + "abc"]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_a_withdrawn_invitation_link_is_refused(client, network, invitation):
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    services.revoke_invitation(invitation, by=network.officer)
    assert client.get(url).status_code == 400
    assert Notification.objects.get(object_id=invitation.pk, kind="invitation").status == "retired"


def test_mismatched_passwords_create_nothing(client, invitation):
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    response = client.post(url, {**ACCEPT, "password2": "something-else-2026"})
    assert response.status_code == 200
    assert "The two passwords differ" in response.content.decode()
    assert not User.objects.filter(email="thida.aung@example.org").exists()


def test_a_weak_password_is_refused_on_the_form_and_nothing_is_saved(client, invitation):
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    response = client.post(url, {**ACCEPT, "password1": "12345678", "password2": "12345678"})
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert not User.objects.filter(email="thida.aung@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_unknown_time_zone_on_the_invitation_form_is_refused(client, invitation):
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    response = client.post(url, {**ACCEPT, "time_zone": "Asia/Atlantis"})
    assert response.status_code == 200
    assert "not a known time zone" in response.content.decode()
    assert not User.objects.filter(email="thida.aung@example.org").exists()


def test_inviting_an_address_that_already_has_an_account_is_refused(client, network):
    client.force_login(network.officer)
    response = client.post(
        reverse("workgroups:invite", args=[network.wgai.pk]),
        {"email": "MMR@example.org", "role": Role.DELEGATE, "member_state": state("MMR").pk},
    )
    assert response.status_code == 200
    assert "already has an account" in response.content.decode()
    assert not Invitation.objects.exists()


def test_inviting_a_second_head_of_delegation_is_refused(network):
    with pytest.raises(ValidationError, match="already has a head of delegation"):
        services.invite(
            by=network.officer, email="x@example.org", body=network.wgai, role=Role.HEAD, member_state=state("SGP")
        )
    assert not Invitation.objects.exists()


def test_a_head_of_delegation_invites_delegates_of_its_own_state_only(network):
    services.invite(
        by=network.sgp, email="new.sg@example.org", body=network.wgai, role=Role.DELEGATE, member_state=state("SGP")
    )
    with pytest.raises(PermissionDenied):
        services.invite(
            by=network.sgp, email="new.mm@example.org", body=network.wgai, role=Role.DELEGATE, member_state=state("MMR")
        )
    with pytest.raises(PermissionDenied):
        services.invite(
            by=network.sgp, email="chair@x.org", body=network.wgai, role=Role.CHAIR, member_state=state("SGP")
        )
    with pytest.raises(PermissionDenied):
        services.invite(
            by=network.mmr, email="y@example.org", body=network.wgai, role=Role.DELEGATE, member_state=state("MMR")
        )


def test_a_new_invitation_replaces_a_pending_one_for_the_same_address(network, invitation):
    again = services.invite(
        by=network.officer, email="thida.aung@example.org", body=network.wgai, role=Role.HEAD, member_state=state("MMR")
    )
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    assert again.status == "pending"


def test_allauth_signup_is_closed_and_creates_no_account(client, db):
    response = client.post(
        reverse("account_signup"),
        {"email": "walk.in@example.org", "password1": "x-Long-pass-2026", "password2": "x-Long-pass-2026"},
    )
    assert response.status_code == 200
    assert "invitation" in response.content.decode().lower()
    assert not User.objects.filter(email="walk.in@example.org").exists()


def test_a_delegate_signs_in_with_email_and_password(client, network):
    response = client.post(reverse("account_login"), {"login": "sgp@example.org", "password": "correct horse battery"})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_wrong_password_gets_a_clear_message(client, network):
    response = client.post(reverse("account_login"), {"login": "sgp@example.org", "password": "wrong"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_sign_in_gives_a_new_session_key(client, network):
    client.get(reverse("account_login"))
    client.cookies["sessionid"] = "attacker-fixed-session"
    client.post(reverse("account_login"), {"login": "sgp@example.org", "password": "correct horse battery"})
    assert client.cookies["sessionid"].value != "attacker-fixed-session"


def test_five_wrong_passwords_lock_the_account_even_from_other_addresses(client, network):
    for n in range(5):
        client.post(
            reverse("account_login"),
            {"login": "sgp@example.org", "password": f"wrong-{n}"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    response = client.post(
        reverse("account_login"),
        {"login": "sgp@example.org", "password": "correct horse battery"},
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


# --- Second factor -------------------------------------------------------------


@pytest.fixture
def officer_without_totp(db):
    officer = UserFactory(email="new.officer@example.org")
    officer.groups.add(secretariat_group())
    return officer


def test_an_officer_without_a_second_factor_is_sent_to_set_one_up(client, officer_without_totp, settings):
    settings.DEMO = False
    client.post(reverse("account_login"), {"login": officer_without_totp.email, "password": "correct horse battery"})
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("workgroups:bodies"))["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the password again before a second factor is set up.
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": "correct horse battery"})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200  # the e-mail is verified, so allauth offers TOTP setup
    assert "secret" in page.content.decode().lower()


def test_a_chair_without_a_second_factor_is_sent_to_set_one_up(client, network, settings):
    settings.DEMO = False
    chair = UserFactory(member_state=state("IDN"))
    MembershipFactory(person=chair, body=network.wgai, role=Role.CHAIR)
    client.force_login(chair)
    assert client.get(reverse("workgroups:bodies"))["Location"] == reverse("mfa_activate_totp")


def test_a_delegate_needs_no_second_factor(client, network, settings):
    settings.DEMO = False
    client.force_login(network.mmr)
    assert client.get("/").status_code == 200


def test_in_demo_mode_an_officer_signs_in_with_the_password_alone(client, officer_without_totp, settings):
    settings.DEMO = True
    client.force_login(officer_without_totp)
    assert client.get("/").status_code == 200


def test_the_admin_login_goes_through_allauth(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_sessions_list_is_available_to_a_signed_in_user(client, network):
    client.post(reverse("account_login"), {"login": "sgp@example.org", "password": "correct horse battery"})
    response = client.get(reverse("usersessions_list"))
    assert response.status_code == 200
