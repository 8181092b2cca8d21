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
    """Plan and bundle what is due, then hand batches of messages to the workers."""
    with acting_as(system_user()):
        delivery.prepare()
    ids = delivery.due_message_ids(timezone.now())
    size = settings.DELIVERY_BATCH_SIZE
    for start in range(0, len(ids), size):
        send_messages.delay(ids[start : start + size])
    return len(ids)


@shared_task(**RETRY)
def send_messages(message_ids: list[int]) -> int:
    """Claim and send these messages (those another sender already took are skipped)."""
    return delivery.send_batch(message_ids)
