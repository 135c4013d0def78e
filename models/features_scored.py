"""Feature rows of scored month-ends, kept in the analytical store so one loan's explanation reads one row.

Batch scoring builds every feature row of the book at a month-end anyway; it keeps them in `features_scored`
(one row per month-end and loan, ordered by loan_id) in the generation it publishes. Explaining a loan then
reads its row (a point lookup, about 10 ms) instead of planning the point-in-time feature query for one
loan (60-70 ms at any book size). A row is used only when it is certain to equal what that query would return:
- it was built by the same feature code: `feature_set` is a hash of models/features.sql, the functions of
  models/features.py that build a row and the DuckDB version, and a row of another feature set is never read;
- its inputs have not changed since: an import that writes any table the features read drops the whole table
  (`forget_changed`, called by data/upsert.py); restoring a backup does not carry it over (it is not part of
  the canonical schema). The next `score` builds the rows again.
Otherwise the explanation builds the loan's features on demand, as before, with the same values.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import inspect
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import duckdb
import pandas as pd
import pyarrow as pa

from analytics.sql import queries
from models import features
from models.catalog import CATEGORICAL

SQL = str(Path(__file__).with_suffix(".sql"))
# the tables models/features.sql reads: a change to any of them can change a stored row
INPUTS = frozenset({"loans", "borrowers", "performance", "payments", "bureau", "alt_signals", "macro"})


@lru_cache(maxsize=1)
def feature_set() -> str:
    """A hash of the code that builds feature rows: the feature query, the Python that fills it in and turns
    its result into a frame, its constants, and the DuckDB version (rows built by other code are never read;
    the rest of models/features.py, such as matrix(), may change without making the rows stale)."""
    h = hashlib.sha256(duckdb.__version__.encode())
    h.update(Path(features.SQL).read_bytes())
    for fn in (features.build_features, features._query, features.fetch, features.add_months):
        h.update(inspect.getsource(fn).encode())
    h.update(repr((features.LOOKBACK_MONTHS, features.SIGNAL_LOOKBACK_MONTHS, features.ORDER,
                   features._FILTERS)).encode())
    return h.hexdigest()[:16]


def _column_type(name: str) -> str:
    return "VARCHAR" if name in CATEGORICAL else "FLOAT"


def _create_sql(names: list[str]) -> str:
    cols = "".join(f",\n    {n} {_column_type(n)}" for n in names)      # names from the feature frame
    return queries(SQL)["create"].replace("/*FEATURE_COLUMNS*/", cols)


def save(con: duckdb.DuckDBPyConnection, feats: pd.DataFrame, as_of: dt.date) -> None:
    """Keep a month-end's feature rows (a build_features frame of one month, so ordered by loan_id), replacing
    that month's earlier rows; recreates the table when its columns no longer match the feature frame."""
    q = queries(SQL)
    names = [c for c in feats.columns if c not in ("loan_id", "as_of")]
    want = [("loan_id", "VARCHAR"), ("as_of", "DATE"), ("feature_set", "VARCHAR")] + \
        [(n, _column_type(n)) for n in names]
    have = [tuple(r) for r in con.execute(q["columns"]).fetchall()]
    if have and have != want:
        con.execute(q["drop"])
    con.execute(_create_sql(names))
    con.execute(q["delete_month"], {"as_of": as_of, "feature_set": feature_set()})
    con.register("new_features", pa.Table.from_pandas(feats, preserve_index=False))
    try:
        con.execute(q["insert"], {"feature_set": feature_set()})
    finally:
        con.unregister("new_features")


def contract_breaks(con: duckdb.DuckDBPyConnection, as_of: dt.date, targets: list[str]) -> dict[str, int]:
    """Contracts of the stored rows broken (name -> rows); empty when they may be published."""
    names = ("duplicate_keys", "null_keys", "unknown_loans", "not_month_ends", "scored_without_row")
    row = con.execute(queries(SQL)["contracts"], {"as_of": as_of, "targets": targets}).fetchall()[0]
    return {f"features_scored.{k}": v for k, v in zip(names, row) if v}


def stored_row(con: duckdb.DuckDBPyConnection, loan_id: str, as_of: dt.date) -> pd.DataFrame | None:
    """The loan's stored feature row at a month-end as build_features would return it (same columns, types
    and values), or None when that month was not scored with the current feature code or the loan is not in
    its population (the caller then builds the row on demand)."""
    try:
        df = features.fetch(con, queries(SQL)["one_row"],
                            {"as_of": as_of, "loan": loan_id, "feature_set": feature_set()})
    except duckdb.CatalogException:          # a generation without stored rows
        return None
    return df if len(df) else None


def forget_changed(con: duckdb.DuckDBPyConnection, changed_tables: Iterable[str]) -> bool:
    """Drop every stored row when a table the features read has changed (a writer calls this inside the
    generation it is building); True when they were dropped."""
    if INPUTS.isdisjoint(changed_tables):
        return False
    con.execute(queries(SQL)["drop"])
    return True


def size(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """rows and approximate bytes on disk of the stored rows (0 and 0 without the table)."""
    try:
        rows, size_bytes = con.execute(queries(SQL)["size"]).fetchall()[0]
    except duckdb.CatalogException:
        return {"rows": 0, "bytes": 0}
    return {"rows": int(rows), "bytes": int(size_bytes or 0)}
