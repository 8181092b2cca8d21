"""The eleven member states (Timor-Leste admitted on 26 October 2025) and the
secretariat group."""

from django.db import migrations

STATES = [
    ("BRN", "Brunei Darussalam", "Asia/Brunei", "BN"),
    ("KHM", "Cambodia", "Asia/Phnom_Penh", "KH"),
    ("IDN", "Indonesia", "Asia/Jakarta", "ID"),
    ("LAO", "Lao PDR", "Asia/Vientiane", "LA"),
    ("MYS", "Malaysia", "Asia/Kuala_Lumpur", "MY"),
    ("MMR", "Myanmar", "Asia/Yangon", "MM"),
    ("PHL", "Philippines", "Asia/Manila", "PH"),
    ("SGP", "Singapore", "Asia/Singapore", "SG"),
    ("THA", "Thailand", "Asia/Bangkok", "TH"),
    ("TLS", "Timor-Leste", "Asia/Dili", "TL"),
    ("VNM", "Viet Nam", "Asia/Ho_Chi_Minh", "VN"),
]


def load(apps, schema_editor):
    MemberState = apps.get_model("secretariat", "MemberState")
    HistoricalMemberState = apps.get_model("secretariat", "HistoricalMemberState")
    Group = apps.get_model("auth", "Group")
    from django.utils import timezone

    for code, name, zone, holidays_code in STATES:
        state, created = MemberState.objects.get_or_create(
            code=code, defaults={"name": name, "time_zone": zone, "holidays_code": holidays_code}
        )
        if created:
            HistoricalMemberState.objects.create(
                id=state.pk,
                code=code,
                name=name,
                time_zone=zone,
                holidays_code=holidays_code,
                history_date=timezone.now(),
                history_type="+",
                history_change_reason="Loaded with the first migration",
            )
    Group.objects.get_or_create(name="secretariat")


class Migration(migrations.Migration):
    dependencies = [("secretariat", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
