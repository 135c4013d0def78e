"""Delinquency: bucket distribution and transition (roll-rate) counts between consecutive month-ends."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

import config
from analytics import summaries
from analytics.filters import Filters, params
from analytics.portfolio import resolve_as_of
from analytics.sql import month_end, run

SQL = str(Path(__file__).with_suffix(".sql"))


def bucket_distribution(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                        filters: Filters | None = None) -> pd.DataFrame:
    """bucket, loans, balance, loan_share, balance_share over open loans at a month-end (shares of open totals)."""
    name = "bucket_distribution_summary" if summaries.available(con) else "bucket_distribution"  # same figures
    df = run(con, SQL, name, as_of=resolve_as_of(con, as_of), **params(filters))
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
    name = "roll_rates_summary" if summaries.available(con) else "roll_rates"       # same figures
    df = run(con, SQL, name, start=start, stop=stop, **params(filters))
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


def bucket_trend(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                 filters: Filters | None = None) -> pd.DataFrame:
    """as_of, bucket, loans, balance, loan_share, balance_share for every month-end up to `as_of` (default latest).

    Open loans only; every bucket is listed for every month-end (zero when empty); shares are of that month-end's
    open loans and open balance.
    """
    name = "bucket_trend_summary" if summaries.available(con) else "bucket_trend"   # same figures
    df = run(con, SQL, name, as_of=resolve_as_of(con, as_of), **params(filters))
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    df["loans"] = df["loans"].astype("int64")
    df[["loan_share", "balance_share"]] = df[["loan_share", "balance_share"]].astype(float).fillna(0.0)
    return df


def delinquency_trend(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                      filters: Filters | None = None) -> pd.DataFrame:
    """Per month-end up to `as_of` (every one, zeros when no open loan matches): open_loans, balance and the 30+ /
    60+ / 90+ (more than 30 / 60 / 90 DPD) loans, balance and rates, where dpd30_rate_balance = balance more than
    30 DPD / open balance (count rates likewise)."""
    name = "delinquency_trend_summary" if summaries.available(con) else "delinquency_trend"   # same figures
    df = run(con, SQL, name, as_of=resolve_as_of(con, as_of), **params(filters))
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    for n in ("30", "60", "90"):
        df[f"dpd{n}_rate_balance"] = (df[f"dpd{n}_balance"] / df["balance"].where(df["balance"] != 0)).fillna(0.0)
        df[f"dpd{n}_rate_count"] = (df[f"dpd{n}_loans"] / df["open_loans"].where(df["open_loans"] != 0)).fillna(0.0)
    return df
