"""The intake benchmark's baseline table, made by the benchmark in its own throw-away database.

`doorstep.bench` is not an installed app: this model belongs to no migration, so no production
database ever gets the table. `ensure_table()` creates it with the schema editor when the bench
prepares its database (`doorstep bench intake` makes a fresh one per run).
"""

from django.db import connection, models


class BaselineRow(models.Model):
    """As wide as orders_workorder (same column types), for the intake benchmark's baseline:
    the cost of one INSERT of one row through Django, with nothing else around it."""

    number = models.CharField(max_length=32)
    kind = models.CharField(max_length=16)
    fault_class = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=16)
    suspended_from = models.CharField(max_length=16, blank=True)
    branch_id = models.BigIntegerField()
    customer_id = models.BigIntegerField()
    symptom = models.TextField(blank=True)
    product = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=16)
    reported_at = models.DateTimeField()
    received_by_id = models.BigIntegerField()
    approved_deadline = models.DateTimeField(null=True)
    lat = models.FloatField(null=True)
    lng = models.FloatField(null=True)
    area_code = models.CharField(max_length=32, blank=True)
    technician_id = models.BigIntegerField(null=True)
    appointment_start = models.DateTimeField(null=True)
    appointment_end = models.DateTimeField(null=True)
    repeat_of_id = models.BigIntegerField(null=True)
    incident_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True)
    closed_at = models.DateTimeField(null=True)
    version = models.PositiveIntegerField(default=0)
    event_count = models.PositiveIntegerField(default=0)
    history_head = models.CharField(max_length=64, blank=True)

    # Declared: the type checker's Django plugin sees installed apps' models only.
    objects: models.Manager["BaselineRow"] = models.Manager()

    class Meta:
        app_label = "doorstep_bench"  # not in INSTALLED_APPS: invisible to makemigrations
        db_table = "bench_baseline_row"

    def __str__(self) -> str:
        return self.number


def ensure_table() -> None:
    if BaselineRow._meta.db_table not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(BaselineRow)
