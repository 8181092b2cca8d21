"""The secretariat's audit log: filters, CSV export, sign-in events."""

from __future__ import annotations

import csv
import io

from django.urls import reverse

from secretariat import services
from secretariat.models import Membership, SecurityEvent


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_log_lists_changes_of_every_tracked_model_newest_first(client, network):
    membership = Membership.objects.get(person=network.mmr, body=network.wgai)
    services.end_membership(membership, by=network.officer, reason="Posted to Geneva")
    client.force_login(network.officer)
    page = client.get(reverse("audit_log")).content.decode()
    assert "Posted to Geneva" in page
    assert "secretariat.Membership" in page
    assert page.index("Posted to Geneva") < page.index("secretariat.Body #")


def test_the_log_filters_by_user_model_and_kind(client, network):
    membership = Membership.objects.get(person=network.mmr, body=network.wgai)
    services.end_membership(membership, by=network.officer, reason="Posted to Geneva")
    client.force_login(network.officer)
    response = client.get(
        reverse("audit_export"),
        {"user": network.officer.pk, "model": "secretariat.Membership", "kind": "transition"},
    )
    rows = _csv(response)
    assert rows[0][:3] == ["when (UTC)", "record", "record id"]
    assert [r[4] for r in rows[1:]] == ["Posted to Geneva"]
    assert rows[1][6] == "officer@example.org"


def test_the_log_filter_by_date_range_is_checked(client, network):
    client.force_login(network.officer)
    response = client.get(reverse("audit_log"), {"since": "2026-05-02", "until": "2026-05-01"})
    assert "The end of the period is before its start." in response.content.decode()


def test_the_object_history_shows_field_differences(client, network):
    membership = Membership.objects.get(person=network.mmr, body=network.wgai)
    services.end_membership(membership, by=network.officer, reason="Posted to Geneva")
    client.force_login(network.officer)
    page = client.get(reverse("audit_object", args=["secretariat.Membership", membership.pk])).content.decode()
    assert "Term ends" in page
    assert "Posted to Geneva" in page


def test_sign_in_sign_out_and_failed_sign_in_are_recorded(client, network):
    client.post(reverse("account_login"), {"login": "sgp@example.org", "password": "wrong"})
    client.post(reverse("account_login"), {"login": "sgp@example.org", "password": "correct horse battery"})
    client.post(reverse("account_logout"))
    kinds = list(SecurityEvent.objects.order_by("at").values_list("kind", "login"))
    assert kinds == [
        ("sign_in_failed", "sgp@example.org"),
        ("signed_in", "sgp@example.org"),
        ("signed_out", "sgp@example.org"),
    ]
    assert SecurityEvent.history.count() == 3
