"""The Celery app, wired as cookiecutter-django does it.

Beat has one static schedule entry: the delivery sweep, every minute. The sweep
derives everything from database rows, so beat never schedules ETA or countdown
tasks (Redis redelivers those and duplicates them).
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secretariat.settings")

app = Celery("secretariat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
