# The intake benchmark's baseline table used to be created by the bench app's migration in every
# database, production included. The bench now makes it in its own throw-away database only
# (doorstep/bench/baseline.py); drop the leftover. Nothing reads it: no reverse.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS bench_baselinerow", migrations.RunSQL.noop),
    ]
