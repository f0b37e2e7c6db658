"""Migrations that move data between apps keep it: run them from the state before the move."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor


def migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def test_the_moves_out_of_api_and_bench_keep_or_drop_what_they_should(
    transactional_db: Any,
) -> None:
    """One round trip through the old migrations (they are slow to replay): IdempotencyRecord
    moves from api to orders with its rows; the bench table old databases have is dropped."""
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate([("api", "0001_initial"), ("orders", "0003_personal_view_customer")])
    user = old.get_model("auth", "User").objects.create(username="phone-user")
    old.get_model("api", "IdempotencyRecord").objects.create(
        user_id=user.pk, key="k-1", request_hash="h", status_code=200, response={"ok": 1}
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_baselinerow (id integer PRIMARY KEY, number text)")
        cursor.execute("INSERT INTO bench_baselinerow VALUES (1, 'old')")

    migrate(latest)

    from doorstep.orders.models import IdempotencyRecord

    kept = IdempotencyRecord.objects.get(key="k-1")
    assert (kept.user_id, kept.status_code, kept.response) == (user.pk, 200, {"ok": 1})
    # The moved table takes new rows, and the one-answer-per-key constraint came along.
    IdempotencyRecord.objects.create(
        user_id=user.pk, key="k-2", request_hash="h", status_code=201, response={}
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        IdempotencyRecord.objects.create(
            user_id=user.pk, key="k-2", request_hash="x", status_code=201, response={}
        )
    tables = connection.introspection.table_names()
    assert "orders_idempotencyrecord" in tables and "api_idempotencyrecord" not in tables
    assert "bench_baselinerow" not in tables


def test_a_migrated_database_has_no_bench_table(db: Any) -> None:
    assert not [t for t in connection.introspection.table_names() if t.startswith("bench")]


def test_the_bench_makes_its_baseline_table_itself(transactional_db: Any) -> None:
    from doorstep.bench.baseline import BaselineRow, ensure_table

    try:
        ensure_table()
        ensure_table()  # a second call finds it there
        assert "bench_baseline_row" in connection.introspection.table_names()
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(BaselineRow)
