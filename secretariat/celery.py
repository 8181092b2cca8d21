"""The Celery app, wired as cookiecutter-django does it.

Beat has one static schedule entry: the delivery sweep, every minute. The sweep
derives everything from database rows, so beat never schedules ETA or countdown
tasks (Redis redelivers those and duplicates them).
"""

from __future__ import annotations

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secretariat.settings")

app = Celery("secretariat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def warm(**kwargs: object) -> None:
    """Load once, as the worker starts, what the first sweep would otherwise load (before a
    prefork pool forks its children, which inherit it)."""
    from secretariat import delivery

    delivery.warm()
