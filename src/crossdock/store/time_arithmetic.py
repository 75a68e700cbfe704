"""Time arithmetic in SQL, which SQLite and PostgreSQL spell differently: the seconds between two timestamps,
and the minute a timestamp falls in (as 'YYYY-MM-DD HH:MM', UTC). Lets flow health count and rank lags in the
database instead of reading every row."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class seconds_between(FunctionElement[float]):
    type = sa.Float()
    inherit_cache = True
    name = "seconds_between"


class utc_minute(FunctionElement[str]):
    type = sa.String()
    inherit_cache = True
    name = "utc_minute"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (
        f"((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)})) * 86400.0)"
    )


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)}))"


@compiles(utc_minute, "sqlite")
def _utc_minute_sqlite(element: utc_minute, compiler: Any, **kw: Any) -> str:
    (moment,) = list(element.clauses)
    # Stored as UTC text without an offset: the first 16 characters are the minute.
    return f"substr({compiler.process(moment, **kw)}, 1, 16)"


@compiles(utc_minute, "postgresql")
def _utc_minute_postgresql(element: utc_minute, compiler: Any, **kw: Any) -> str:
    (moment,) = list(element.clauses)
    return f"to_char({compiler.process(moment, **kw)} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
