"""The action items' reminder plan moves to a narrow table of its own (workgroups.ReminderPlan).

Moving the plan on an action item rewrote an entry in each of that table's indexes (a change
of an indexed column is never a HOT update): a catch-up sweep moving a thousand plans spent
most of its time there. The plans are copied over as they stand, a thousand rows a statement,
in plain Django: it runs on SQLite (`make run`) and PostgreSQL.
"""

import django.db.models.deletion
from django.db import migrations, models


def copy_plans(apps, schema_editor):
    ActionItem = apps.get_model("workgroups", "ActionItem")
    ReminderPlan = apps.get_model("workgroups", "ReminderPlan")
    alias = schema_editor.connection.alias
    planned = (
        ActionItem.objects.using(alias)
        .filter(next_reminder_at__isnull=False)
        .order_by("pk")
        .values_list("pk", "next_reminder_at")
    )
    batch = []
    for pk, moment in planned.iterator(chunk_size=1000):
        batch.append(ReminderPlan(action_item_id=pk, next_at=moment))
        if len(batch) == 1000:
            ReminderPlan.objects.using(alias).bulk_create(batch)
            batch = []
    ReminderPlan.objects.using(alias).bulk_create(batch)


def copy_back(apps, schema_editor):
    ActionItem = apps.get_model("workgroups", "ActionItem")
    ReminderPlan = apps.get_model("workgroups", "ReminderPlan")
    alias = schema_editor.connection.alias
    plan = ReminderPlan.objects.using(alias).filter(action_item=models.OuterRef("pk")).values("next_at")[:1]
    ActionItem.objects.using(alias).filter(
        models.Exists(
            ReminderPlan.objects.using(alias).filter(action_item=models.OuterRef("pk"), next_at__isnull=False)
        )
    ).update(next_reminder_at=models.Subquery(plan))


class Migration(migrations.Migration):
    dependencies = [
        ("workgroups", "0003_drop_redundant_fk_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReminderPlan",
            fields=[
                (
                    "action_item",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="reminder_plan",
                        serialize=False,
                        to="workgroups.actionitem",
                    ),
                ),
                ("next_at", models.DateTimeField(null=True)),
            ],
        ),
        migrations.AddIndex(
            model_name="reminderplan",
            index=models.Index(
                condition=models.Q(("next_at__isnull", False)), fields=["next_at"], name="reminder_plan_next"
            ),
        ),
        migrations.RunPython(copy_plans, copy_back, elidable=True),
        migrations.RemoveIndex(
            model_name="actionitem",
            name="action_item_next_reminder",
        ),
        migrations.RemoveField(
            model_name="actionitem",
            name="next_reminder_at",
        ),
    ]
