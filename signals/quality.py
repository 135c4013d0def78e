"""Signal quality: for each signal, hits, precision and lift against the loan going more than 60 days past due
(or charged off) within the next three months, backtested over every month-end with that much future observed.

Population: each month-end's open loans not already bad (DPD at most `bad_dpd`). A hit is a loan-month the signal
fired for in the population; precision = hits that went bad / hits; lift = precision / the population's bad rate.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd

import signals
from analytics.filters import Filters, params as filter_params
from analytics.sql import queries

SQL = str(Path(__file__).with_name("quality.sql"))
COLUMNS = ["signal", "severity", "hits", "bad_hits", "precision", "population", "bad", "base_rate", "lift"]


def backtest_months(con: duckdb.DuckDBPyConnection, horizon: int = 3) -> list[dt.date]:
    """Month-ends with `horizon` later month-ends observed."""
    months = [r[0] for r in con.execute("SELECT DISTINCT as_of FROM performance ORDER BY 1").fetchall()]
    return months[: max(len(months) - horizon, 0)]


def signal_quality(con: duckdb.DuckDBPyConnection, horizon: int = 3, bad_dpd: int = 60,
                   months: list[dt.date] | None = None, filters: Filters | None = None,
                   names: list[str] | None = None, progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """signal, severity, hits, bad_hits, precision, population, bad, base_rate, lift (one row per signal)."""
    names = names or [s.name for s in signals.SIGNALS]
    months = backtest_months(con, horizon) if months is None else months
    frames = []
    for m in months:
        for n in names:
            df = signals.evaluate(con, n, m, filters)
            frames.append(pd.DataFrame({"as_of": pd.Timestamp(m), "loan_id": df["loan_id"].astype(str),
                                        "signal": n}))
        if progress:
            progress(f"signals evaluated at {m:%Y-%m}")
    hits = pd.concat(frames, ignore_index=True) if frames else \
        pd.DataFrame({"as_of": pd.Series(dtype="datetime64[us]"), "loan_id": pd.Series(dtype=str),
                      "signal": pd.Series(dtype=str)})
    hits["as_of"] = hits["as_of"].astype("datetime64[us]").dt.date
    cur = con.cursor()
    try:
        q = queries(SQL)
        outcomes = cur.execute(q["outcomes"], {"months": months, "horizon": horizon, "bad_dpd": bad_dpd,
                                               **filter_params(filters)}).df()
        cur.register("outcomes", outcomes)
        cur.register("hits", hits)
        out = cur.execute(q["quality"], {"signals": names}).df()
    finally:
        cur.close()
    out.insert(1, "severity", [signals.BY_NAME[n].severity for n in out["signal"]])
    return out[COLUMNS]
