"""Fast multi-row upserts for imports: one prepared `INSERT ... ON CONFLICT` run with executemany.

`QuerySet.bulk_create(update_conflicts=True)` emits the same SQL, but compiles every value of
every object through the ORM; on the 145k-paper import that compilation took about half of the
time (measured with cProfile, see benchmarks/import_feed.py). Values here still go through each
field's `get_db_prep_save`, so JSON, dates and times are adapted exactly as the ORM would, on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def upsert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
) -> None:
    """Insert rows of `columns` values; on a `conflict` clash update `update` columns, or skip."""
    fields = [_field(model, name) for name in columns]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(_column(model, name)) for name in columns)
    placeholders = ", ".join(["%s"] * len(fields))
    target = ", ".join(quote(_column(model, name)) for name in conflict)
    if update:
        sets = ", ".join(
            f"{quote(c)} = EXCLUDED.{quote(c)}" for c in (_column(model, name) for name in update)
        )
        action = f"DO UPDATE SET {sets}"
    else:
        action = "DO NOTHING"
    sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders}) ON CONFLICT ({target}) {action}"
    adapters = [
        (i, f.get_db_prep_save)
        for i, f in enumerate(fields)
        if isinstance(f, models.JSONField | models.DateField | models.DecimalField)
    ]
    prepared = []
    for row in rows:
        values = list(row)
        for i, adapt in adapters:
            values[i] = adapt(values[i], connection)
        prepared.append(values)
    if prepared:
        with connection.cursor() as cursor:
            cursor.executemany(sql, prepared)


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise ValueError(f"{model.__name__}.{name} is a reverse relation, not a field")
    return field


def _column(model: type[models.Model], name: str) -> str:
    column = _field(model, name).column
    if not column:
        raise ValueError(f"{model.__name__}.{name} has no column in the table")
    return column
