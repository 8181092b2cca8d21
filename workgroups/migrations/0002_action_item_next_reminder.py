"""The stored reminder plan of action items (issue 6): a field, its partial index, a backfill.

The backfill gives every open item the plan a new item gets (DUE_SOON_DAYS before its
due date), except items already past the overdue window, which have nothing left to
remind. Items whose reminders were sent before are planned again: the first sweep
finds their notifications already there (unique key) and moves them on. One UPDATE
per distinct due date, in plain Django: it runs on SQLite (`make run`) and PostgreSQL.
"""

import datetime as dt

from django.db import migrations, models
from django.utils import timezone

# Copied from workgroups.models at the time of writing: a migration must not follow later edits.
DUE_SOON_DAYS = 3
OVERDUE_WINDOW_DAYS = 60
OPEN_STATUSES = ("open", "in_progress")


def backfill(apps, schema_editor):
    ActionItem = apps.get_model("workgroups", "ActionItem")
    zone = timezone.get_default_timezone()
    today = timezone.localdate(timezone.now(), zone)
    items = ActionItem.objects.using(schema_editor.connection.alias).filter(
        status__in=OPEN_STATUSES, due_date__gte=today - dt.timedelta(days=OVERDUE_WINDOW_DAYS)
    )
    for due in items.values_list("due_date", flat=True).distinct().order_by("due_date"):
        plan = dt.datetime.combine(due - dt.timedelta(days=DUE_SOON_DAYS), dt.time.min, tzinfo=zone)
        items.filter(due_date=due).update(next_reminder_at=plan)


class Migration(migrations.Migration):
    dependencies = [
        ("workgroups", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="actionitem",
            name="next_reminder_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="actionitem",
            index=models.Index(
                condition=models.Q(("next_reminder_at__isnull", False)),
                fields=["next_reminder_at"],
                name="action_item_next_reminder",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
