"""Write many rows at once: COPY on PostgreSQL, executemany() on SQLite.

Both paths write the same values: the rows hold values already prepared for the database
(`Field.get_db_prep_save`), and run inside the caller's transaction. PostgreSQL's COPY (psycopg
3's `cursor.copy`) streams rows without a statement per row; an UPDATE of many rows copies them
into a temporary table and updates from it in one statement. SQLite has no COPY; executemany()
of one prepared statement is its fastest path (multi-row VALUES was no faster).
"""

from collections.abc import Iterable, Sequence
from itertools import batched
from typing import Any

from django.db import connection
from django.db.models import Field
from django.db.models.options import Options

# Rows per executemany() call: bounds the prepared parameters held in memory at once.
EXECUTE_CHUNK = 10_000
UPDATE_TABLE = "procedure_import_update"


def insert_rows(table: str, columns: list[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows of prepared values into `table`'s `columns`."""
    quote = connection.ops.quote_name
    names = ", ".join(map(quote, columns))
    if connection.vendor == "postgresql":
        _copy(f"COPY {quote(table)} ({names}) FROM STDIN", rows)
        return
    placeholders = ", ".join(["%s"] * len(columns))
    # Table and column names come from the model, values are parameters.
    _execute_many(f"INSERT INTO {quote(table)} ({names}) VALUES ({placeholders})", rows)  # noqa: S608


def update_rows(
    opts: Options,
    fields: list[Field],
    stamp_field: Field,
    stamp: Any,
    rows: Iterable[Sequence[Any]],
) -> None:
    """Set `fields` (and `stamp_field` to `stamp`) of the rows given as [pk, *values]."""
    quote = connection.ops.quote_name
    table, pk = quote(opts.db_table), quote(opts.pk.column)
    columns = [quote(f.column) for f in fields]
    if connection.vendor == "postgresql":
        source = quote(UPDATE_TABLE)
        assignments = ", ".join(
            [*(f"{column} = u.{column}" for column in columns), f"{quote(stamp_field.column)} = %s"]
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {source}")
            # The same column types as the table; dropped at the end of the transaction.
            cursor.execute(
                f"CREATE TEMPORARY TABLE {source} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {', '.join([pk, *columns])} FROM {table} WITH NO DATA"
            )
        _copy(f"COPY {source} ({', '.join([pk, *columns])}) FROM STDIN", rows)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {source}")
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} FROM {source} AS u "  # noqa: S608
                f"WHERE t.{pk} = u.{pk}",
                [stamp],
            )
            cursor.execute(f"DROP TABLE {source}")
        return
    assignments = ", ".join(
        [*(f"{column} = %s" for column in columns), f"{quote(stamp_field.column)} = %s"]
    )
    # Table and column names come from the model, values are parameters.
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    _execute_many(sql, ([*values, stamp, key] for key, *values in rows))


def _copy(sql: str, rows: Iterable[Sequence[Any]]) -> None:
    # The driver's own cursor: Django's wrapper has no copy(). Its errors become Django's
    # (IntegrityError, OperationalError) as they would through the wrapper.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _execute_many(sql: str, params: Iterable[Sequence[Any]]) -> None:
    with connection.cursor() as cursor:
        for chunk in batched(params, EXECUTE_CHUNK):
            cursor.executemany(sql, chunk)
