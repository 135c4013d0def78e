"""Portfolio size and balances at a month-end."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from analytics.filters import Filters, params
from analytics.sql import month_end, run

SQL = str(Path(__file__).with_suffix(".sql"))


def available_months(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Month-ends with performance data, ascending (looked up once per published generation)."""
    from analytics.summaries import month_ends
    return list(month_ends(con))


def resolve_as_of(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None) -> dt.date:
    """The month-end asked for, or the latest one with data; ValueError when it has no data."""
    months = available_months(con)
    if not months:
        raise ValueError("the analytical store has no performance data")
    if as_of is None:
        return months[-1]
    wanted = month_end(as_of)
    if wanted not in months:
        raise ValueError(f"no performance data for month-end {wanted}; data runs from {months[0]} to {months[-1]}")
    return wanted


def book_summary(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                 filters: Filters | None = None) -> dict:
    """Open loans, outstanding balance and 30+/90+ balance rates (share of outstanding balance) at a month-end."""
    when = resolve_as_of(con, as_of)
    row = run(con, SQL, "book_summary", as_of=when, **params(filters)).iloc[0]
    balance = float(row.outstanding_balance)
    return {
        "as_of": when,
        "open_loans": int(row.open_loans),
        "outstanding_balance": balance,
        "delinquent_30_balance": float(row.delinquent_30_balance),
        "dpd30_rate_balance": float(row.delinquent_30_balance) / balance if balance else 0.0,
        "dpd90_rate_balance": float(row.delinquent_90_balance) / balance if balance else 0.0,
        "dpd30_rate_count": int(row.delinquent_30_loans) / int(row.open_loans) if row.open_loans else 0.0,
        "currency": row.currency or "",
    }


def balance_by_product(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                       filters: Filters | None = None) -> pd.DataFrame:
    """Open loans and outstanding balance per product at a month-end, largest first."""
    return run(con, SQL, "balance_by_product", as_of=resolve_as_of(con, as_of), **params(filters))


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The values the global filters can take: {'products': [...], 'regions': [...], 'branches': [...]}, sorted."""
    df = run(con, SQL, "filter_options")
    return {dim: df.loc[df.dimension == dim, "value"].tolist() for dim in ("products", "regions", "branches")}
