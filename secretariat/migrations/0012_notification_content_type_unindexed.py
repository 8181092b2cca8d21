"""The notification's content type loses its own index: every lookup names the kind too, and the
unique key notification_once leads with (kind, content_type, object_id). One index fewer to
write for each notification a sweep plans and bundles."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("secretariat", "0011_drop_redundant_fk_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="content_type",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, to="contenttypes.contenttype"
            ),
        ),
    ]
