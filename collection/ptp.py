"""Promises to pay, judged automatically from the payments.

A promise (a collection action with outcome `promise_to_pay`, an amount and a date) is
- kept when the net payments from the day it was made to its date plus `ptp_grace_days` reach the promised
  amount less `ptp_tolerance` of it (compared to the cent; payments after the judging date are not known yet);
- broken when that deadline has passed (judging date after it) without being kept;
- pending otherwise.
Net of reversals: a payment later reversed counts nothing (whenever the reversal came, as long as it is known at
the judging date); a reversal that names no payment subtracts when it falls inside the window. Each promise is
judged on its own: one payment may keep two overlapping promises of the same loan.
PTP kept rate = kept / (kept + broken): pending promises are left out until they are decided.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

import config
from analytics.sql import month_end, queries

SQL = str(Path(__file__).with_suffix(".sql"))
STATUSES = ("kept", "broken", "pending")


def judge(promised: np.ndarray, paid: np.ndarray, deadline: np.ndarray, as_of: dt.date,
          tolerance: float) -> np.ndarray:
    """The status of each promise: kept, broken or pending (see the module's rules)."""
    need = np.asarray(promised, float) * (1 - tolerance)
    kept = np.asarray(paid, float) + 0.005 >= need          # to the cent
    passed = pd.to_datetime(pd.Series(deadline)).dt.date.to_numpy() < as_of
    return np.where(kept, "kept", np.where(passed, "broken", "pending"))


def promises(con: duckdb.DuckDBPyConnection, as_of: str | dt.date, start: str | dt.date | None = None,
             grace_days: int | None = None, tolerance: float | None = None, eng=None,
             loan_id: str | None = None, source: str = "all") -> pd.DataFrame:
    """action_id, loan_id, agent, channel, made_on, promise_date, deadline, promised, paid, status of every promise
    made from `start` (default the first day of the as-of month) to the as-of date, judged at the as-of date; the
    analytical store's and those recorded in the workflow store (`eng`) alike (source 'all'; a recorded promise
    already imported counts once: collection/work.py), or only one of them (source 'book' or 'recorded'); of one
    loan when `loan_id` is given."""
    from collection.work import recorded_table
    when = month_end(as_of) if isinstance(as_of, str) else as_of
    start = (when.replace(day=1) if start is None else
             (dt.date.fromisoformat(start) if isinstance(start, str) else start))
    grace = int(config.setting("ptp_grace_days") if grace_days is None else grace_days)
    tol = float(config.setting("ptp_tolerance") if tolerance is None else tolerance)
    cur = con.cursor()
    try:
        if source not in ("all", "book", "recorded"):
            raise ValueError("source is one of all, book, recorded")
        rec = recorded_table(until=when, eng=eng, con=cur)
        cur.register("cx_recorded", rec if source != "book" else rec.slice(0, 0))
        df = cur.execute(queries(SQL)["promises"], {"start": start, "as_of": when, "grace": grace,
                                                    "loan": loan_id, "book": source != "recorded"}).df()
    finally:
        cur.close()
    for c in ("made_on", "promise_date", "deadline"):
        df[c] = pd.to_datetime(df[c]).dt.date
    df["status"] = judge(df["promised"].to_numpy(), df["paid"].to_numpy(), df["deadline"].to_numpy(), when, tol) \
        if len(df) else pd.Series(dtype=object)
    return df


def ptp_summary(df: pd.DataFrame) -> dict:
    """promises, kept, broken, pending, kept_rate (kept / (kept + broken), None when nothing is decided yet),
    promised_amount and paid_amount (net paid in the promises' windows) of a promises() frame."""
    n = {s: int((df["status"] == s).sum()) for s in STATUSES}
    decided = n["kept"] + n["broken"]
    return {"promises": len(df), **n, "kept_rate": round(n["kept"] / decided, 6) if decided else None,
            "promised_amount": round(float(df["promised"].sum()), 2),
            "paid_amount": round(float(df["paid"].clip(lower=0).sum()), 2)}
