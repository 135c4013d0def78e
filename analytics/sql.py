"""Named SQL queries from .sql files beside a module (`-- name: x` starts a block, the next line says what it returns)."""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.M)


@lru_cache(maxsize=None)
def queries(sql_file: str) -> dict[str, str]:
    text = Path(sql_file).read_text()
    parts = _NAME.split(text)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


def run(con: duckdb.DuckDBPyConnection, sql_file: str, name: str, **params) -> pd.DataFrame:
    """Run one named query with bound parameters ($name in the SQL) and return a DataFrame."""
    return con.execute(queries(sql_file)[name], params).df()


def month_end(value: str | dt.date | None) -> dt.date | None:
    """'2024-03' or any date in March 2024 -> 2024-03-31."""
    if value is None:
        return None
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", value):
            raise ValueError(f"expected YYYY-MM, got {value!r}")
        value = dt.date(int(value[:4]), int(value[5:7]), 1)
    if isinstance(value, dt.datetime):
        value = value.date()
    first_next = (value.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first_next - dt.timedelta(days=1)
