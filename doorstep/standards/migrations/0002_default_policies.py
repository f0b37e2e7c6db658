"""SPEC §3 defaults as policy rows, and a working-hours calendar admins can pick."""

from django.db import migrations


def load(apps, schema_editor):
    from doorstep.standards.policies import load_defaults

    load_defaults(apps.get_model("standards", "Policy"), apps.get_model("standards", "Calendar"))


def unload(apps, schema_editor):
    apps.get_model("standards", "Policy").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("standards", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
