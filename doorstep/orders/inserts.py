"""New rows written together: one statement on PostgreSQL instead of one per row.

Each row is compiled by Django's own insert compiler, exactly as `Model.save()` would compile
it (the same columns, defaults, `auto_now` values and conversions); on PostgreSQL the inserts
are then chained as data-modifying CTEs, so an intake's customer, order and first event cost
one round trip. A row whose foreign key points at an earlier, not yet saved row of the same
call reads that row's id from its CTE. Elsewhere (SQLite), and for a model with pre_save or
post_save receivers (the chained insert would not send them), each row is saved in turn.
A model's own `save()` is not called either: the intake's models override it only to refuse
an update (OrderEvent's append-only guard), and these rows are new.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery


def insert_together(*objs: Model) -> None:
    """Insert these new rows, in this order; afterwards each has its pk and counts as saved."""
    # A model with save signals is saved the ordinary way, so a receiver added later is never
    # skipped on PostgreSQL alone.
    signalled = any(
        pre_save.has_listeners(type(o)) or post_save.has_listeners(type(o)) for o in objs
    )
    if connection.vendor != "postgresql" or len(objs) < 2 or signalled:
        for obj in objs:
            obj.save(force_insert=True)
        return
    qn = connection.ops.quote_name
    ctes: list[str] = []
    params: list[Any] = []
    relinks: list[tuple[Model, str, Model]] = []
    for i, obj in enumerate(objs):
        meta = obj._meta
        for field in meta.concrete_fields:
            if not field.many_to_one:
                continue
            target = field.get_cached_value(obj, None)  # type: ignore[attr-defined]
            earlier = [j for j, o in enumerate(objs[:i]) if o is target and o.pk is None]
            if earlier:
                pk = qn(target._meta.pk.column)  # type: ignore[union-attr]
                setattr(obj, field.attname, RawSQL(f"SELECT {pk} FROM r{earlier[0]}", []))
                relinks.append((obj, field.name, target))
        # As Model._save_table: the auto pk is left to the database unless it is set.
        fields = [
            f for f in meta.local_concrete_fields if obj.pk is not None or f is not meta.auto_field
        ]
        query = InsertQuery(type(obj))
        query.insert_values(fields, [obj])
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = [meta.pk]
        [(sql, row_params)] = compiler.as_sql()
        ctes.append(f"r{i} AS ({sql})")
        params.extend(row_params)
    pks = ", ".join(f"(SELECT {qn(o._meta.pk.column)} FROM r{i})" for i, o in enumerate(objs))  # type: ignore[union-attr]
    with connection.cursor() as cur:
        cur.execute(f"WITH {', '.join(ctes)} SELECT {pks}", params)
        row = cur.fetchone()
    for obj, pk in zip(objs, row, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    for obj, name, target in relinks:
        setattr(obj, name, target)
