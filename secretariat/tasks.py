"""Celery tasks: thin, idempotent, taking ids, acknowledged late.

Beat runs `sweep` every minute (one static schedule entry). The sweep plans and
bundles in the database, then fans the sending out to the workers, one task per
batch of message ids. A duplicated or redelivered task is harmless: sending
starts with a conditional claim that only one sender can win.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from . import delivery
from .history import acting_as
from .services import system_user

RETRY = {
    "acks_late": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@shared_task(**RETRY)
def sweep() -> int:
    """Plan and bundle what is due, then hand batches of messages to the workers.

    Most beats find nothing to do: the pulse's one query, and the task returns.
    """
    now = timezone.now()
    state = delivery.pulse(now)
    if state.idle(now):
        return 0
    with acting_as(system_user()):
        result = delivery.prepare(now, state=state)
    ids = delivery.due_message_ids(timezone.now()) if result.sendable else []
    size = settings.DELIVERY_BATCH_SIZE
    for start in range(0, len(ids), size):
        send_messages.delay(ids[start : start + size])
    return len(ids)


@shared_task(**RETRY)
def send_messages(message_ids: list[int]) -> int:
    """Claim and send these messages (those another sender already took are skipped), over
    the worker thread's SMTP connection, kept open for the sweep's next batch."""
    return delivery.send_batch(message_ids, hold=True)
