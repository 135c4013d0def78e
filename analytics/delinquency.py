"""Delinquency: bucket distribution and transition (roll-rate) counts between consecutive month-ends."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

import config
from analytics.filters import Filters, params
from analytics.portfolio import resolve_as_of
from analytics.sql import month_end, run

SQL = str(Path(__file__).with_suffix(".sql"))


def bucket_distribution(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                        filters: Filters | None = None) -> pd.DataFrame:
    """bucket, loans, balance, loan_share, balance_share over open loans at a month-end (shares of open totals)."""
    df = run(con, SQL, "bucket_distribution", as_of=resolve_as_of(con, as_of), **params(filters))
    df["loans"] = df["loans"].astype("int64")
    df[["loan_share", "balance_share"]] = df[["loan_share", "balance_share"]].astype(float).fillna(0.0)
    return df


def roll_rates_long(con: duckdb.DuckDBPyConnection, from_month: str | dt.date | None = None,
                    to_month: str | dt.date | None = None, weight: str = "count",
                    filters: Filters | None = None) -> pd.DataFrame:
    """from_bucket, to_bucket, loans, balance, share: transitions summed over consecutive month-end pairs.

    Pairs run from `from_month` to `to_month` (default the whole history); share is the row share of loans
    (weight='count') or of balance at the start month-end (weight='balance'). A loan not observed at the
    next month-end is left out of its row's denominator.
    """
    if weight not in ("count", "balance"):
        raise ValueError("weight must be 'count' or 'balance'")
    span = run(con, SQL, "month_range").iloc[0]
    if pd.isna(span["first"]):
        raise ValueError("the analytical store has no performance data")
    start = month_end(from_month) or span["first"].date()
    stop = month_end(to_month) or span["last"].date()
    if start >= stop:
        raise ValueError(f"the range {start} to {stop} holds no pair of consecutive month-ends")
    df = run(con, SQL, "roll_rates", start=start, stop=stop, **params(filters))
    df["loans"] = df["loans"].astype("int64")
    order = {b: i for i, b in enumerate(config.ALL_STATES)}
    df = df.sort_values(["from_bucket", "to_bucket"], key=lambda s: s.map(order)).reset_index(drop=True)
    col = "loans" if weight == "count" else "balance"
    totals = df.groupby("from_bucket")[col].transform("sum")
    df["share"] = (df[col] / totals.where(totals != 0)).astype(float).fillna(0.0)
    return df[["from_bucket", "to_bucket", "loans", "balance", "share"]]


def roll_rate_matrix(long: pd.DataFrame) -> pd.DataFrame:
    """The long table as a from x to matrix of shares (rows sum to 1), states in canonical order."""
    m = long.pivot_table(index="from_bucket", columns="to_bucket", values="share", aggfunc="sum", fill_value=0.0)
    rows = [b for b in config.BUCKETS if b in m.index]
    cols = [b for b in config.ALL_STATES if b in m.columns]
    return m.reindex(index=rows, columns=cols, fill_value=0.0)
