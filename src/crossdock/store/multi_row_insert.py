"""One ``INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING RETURNING …`` for many rows, written as the driver's
own SQL.

SQLAlchemy's executemany with RETURNING ("insertmanyvalues") takes every row through its compiled-statement
machinery. For the inbox writer, which stores thousands of webhook bodies a second in one thread of the web
process, that cost more Python time than the database's own work. Here the statement text is built once per
row count and dialect, each column's bind processor (the one SQLAlchemy uses: UTC timestamps, JSON) is looked
up once per statement, and a row costs one tuple.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

# SQLite allows 32,766 bound values per statement and PostgreSQL 65,535: rows go in chunks below both.
MAX_VALUES_PER_STATEMENT = 30_000


class MultiRowInsert:
    def __init__(self, table: sa.Table, columns: Sequence[str], returning: Sequence[str]) -> None:
        self._table = table
        self._columns = tuple(columns)
        self._returning = tuple(returning)
        self._rows_per_statement = max(1, MAX_VALUES_PER_STATEMENT // len(self._columns))

    def execute(self, connection: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """Insert ``rows`` (each a mapping with every column), skipping those that conflict with a unique
        constraint; return the ``returning`` columns of the rows inserted, as the database gives them."""
        dialect = connection.dialect
        processors = self._processors(dialect)
        inserted: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), self._rows_per_statement):
            chunk = rows[start : start + self._rows_per_statement]
            values: list[Any] = []
            for row in chunk:
                for column, process in zip(self._columns, processors, strict=True):
                    value = row[column]
                    values.append(value if process is None or value is None else process(value))
            sql = _statement(
                dialect.name, dialect.paramstyle, self._table.name, self._columns, self._returning, len(chunk)
            )
            inserted.extend(tuple(found) for found in connection.exec_driver_sql(sql, tuple(values)))
        return inserted

    def _processors(self, dialect: Dialect) -> list[Any]:
        return [self._table.c[column].type._cached_bind_processor(dialect) for column in self._columns]


@lru_cache(maxsize=256)
def _statement(
    dialect_name: str,
    paramstyle: str,
    table: str,
    columns: tuple[str, ...],
    returning: tuple[str, ...],
    row_count: int,
) -> str:
    if paramstyle == "qmark":
        marker = "?"
    elif paramstyle in ("format", "pyformat"):
        marker = "%s"
    else:
        raise NotImplementedError(f"{dialect_name}: parameter style {paramstyle} is not supported")
    one_row = "(" + ", ".join([marker] * len(columns)) + ")"
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one_row] * row_count)} "
        f"ON CONFLICT DO NOTHING RETURNING {', '.join(returning)}"
    )
