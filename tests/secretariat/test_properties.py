"""Property-based tests (hypothesis) on the base layer's services with hostile input.

Whatever the input, a service either succeeds or refuses with ValidationError (or
PermissionDenied); it never crashes with another error and never half-saves.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretariat import services
from secretariat.models import Invitation, Membership, Role, User
from secretariat.templatetags.secretariat_tags import in_zone
from secretariat.zones import zone_label
from tests.factories import UserFactory, state

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
hostile_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), min_size=0, max_size=400
)
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31))


@FAST
@given(start=dates, end=st.one_of(st.none(), dates), role=st.sampled_from(list(Role)))
def test_adding_a_membership_either_succeeds_whole_or_saves_nothing(network, start, end, role):
    person = UserFactory(member_state=state("IDN"))
    before = Membership.objects.count()
    try:
        membership = services.add_membership(
            by=network.officer,
            person=person,
            body=network.adgmin,
            role=role,
            member_state=state("IDN"),
            start=start,
            end=end,
        )
    except ValidationError:
        assert Membership.objects.count() == before
    else:
        assert membership.pk
        assert end is None or end >= start
        assert membership.history.count() == 1


@FAST
@given(email_local=st.from_regex(r"[a-zA-Z0-9._%+-]{1,40}", fullmatch=True), name=hostile_text)
def test_an_invitation_with_odd_names_saves_or_refuses_cleanly(network, email_local, name):
    before = Invitation.objects.count()
    try:
        invitation = services.invite(
            by=network.officer,
            email=f"{email_local}@example.org",
            body=network.wgai,
            role=Role.DELEGATE,
            member_state=state("MMR"),
            display_name=name,
        )
    except ValidationError:
        assert Invitation.objects.count() == before
    else:
        assert invitation.display_name == name


@FAST
@given(name=hostile_text, password=st.one_of(st.text(min_size=0, max_size=300), st.just("a-Long-passphrase-2026")))
def test_accepting_an_invitation_with_hostile_input_never_half_saves(network, name, password):
    invitation = services.invite(
        by=network.officer,
        email="someone.new@example.org",
        body=network.wgai,
        role=Role.DELEGATE,
        member_state=state("MMR"),
    )
    try:
        user = services.accept_invitation(invitation, display_name=name, password=password)
    except ValidationError:
        assert not User.objects.filter(email="someone.new@example.org").exists()
        invitation.refresh_from_db()
        assert invitation.accepted_at is None
    else:
        assert Membership.objects.filter(person=user, body=network.wgai).count() == 1
    # Each example starts afresh: the same address is invited again.
    Invitation.objects.filter(email="someone.new@example.org").delete()
    Membership.objects.filter(person__email="someone.new@example.org").delete()
    User.objects.filter(email="someone.new@example.org").delete()


@given(zone=st.sampled_from(sorted(zoneinfo.available_timezones() - {"localtime"})))
@settings(max_examples=80, deadline=None)
def test_every_iana_zone_gets_a_label_with_its_offset(zone):
    label = zone_label(zone)
    assert label
    assert "UTC" in label


@given(
    moment=st.datetimes(
        min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(dt.UTC)
    ),
    zone=st.sampled_from(["Asia/Yangon", "Asia/Dili", "Asia/Kuala_Lumpur", "America/New_York", "Pacific/Chatham"]),
)
@settings(max_examples=80, deadline=None)
def test_a_moment_renders_in_any_zone_with_the_zone_named(moment, zone):
    text = in_zone(moment, zone)
    assert "UTC" in text


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "Asia/", "../../etc/passwd", "UTC\x00"])
def test_a_profile_with_a_bad_zone_is_refused(network, zone):
    if zone == "":
        services.update_profile(network.mmr, by=network.mmr, display_name="Min Thu", time_zone=zone)
        return
    with pytest.raises(ValidationError):
        services.update_profile(network.mmr, by=network.mmr, display_name="Min Thu", time_zone=zone)
    network.mmr.refresh_from_db()
    assert network.mmr.time_zone == ""
