"""R17's audit sampling default: one close-out in ten is sampled for audit at close-out.
Frozen: the row as it stood when this migration was written."""

from django.db import migrations

KEY = "quality.audit_share"
ROW = {
    "key": KEY,
    "label": "回单抽检比例（回访时按比例随机抽取回单稽核）",
    "params": {"share": 0.1},
    "source": "000 ch.1 §21, 003",
}


def load(apps, schema_editor):
    Policy = apps.get_model("standards", "Policy")
    if not Policy.objects.filter(key=KEY).exists():
        Policy.objects.create(**ROW)


def unload(apps, schema_editor):
    apps.get_model("standards", "Policy").objects.filter(key=KEY).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0001_initial"),
        ("standards", "0004_clock_failure_db_default"),
    ]
    operations = [migrations.RunPython(load, unload)]
