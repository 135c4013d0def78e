"""Vintage curves: cumulative share of each origination cohort ever 30+/60+/90+ DPD or charged off, by months on book.

DOMAIN.md to the letter: loans are grouped by origination month (or quarter); MOB = months from the origination
month to the month-end (0 = the origination month); at each MOB the curve is the share of the cohort's loans
(weight='count') or of its original principal (weight='balance') that has *ever* been more than 30 / 60 / 90 DPD
(a charged-off row counts as worse than any bucket), or charged off, at any month-end up to that MOB. The
denominator is the whole cohort, fixed (paid-off loans stay in it). Only cohorts originated inside the observed
history get curves, each up to the last observed month-end (a quarter: up to the MOB its youngest month has
reached). A revolving line opened with principal 0 is weighted by its credit limit.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from analytics import summaries
from analytics.filters import Filters, params

SQL = str(Path(__file__).with_suffix(".sql"))
METRICS = ("ever30", "ever60", "ever90", "charged_off")


def vintage_curves(con: duckdb.DuckDBPyConnection, metric: str = "ever30", weight: str = "count", by: str = "month",
                   filters: Filters | None = None, as_of: str | dt.date | None = None) -> pd.DataFrame:
    """cohort, mob, loans, balance, share, cohort_loans, cohort_balance: loans / principal ever `metric` by MOB
    (cumulative) and share = loans / cohort_loans (count) or balance / cohort_balance (balance).

    `as_of` (default the latest month-end) shows the book as it was then: only cohorts originated by that
    month-end, each up to the MOB it had reached then, counting only what had happened by then."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}")
    if weight not in ("count", "balance") or by not in ("month", "quarter"):
        raise ValueError("weight must be 'count' or 'balance' and by 'month' or 'quarter'")
    span = summaries.month_ends(con)
    if not span:
        raise ValueError("the analytical store has no performance data")
    when = summaries.resolve(con, as_of)
    with summaries.tables(con, ["months", "vintage"], span[0], span[-1], filters):
        df = summaries.frame(con, SQL, "vintage_curves", metric=metric, by=by, as_of=when, **params(filters))
    num, den = ("loans", "cohort_loans") if weight == "count" else ("balance", "cohort_balance")
    df["share"] = (df[num] / df[den].where(df[den] != 0)).astype(float).fillna(0.0)
    return df[["cohort", "mob", "loans", "balance", "share", "cohort_loans", "cohort_balance"]]


def vintage_matrix(curves: pd.DataFrame) -> pd.DataFrame:
    """The curves as cohort x MOB shares (NaN beyond a cohort's last observed MOB), for tables and heatmaps."""
    return curves.pivot(index="cohort", columns="mob", values="share")


def vintage_table(curves: pd.DataFrame) -> pd.DataFrame:
    """cohort, loans, principal (the fixed denominators), then mob_0, mob_1, ...: the share at each MOB (NaN beyond
    the cohort's last observed MOB), one row per cohort, oldest first; the table pages show and export."""
    sizes = curves.groupby("cohort", sort=True)[["cohort_loans", "cohort_balance"]].first()
    shares = vintage_matrix(curves)
    shares.columns = [f"mob_{m}" for m in shares.columns]
    out = sizes.rename(columns={"cohort_loans": "loans", "cohort_balance": "principal"}).join(shares)
    return out.reset_index()
