"""Seals for the history tables (tamper evidence), and seals for the rows that
earlier migrations wrote."""

from django.db import migrations, models


def seal_existing(apps, schema_editor):
    from secretariat import audit_chain

    AuditSeal = apps.get_model("secretariat", "AuditSeal")
    for model in apps.get_app_config("secretariat").get_models():
        if not model.__name__.startswith("Historical"):
            continue
        label = "secretariat." + model.__name__[len("Historical"):]
        tips = {}
        seals = []
        for row in model.objects.order_by("history_id"):
            previous = tips.get(row.id, audit_chain.GENESIS)
            seal = audit_chain.seal_of(row, previous)
            tips[row.id] = seal
            seals.append(AuditSeal(model=label, history_id=row.history_id, object_id=row.id, previous=previous, seal=seal))
        AuditSeal.objects.bulk_create(seals)


class Migration(migrations.Migration):
    dependencies = [("secretariat", "0004_security_events")]

    operations = [
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("model", models.CharField(max_length=100)),
                ("history_id", models.BigIntegerField()),
                ("object_id", models.CharField(max_length=64)),
                ("previous", models.CharField(max_length=64)),
                ("seal", models.CharField(max_length=64)),
            ],
            options={
                "indexes": [models.Index(fields=["model", "object_id", "-history_id"], name="auditseal_chain_tip")],
                "constraints": [models.UniqueConstraint(fields=("model", "history_id"), name="auditseal_one_per_row")],
            },
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
    ]
