"""R14's default: 5 repair reports from one area within 60 minutes are one batch fault
(003 part 3 §3.1). Frozen: the row as it stood when this migration was written."""

from django.db import migrations

KEY = "incident.threshold"
ROW = {
    "key": KEY,
    "label": "同一区域60分钟内5张报障视为批量障碍",
    "kind": "repair",
    "minutes": 60,
    "params": {"reports": 5, "manager_after_minutes": 15},
    "source": "003 part 3 §3.1",
}


def load(apps, schema_editor):
    Policy = apps.get_model("standards", "Policy")
    if not Policy.objects.filter(key=KEY).exists():
        Policy.objects.create(**ROW)


def unload(apps, schema_editor):
    apps.get_model("standards", "Policy").objects.filter(key=KEY).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("standards", "0004_clock_failure_db_default"),
    ]
    operations = [migrations.RunPython(load, unload)]
