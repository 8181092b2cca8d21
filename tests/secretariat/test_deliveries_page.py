"""The secretariat's deliveries page and the resend of failed messages."""

from __future__ import annotations

from django.core.management import call_command
from django.urls import reverse

from secretariat.models import Message


def test_the_deliveries_page_shows_failed_messages_with_their_error(client, network):
    Message.objects.create(
        address="a@example.org",
        subject_line="Invitation",
        body_text="x",
        status="failed",
        attempts=5,
        last_error="SMTPDataError: 554 rejected",
    )
    client.force_login(network.officer)
    page = client.get(reverse("deliveries"), {"status": "failed"}).content.decode()
    assert "SMTPDataError: 554 rejected" in page
    assert "Send again" in page


def test_sending_a_failed_message_again_gives_it_fresh_attempts(client, network):
    message = Message.objects.create(
        address="a@example.org", subject_line="Invitation", body_text="x", status="failed", attempts=5
    )
    client.force_login(network.officer)
    client.post(reverse("delivery_resend", args=[message.pk]))
    message.refresh_from_db()
    assert message.status == "queued"
    assert message.attempts == 0


def test_the_resend_failed_command_queues_every_failed_message(db):
    for n in range(3):
        Message.objects.create(address=f"{n}@example.org", subject_line="x", body_text="x", status="failed", attempts=5)
    Message.objects.create(address="sent@example.org", subject_line="x", body_text="x", status="sent")
    call_command("resend_failed", verbosity=0)
    assert Message.objects.filter(status="queued").count() == 3
    assert Message.objects.filter(status="sent").count() == 1
