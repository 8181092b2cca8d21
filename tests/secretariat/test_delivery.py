"""Reliability of the delivery engine, against real services.

PostgreSQL, the test Redis, a real Celery worker and a real SMTP server on loopback
(aiosmtpd, see conftest.py). Every e-mail here starts as an invitation planned by
`services.invite`, which writes its notification row in the service's transaction.
Time moves with time-machine: the engine takes now from `timezone.now()`.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import socket
import threading
import time
from collections.abc import Callable
from io import StringIO
from types import SimpleNamespace

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

from secretariat import delivery, services, tasks
from secretariat.management.commands import send_due_reminders
from secretariat.models import Invitation, Message, MessageStatus, Notification, NotificationStatus, Role
from tests.factories import state

from .conftest import SmtpServer, free_port, point_celery_at

pytestmark = pytest.mark.integration


def committed(test: Callable[..., None]) -> Callable[..., None]:
    """For tests whose rows other threads, processes or the worker must see.

    Transactional tests empty the database when they end: serialized rollback loads
    what the migrations wrote (member states, the secretariat group) before each.
    """
    test = pytest.mark.django_db(transaction=True, serialized_rollback=True)(test)
    return pytest.mark.usefixtures("restore_migration_data")(test)


def invite(network: SimpleNamespace, email: str) -> Invitation:
    return services.invite(
        by=network.officer, email=email, body=network.wgai, role=Role.DELEGATE, member_state=state("SGP")
    )


def addresses(count: int) -> list[str]:
    return [f"invitee{n:02}@example.org" for n in range(count)]


# --- Planning and one sweep ---------------------------------------------------------


def test_invitation_is_delivered_once_over_smtp_with_text_and_html_parts(network, smtp, settings):
    invitation = invite(network, "new.delegate@example.org")
    notification = Notification.objects.get(object_id=invitation.pk, kind="invitation")
    assert notification.status == NotificationStatus.PENDING

    result = delivery.sweep()

    assert (result.bundled, result.sent) == (1, 1)
    [received] = smtp.received
    message = Message.objects.get()
    assert received["To"] == "new.delegate@example.org"
    assert received["Subject"] == "You are invited to WG-AI"
    assert received["Message-ID"].startswith(f"<message-{message.pk}@")
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "Working Group on AI Governance (WG-AI)" in text
    assert "<strong>Working Group on AI Governance (WG-AI)</strong>" in html
    link = f"{settings.SITE_URL}/accounts/invitation/"
    assert link in text
    assert f'href="{link}' in html
    notification.refresh_from_db()
    assert (notification.status, notification.message) == (NotificationStatus.SENT, message)
    assert (message.status, message.attempts, message.lease_expires_at) == (MessageStatus.SENT, 1, None)
    assert message.sent_at is not None

    again = delivery.sweep()

    assert (again.bundled, again.sent) == (0, 0)
    assert len(smtp.received) == 1


@pytest.mark.parametrize("count", [3, 30])
def test_a_batch_of_messages_is_written_by_its_sender_in_the_same_queries_for_3_or_30(network, smtp, count):
    Notification.objects.update(status=NotificationStatus.RETIRED)  # the fixture's own
    for address in addresses(count):
        invite(network, address)
    delivery.prepare()
    claimed = delivery.claim(timezone.now(), limit=100)
    with CaptureQueriesContext(connection) as queries:
        written = delivery._write(claimed)
    assert [m.pk for m in written] == [m.pk for m in claimed]
    assert Message.objects.filter(rendered=True, status=MessageStatus.SENDING).exclude(body_text="").count() == count
    # 1 the messages' notifications (with recipients), 2 their invitations, what the e-mails read:
    # 3 bodies, 4 member states, 5 who invited; 6 the contents stored under the claim, one UPDATE
    # for the batch, before the first is sent.
    assert len(queries) == 6, "\n".join(q["sql"][:120] for q in queries.captured_queries)


@pytest.mark.parametrize("count", [3, 30])
def test_a_backlog_is_bundled_in_the_same_queries_for_3_or_30_recipients(network, count):
    """What the beat task does with a backlog (pulse, plan, bundle into one message per address)
    costs the same queries however many messages it writes."""
    Notification.objects.update(status=NotificationStatus.RETIRED)  # the fixture's own
    delivery.sweep()  # the sources' first run: then they sleep on their cursors
    for address in addresses(count):
        invite(network, address)
    with CaptureQueriesContext(connection) as queries:
        result = delivery.prepare()
    assert result.bundled == count
    assert Message.objects.filter(status=MessageStatus.QUEUED, rendered=False).count() == count
    # 1 the pulse (no source is due); bundling: 2 savepoint, 3 the due rows locked (with their
    # recipients), 4 their subjects (invitations: can they still be told?), 5 the INSERT of the
    # messages, 6 one UPDATE of the rows, 7 release. Nothing is rendered: the senders write the
    # messages. The same for 3 and for 30.
    assert len(queries) == 7, "\n".join(q["sql"][:120] for q in queries.captured_queries)


def test_planning_the_same_notification_twice_is_a_no_op(network, smtp):
    invitation = invite(network, "twice@example.org")

    assert delivery.notify("invitation", invitation, address="twice@example.org") is None
    assert delivery.notify("invitation", invitation, address="TWICE@example.org") is None
    delivery.sweep()

    assert Notification.objects.filter(kind="invitation", object_id=invitation.pk).count() == 1
    assert smtp.mailbox.recipients() == ["twice@example.org"]


def test_retired_notification_is_never_sent(network, smtp):
    invitation = invite(network, "withdrawn@example.org")

    assert delivery.retire("invitation", invitation) == 1
    result = delivery.sweep()

    assert (result.bundled, result.sent) == (0, 0)
    assert smtp.received == []
    assert Notification.objects.get().status == NotificationStatus.RETIRED
    assert not Message.objects.exists()


def test_a_replaced_invitation_sends_only_the_new_one(network, smtp):
    first = invite(network, "again@example.org")
    second = invite(network, "again@example.org")

    delivery.sweep()

    assert smtp.mailbox.recipients() == ["again@example.org"]
    statuses = dict(Notification.objects.values_list("object_id", "status"))
    assert statuses == {first.pk: NotificationStatus.RETIRED, second.pk: NotificationStatus.SENT}


@pytest.mark.parametrize("batch_size", [100, 2])
def test_a_foreground_sweep_opens_one_smtp_connection_whatever_the_batches(network, smtp, settings, batch_size):
    """Issue 6: one connection per sweep, not one per batch of DELIVERY_BATCH_SIZE (5 messages, 3 batches of 2)."""
    settings.DELIVERY_BATCH_SIZE = batch_size
    for address in addresses(5):
        invite(network, address)

    assert delivery.sweep().sent == 5

    assert smtp.connections == 1
    assert sorted(smtp.mailbox.recipients()) == addresses(5)


def test_a_sweep_with_nothing_to_send_opens_no_smtp_connection(network, smtp):
    assert delivery.sweep().sent == 0
    assert smtp.connections == 0


# --- Concurrency ----------------------------------------------------------------------


@committed
@pytest.mark.parametrize("bundled_first", [True, False], ids=["due messages", "due notifications"])
def test_two_concurrent_sweeps_send_each_message_exactly_once(network, smtp, settings, bundled_first):
    settings.DELIVERY_BATCH_SIZE = 4
    for address in addresses(30):
        invite(network, address)
    if bundled_first:
        assert delivery.prepare().bundled == 30
    start = threading.Barrier(2)
    sent: list[int] = []
    errors: list[BaseException] = []

    def sweep_in_own_connection() -> None:
        try:
            start.wait(timeout=10)
            sent.append(delivery.sweep().sent)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep_in_own_connection) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors
    assert sum(sent) == 30
    assert sorted(smtp.mailbox.recipients()) == addresses(30)
    assert Message.objects.count() == 30
    assert Message.objects.filter(status=MessageStatus.SENT, attempts=1).count() == 30


@committed
def test_duplicated_sweeps_and_overlapping_batches_on_a_real_worker_send_each_message_once(
    network, smtp, settings, celery_worker
):
    settings.DELIVERY_BATCH_SIZE = 10
    for address in addresses(30):
        invite(network, address)
    assert delivery.prepare().bundled == 30
    ids = sorted(Message.objects.values_list("pk", flat=True))

    with celery_worker() as worker_tasks:
        tasks.sweep.delay()
        tasks.sweep.delay()
        tasks.send_messages.delay(ids[:20])
        tasks.send_messages.delay(ids[10:])
        worker_tasks.wait_until_idle(at_least=4)

    assert sorted(smtp.mailbox.recipients()) == addresses(30)
    assert Message.objects.filter(status=MessageStatus.SENT, attempts=1).count() == 30


@committed
def test_a_worker_sends_a_sweeps_batches_over_one_smtp_connection_per_thread(network, smtp, settings, celery_worker):
    """Issue 6: SMTP connections per sweep, at most one per worker (here two threads, five batches)."""
    settings.DELIVERY_BATCH_SIZE = 10
    for address in addresses(50):
        invite(network, address)

    with celery_worker(concurrency=2) as worker_tasks:
        tasks.sweep.delay()
        worker_tasks.wait_until_idle(at_least=6)  # the sweep, then its five send_messages tasks

    assert sorted(smtp.mailbox.recipients()) == addresses(50)
    assert Message.objects.filter(status=MessageStatus.SENT, attempts=1).count() == 50
    assert 1 <= smtp.connections <= 2


def test_a_held_connection_is_reused_while_fresh_and_replaced_when_idle_or_dropped(network, smtp, monkeypatch):
    monkeypatch.setattr(delivery, "_held", delivery._Held())  # this thread starts without one
    batches = [invite(network, address) for address in addresses(4)]
    assert delivery.prepare().bundled == len(batches)
    ids = sorted(Message.objects.values_list("pk", flat=True))

    assert delivery.send_batch(ids[:1], hold=True) == 1
    assert delivery.send_batch(ids[1:2], hold=True) == 1  # right after: the same connection
    assert smtp.connections == 1
    delivery._held.last_used -= delivery.HOLD_SECONDS + 1  # idle too long: closed, a new one
    assert delivery.send_batch(ids[2:3], hold=True) == 1
    assert smtp.connections == 2
    delivery._held.connection.backend.connection.sock.shutdown(socket.SHUT_RDWR)  # dropped under our feet
    assert delivery.send_batch(ids[3:], hold=True) == 1
    assert smtp.connections == 3
    assert Message.objects.filter(status=MessageStatus.SENT, attempts=1).count() == 4
    delivery._held.connection.close()


@committed
def test_a_long_sweep_leases_each_batch_from_the_time_it_claims_it(network, smtp, settings):
    settings.DELIVERY_BATCH_SIZE = 1
    invite(network, "slow.first@example.org")
    invite(network, "slow.second@example.org")
    taken_by_another_sender: list[Message] = []

    def another_sender_claims() -> None:
        try:
            taken_by_another_sender.extend(delivery.claim(timezone.now()))
        finally:
            connection.close()

    def while_sending(message: object) -> None:
        if not smtp.received:
            # The first batch takes longer than a lease.
            clock.shift(settings.DELIVERY_LEASE_SECONDS + 60)
            return
        # While the second batch is on the wire, another sender looks for work (from
        # a thread: the ORM refuses to run in the SMTP server's event loop).
        other = threading.Thread(target=another_sender_claims)
        other.start()
        other.join(timeout=10)

    smtp.mailbox.on_data = while_sending
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert delivery.sweep().sent == 2

    assert taken_by_another_sender == []
    assert sorted(smtp.mailbox.recipients()) == ["slow.first@example.org", "slow.second@example.org"]


# --- A sender that dies ---------------------------------------------------------------


def _send_then_die() -> None:
    """In a forked child: claim and send over SMTP, then die before marking the message sent."""
    try:
        # The parent's connection pool came along with the fork; its sockets belong
        # to the parent, so the child connects on its own and never touches them.
        connection.settings_dict["OPTIONS"].pop("pool", None)
        delivery._mark_sent = lambda message, now: os._exit(9)
        delivery.send_batch()
    finally:
        os._exit(1)


@committed
def test_sender_killed_between_sending_and_marking_resends_once_after_the_lease(network, smtp, settings):
    invitation = invite(network, "crash@example.org")
    assert delivery.prepare().bundled == 1
    assert not Message.objects.get().rendered  # its sender writes it
    connections.close_all()
    child = multiprocessing.get_context("fork").Process(target=_send_then_die)
    child.start()
    child.join(timeout=30)

    assert child.exitcode == 9
    assert len(smtp.received) == 1
    message = Message.objects.get()
    assert (message.status, message.attempts) == (MessageStatus.SENDING, 1)
    lease = dt.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    assert timezone.now() < message.lease_expires_at <= timezone.now() + lease

    assert delivery.sweep().sent == 0
    with time_machine.travel(message.lease_expires_at - dt.timedelta(seconds=1), tick=False):
        assert delivery.sweep().sent == 0
    assert len(smtp.received) == 1
    # The dead sender stored what it sent: the resend does not render the invitation as it now stands.
    invitation.expires_at += dt.timedelta(days=30)
    invitation.save()

    with time_machine.travel(message.lease_expires_at + dt.timedelta(seconds=1), tick=False):
        assert delivery.sweep().sent == 1
    with time_machine.travel(message.lease_expires_at + dt.timedelta(days=1), tick=False):
        assert delivery.sweep().sent == 0

    first, resent = smtp.received
    assert first["Message-ID"] == resent["Message-ID"]
    assert first.get_body(("plain",)).get_content() == resent.get_body(("plain",)).get_content()
    assert first["Subject"] == resent["Subject"]
    assert first["Message-ID"].startswith(f"<message-{message.pk}@")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)
    assert Notification.objects.get().status == NotificationStatus.SENT


# --- Redis down -----------------------------------------------------------------------


@committed
def test_invitations_are_saved_while_redis_is_down_and_delivered_once_it_is_back(
    network, smtp, settings, broker, celery_worker, client
):
    dead_broker = f"redis://127.0.0.1:{free_port()}/15"
    point_celery_at(dead_broker)
    settings.CELERY_BROKER_URL = dead_broker

    invite(network, "by.service@example.org")
    # Outside demo mode the officer's pages need a second factor on record.
    if not Authenticator.objects.filter(user=network.officer, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(network.officer, generate_totp_secret())
    client.force_login(network.officer)
    response = client.post(
        f"/workgroups/{network.wgai.pk}/invite/",
        {"email": "by.page@example.org", "role": Role.DELEGATE, "member_state": state("SGP").pk},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/workgroups/{network.wgai.pk}/"
    assert set(Notification.objects.values_list("address", flat=True)) == {
        "by.service@example.org",
        "by.page@example.org",
    }

    # Beat's publish of the sweep fails fast instead of hanging its caller.
    outcome: dict[str, object] = {}

    def publish() -> None:
        started = time.monotonic()
        try:
            tasks.sweep.delay()
        except Exception as exc:
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - started

    publisher = threading.Thread(target=publish, daemon=True)
    publisher.start()
    publisher.join(timeout=15)
    assert not publisher.is_alive(), "publishing to an unreachable broker hangs"
    assert isinstance(outcome.get("error"), OperationalError)
    assert outcome["seconds"] < 5

    point_celery_at(broker)
    settings.CELERY_BROKER_URL = broker
    with celery_worker() as worker_tasks:
        tasks.sweep.delay()
        worker_tasks.wait_until_idle(at_least=2)  # the sweep, then one batch of two
        tasks.sweep.delay()
        worker_tasks.wait_until_idle(at_least=3)  # the second sweep finds nothing due

    assert sorted(smtp.mailbox.recipients()) == ["by.page@example.org", "by.service@example.org"]
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == 2


# --- SMTP refusing ----------------------------------------------------------------------


def _break(smtp: SmtpServer, how: str) -> None:
    if how == "stopped":
        smtp.stop()
    else:
        smtp.refuse(f"{how} Not now")


@pytest.mark.parametrize("how", ["421", "550", "stopped"])
def test_refused_message_backs_off_exponentially_then_fails_keeping_the_error(network, smtp, settings, how):
    settings.DELIVERY_MAX_ATTEMPTS = 5
    settings.DELIVERY_BACKOFF_SECONDS = 60
    _break(smtp, how)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        invite(network, "refused@example.org")
        assert delivery.sweep().sent == 0
    message = Message.objects.get()
    gaps = []
    attempted_at = start

    for attempt in range(2, 6):
        message.refresh_from_db()
        assert (message.status, message.attempts) == (MessageStatus.QUEUED, attempt - 1)
        gaps.append((message.next_attempt_at - attempted_at).total_seconds())
        with time_machine.travel(message.next_attempt_at - dt.timedelta(seconds=1), tick=False):
            assert delivery.sweep().sent == 0
        assert Message.objects.get().attempts == attempt - 1, "attempted before next_attempt_at"
        attempted_at = message.next_attempt_at
        with time_machine.travel(attempted_at, tick=False):
            assert delivery.sweep().sent == 0

    assert gaps == [60, 120, 240, 480]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.lease_expires_at) == (MessageStatus.FAILED, 5, None)
    expected_error = "Connection refused" if how == "stopped" else f"{how}, b'Not now'"
    assert expected_error in message.last_error
    assert Notification.objects.get().status == NotificationStatus.FAILED
    with time_machine.travel(start + dt.timedelta(days=30), tick=False):
        assert delivery.sweep().sent == 0
    assert Message.objects.get().attempts == 5
    assert smtp.refused == (0 if how == "stopped" else 5)
    assert smtp.received == []


def test_message_refused_then_unreachable_is_delivered_once_when_smtp_recovers(network, smtp, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 5
    smtp.refuse("421 Busy")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        invite(network, "patient@example.org")
        delivery.sweep()
    smtp.stop()
    with time_machine.travel(Message.objects.get().next_attempt_at, tick=False):
        delivery.sweep()
    smtp.accept()
    smtp.start()

    message = Message.objects.get()
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 2)
    assert "Connection refused" in message.last_error
    with time_machine.travel(message.next_attempt_at, tick=False):
        assert delivery.sweep().sent == 1
    with time_machine.travel(start + dt.timedelta(days=30), tick=False):
        assert delivery.sweep().sent == 0

    assert smtp.mailbox.recipients() == ["patient@example.org"]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 3, "")
    assert Notification.objects.get().status == NotificationStatus.SENT


# --- The foreground command ----------------------------------------------------------------


def test_send_due_reminders_sends_what_is_due_once(network, smtp):
    invite(network, "command@example.org")
    first, second = StringIO(), StringIO()

    call_command("send_due_reminders", stdout=first)
    call_command("send_due_reminders", stdout=second)

    assert first.getvalue().endswith("bundled 1, sent 1.\n")
    assert second.getvalue().endswith("bundled 0, sent 0.\n")
    assert smtp.mailbox.recipients() == ["command@example.org"]


@committed
def test_send_due_reminders_loop_sweeps_again_after_each_interval(network, smtp, monkeypatch):
    invite(network, "before@example.org")
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        # The loop's wait: something comes due during the first, Ctrl-C ends the second.
        pauses.append(seconds)
        if len(pauses) == 1:
            invite(network, "during@example.org")
        else:
            raise KeyboardInterrupt

    monkeypatch.setattr(send_due_reminders, "time", SimpleNamespace(sleep=pause))
    out = StringIO()

    call_command("send_due_reminders", "--loop", "--interval", "0.01", stdout=out)

    assert pauses == [0.01, 0.01]
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert all(line.endswith("bundled 1, sent 1.") for line in lines)
    assert smtp.mailbox.recipients() == ["before@example.org", "during@example.org"]
