# IdempotencyRecord moves to the orders app, whose API is the one that uses it. The table and its
# rows stay: it is renamed to the orders app's table name, and only the model state moves
# (orders.0004_idempotencyrecord takes it over).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_drop_bench_baseline_table"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(
                    name="IdempotencyRecord", table="orders_idempotencyrecord"
                ),
            ],
            state_operations=[
                migrations.DeleteModel(name="IdempotencyRecord"),
            ],
        ),
    ]
