"""Point-in-time features of the modelling population at observation month-ends (SQL in features.sql)."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics.sql import month_end, queries
from models.catalog import CATEGORICAL, NAMES

SQL = str(Path(__file__).with_suffix(".sql"))
LOOKBACK_MONTHS = 12        # month-ends of performance a feature can read, the observation month-end included
SIGNAL_LOOKBACK_MONTHS = 6  # the same for bureau and account data
ORDER = ("as_of", "loan_id")
# fixed text put in place of the /*CHOSEN*/, /*LOANS:x*/ and /*BORROWERS:x*/ markers (never a user value): the
# whole book; a bound list of loans $loans; or one loan and its borrower as plain equalities, which DuckDB checks
# against each row group's min/max and so reads a few row groups, not the whole table (explaining one loan)
_CHOSEN = (", chosen AS (SELECT DISTINCT unnest($loans::VARCHAR[]) AS loan_id), chosen_borrowers AS ("
           "SELECT DISTINCT l.borrower_id FROM loans l JOIN chosen USING (loan_id))")
_FILTERS = {
    "book": ("", "", ""),
    "list": (_CHOSEN, "AND {a}.loan_id IN (SELECT loan_id FROM chosen)",
             "AND {a}.borrower_id IN (SELECT borrower_id FROM chosen_borrowers)"),
    "one": ("", "AND {a}.loan_id = $loan", "AND {a}.borrower_id = $borrower"),
}


@lru_cache(maxsize=4)
def _query(variant: str) -> str:
    chosen, loan_filter, borrower_filter = _FILTERS[variant]
    sql = queries(SQL)["features"].replace("/*CHOSEN*/", chosen)
    for alias in ("y", "p"):
        sql = sql.replace(f"/*LOANS:{alias}*/", loan_filter.format(a=alias))
    for alias in ("bb", "aa"):
        sql = sql.replace(f"/*BORROWERS:{alias}*/", borrower_filter.format(a=alias))
    return sql


def add_months(month: dt.date, k: int) -> dt.date:
    """The month-end k months after (k < 0: before) the month of `month`."""
    mi = month.year * 12 + month.month - 1 + k
    return month_end(dt.date(mi // 12, mi % 12 + 1, 1))


def month_ends(first: str | dt.date, last: str | dt.date) -> list[dt.date]:
    """Every month-end from `first` to `last` inclusive ('YYYY-MM' or dates)."""
    out, m = [], month_end(first)
    stop = month_end(last)
    while m <= stop:
        out.append(m)
        m = month_end(m + dt.timedelta(days=1))
    return out


def build_features(con: duckdb.DuckDBPyConnection, obs: Iterable[str | dt.date],
                   loan_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """loan_id, as_of and every catalog feature for the population at each observation month-end.

    The population at a month-end is every loan with a row there that is open and not in default (not charged
    off, at most 90 DPD). Features read only rows dated on or before that month-end. `loan_ids` limits the
    rows to those loans (explaining one loan); None means the whole book. Rows are ordered by as_of, loan_id.
    """
    months = sorted({month_end(m) for m in obs})
    if not months:
        raise ValueError("no observation month-ends given")
    params = {"obs": months, "first_row": add_months(months[0], -(LOOKBACK_MONTHS - 1)),
              "first_signal": add_months(months[0], -(SIGNAL_LOOKBACK_MONTHS - 1)), "last_row": months[-1]}
    if loan_ids is None:
        return fetch(con, _query("book"), params, ORDER)
    loan_ids = list(dict.fromkeys(loan_ids))
    if len(loan_ids) == 1:
        found = con.execute("SELECT borrower_id FROM loans WHERE loan_id = ?", loan_ids).fetchall()
        params |= {"loan": loan_ids[0], "borrower": found[0][0] if found else None}
        return fetch(con, _query("one"), params, ORDER)
    return fetch(con, _query("list"), params | {"loans": loan_ids}, ORDER)


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: dict,
          order_by: Sequence[str] = ()) -> pd.DataFrame:
    """A query's rows as a DataFrame through Arrow: text columns become pandas categories (millions of rows
    without a Python string each), dates datetime64; sorted by `order_by` here (cheaper than in SQL for wide
    rows, and the order is then the same on every run, which LightGBM's bagging needs)."""
    table = con.sql(sql, params=params).to_arrow_table()
    if order_by:
        table = table.take(pc.sort_indices(table, sort_keys=[(c, "ascending") for c in order_by]))
    cols = [pc.dictionary_encode(c) if pa.types.is_string(c.type) or pa.types.is_large_string(c.type) else c
            for c in table.columns]
    return pa.table(cols, names=table.column_names).to_pandas(date_as_object=False)


def categories(df: pd.DataFrame) -> dict[str, list[str]]:
    """The levels of each categorical feature in a training frame, sorted (stored with the model)."""
    return {c: sorted(str(v) for v in df[c].dropna().unique()) for c in CATEGORICAL}


@lru_cache(maxsize=64)
def _levels_dtype(levels: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(levels))


def _categorical(col: pd.Series, levels: Sequence[str]) -> pd.Categorical:
    """`col` as a category of the training levels (missing, or a level unseen in training: missing), by codes:
    the same as pd.Categorical(col.astype(object), categories=levels), without building Python objects."""
    dtype = _levels_dtype(tuple(levels))
    if isinstance(col.dtype, pd.CategoricalDtype):
        lookup = np.append(dtype.categories.get_indexer(col.cat.categories.astype(object)), -1)
        codes = lookup[col.cat.codes.to_numpy()]        # code -1 (missing) picks the appended -1
    else:
        codes = dtype.categories.get_indexer(col.astype(object))
    return pd.Categorical.from_codes(codes, dtype=dtype)


def matrix(df: pd.DataFrame, levels: dict[str, list[str]], names: Sequence[str] = NAMES) -> pd.DataFrame:
    """The model's input: the feature columns in order, categoricals as pandas categories with the training
    levels (a level unseen in training becomes missing), numbers as float32."""
    cols = {name: _categorical(df[name], levels[name]) if name in levels else _float32(df[name]) for name in names}
    return pd.DataFrame(cols, index=df.index)       # at once: inserting 67 columns one by one cost ~30 ms a call


def _float32(col: pd.Series) -> pd.Series:
    """A number column as float32, anything not a number missing (feature frames are float32 already)."""
    return col if col.dtype == np.float32 else pd.to_numeric(col, errors="coerce").astype("float32")
