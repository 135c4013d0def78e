"""The daily run: every signal for every open loan at a month-end -> alerts; the review policy -> due reviews.

It only reads the analytical store and writes the workflow store. Events between runs: signals/events.py.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Callable

import duckdb
import sqlalchemy as sa

import signals
from analytics.sql import month_end
from data import alerts, reviews, store, workflow
from data.errors import DataError

Progress = Callable[[str], None]


def _cursor(home: Path | None = None) -> duckdb.DuckDBPyConnection:
    try:
        return store.reader(home).cursor()
    except store.StoreError as exc:
        raise DataError(str(exc))


def _check_month(con, month: dt.date) -> None:
    if not con.execute("SELECT count(*) FROM performance WHERE as_of = ?", [month]).fetchone()[0]:
        raise DataError(f"months missing: no performance data at {month:%Y-%m}")


def daily_run(as_of: str | dt.date | None = None, home: Path | None = None, eng: sa.Engine | None = None,
              progress: Progress | None = None) -> dict:
    """Evaluate every signal at the month-end, raise the rules' alerts and schedule reviews; idempotent."""
    say = progress or (lambda _m: None)
    eng = eng or workflow.engine()
    con = _cursor(home)
    month = month_end(as_of) if as_of else con.execute("SELECT max(as_of) FROM performance").fetchone()[0]
    if month is None:
        raise DataError("the analytical store has no performance data: build the demo or import a portfolio")
    _check_month(con, month)
    started, timings = time.perf_counter(), {}
    results = {}
    for s in signals.SIGNALS:
        t = time.perf_counter()
        results[s.name] = signals.evaluate(con, s.name, month)
        timings[s.name] = round(time.perf_counter() - t, 3)
        say(f"{s.name}: {len(results[s.name]):,} loans ({timings[s.name]:.2f} s)")
    t = time.perf_counter()
    cands = alerts.candidates(results, alerts.rules(eng))
    new = alerts.raise_alerts(cands, month, f"daily:{month:%Y-%m}", eng)
    timings["alerts"] = round(time.perf_counter() - t, 3)
    say(f"alerts: {len(cands):,} candidates, {new:,} new ({timings['alerts']:.2f} s)")
    t = time.perf_counter()
    rv = reviews.schedule(con, month, eng)
    timings["reviews"] = round(time.perf_counter() - t, 3)
    say(f"reviews: {rv['created']} created, {rv['overdue']:,} marked overdue ({timings['reviews']:.2f} s)")
    t = time.perf_counter()
    from collection.daily import assign            # issue 7: segment, arm, next action and agent per account
    col = assign(con, month, eng, progress=say)
    timings["collections"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    from collection.monitor import store_performance     # the Collections page's figures, kept for the month-end
    col["performance"] = store_performance(con, month, eng)
    timings["collections_performance"] = round(time.perf_counter() - t, 3)
    say(f"collections: performance kept ({timings['collections_performance']:.2f} s)")
    summary = {"as_of": month.isoformat(), "fired": {k: len(v) for k, v in results.items()},
               "alert_candidates": len(cands), "alerts_raised": new, "reviews_created": rv["created"],
               "reviews_overdue": rv["overdue"], "collections": col, "seconds": round(time.perf_counter() - started, 2),
               "timings": timings}
    workflow.audit("daily_run", target=f"daily:{month:%Y-%m}", eng=eng,
                   details={k: summary[k] for k in ("alerts_raised", "reviews_created", "reviews_overdue")})
    return summary
