"""The daily run (every signal for every open loan at a month-end -> alerts; the review policy -> due reviews) and
events evaluated on arrival (only the signals that read that kind of event, for the loans of that borrower).

Both only read the analytical store and write the workflow store. An event is kept in the workflow store and
laid over the published data for its evaluation: temporary tables on one cursor hold the borrower's published
rows and its events since the last month-end, so the signals read a handful of rows; nothing else sees them.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Callable

import duckdb
import sqlalchemy as sa

import config
import signals
from analytics.sql import month_end
from data import alerts, reviews, store, workflow
from data.errors import DataError, UsageError

FLAGS = ("litigation", "negative_news", "phone_unreachable", "address_changed")
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


def _payload(kind: str, amount: float | None, score: int | None, inquiries: int | None,
             delinquencies: int | None, flag: str | None) -> dict:
    """The event's values, checked against its kind (UsageError names what is missing)."""
    if kind not in signals.EVENT_KINDS:
        raise UsageError(f"--kind must be one of {', '.join(signals.EVENT_KINDS)}")
    if kind in ("payment", "reversal"):
        if amount is None or amount <= 0:
            raise UsageError(f"a {kind} needs --amount, a positive number of yuan")
        return {"amount": amount}
    if kind == "bureau":
        if score is None and inquiries is None and delinquencies is None:
            raise UsageError("a bureau event needs at least one of --score, --inquiries, --delinquencies")
        if score is not None and not 300 <= score <= 950:
            raise UsageError("--score must be between 300 and 950")
        return {"score": score, "inquiries": inquiries, "delinquencies": delinquencies}
    if flag not in FLAGS:
        raise UsageError(f"a flag event needs --flag, one of {', '.join(FLAGS)}")
    return {"flag": flag}


# the tables each event kind's signals read, beside performance and loans
EVENT_TABLES = {"payment": ("schedules", "payments"), "reversal": ("schedules", "payments"), "bureau": ("bureau",),
                "flag": ("alt_signals", "collection_actions")}
BY_BORROWER = ("bureau", "alt_signals")
DATED = {"bureau": "as_of", "alt_signals": "as_of", "collection_actions": "action_date"}


def _lookback_months() -> int:
    """Months of bureau and account history the event signals read before the month-end (signals.sql windows)."""
    return 1 + max(config.setting("ew_score_drop_months") + 1, config.setting("ew_salary_months") + 2,
                   config.setting("ew_drain_months") + 1, config.setting("ew_unreachable_days") // 28 + 1, 4)


def _overlay(cur, db: str, kind: str, borrower: str, loans: list[str], month: dt.date, events: list[dict]) -> None:
    """Temporary tables, on this cursor only, holding the borrower's rows of what the kind's signals read plus
    the events since the month-end: the signals then run over a handful of rows instead of the whole book."""
    for table in ("performance", "loans") + EVENT_TABLES[kind]:
        key, keys = ("borrower_id", [borrower]) if table in BY_BORROWER else ("loan_id", loans)
        single = len(keys) == 1         # an equality lets the scan skip row groups; a list does not
        match = f"{key} = $key" if single else f"list_contains($keys::VARCHAR[], {key})"
        when, values = "", {"key": keys[0]} if single else {"keys": keys}
        if table == "performance":
            when, values["month"] = " AND as_of = $month", month
        elif table in DATED:            # only the days the signals look back over: the scan skips the rest
            when, values["since"] = f" AND {DATED[table]} > $since", month - dt.timedelta(days=31 * _lookback_months())
        elif table in ("schedules", "payments"):    # the event's month: after the month-end
            when, values["since"] = f" AND {'due_date' if table == 'schedules' else 'payment_date'} > $since", month
        cur.execute(f'CREATE TEMP TABLE {table} AS SELECT * FROM "{db}".main.{table} WHERE {match}{when}', values)
    for e in (e for e in events if e["kind"] in ("payment", "reversal") or e["kind"] == kind):
        p, day = json.loads(e["payload"]), e["event_date"]
        if e["kind"] in ("payment", "reversal"):
            if "payments" not in EVENT_TABLES[kind]:
                continue
            rev = e["kind"] == "reversal"
            cur.execute("INSERT INTO payments VALUES (?, ?, ?, ?, 'event', ?, NULL)",
                        [f"EV{e['event_id']}", e["loan_id"], day, -p["amount"] if rev else p["amount"], rev])
        elif e["kind"] == "bureau":
            cur.execute("INSERT INTO bureau SELECT $b, $day, coalesce($score, last.score), "
                        "coalesce($inq, last.inquiries_30d), coalesce($dl, last.delinquencies_elsewhere), "
                        "last.total_debt FROM (SELECT 1) LEFT JOIN (SELECT * FROM bureau WHERE as_of <= $day "
                        "ORDER BY as_of DESC LIMIT 1) last ON TRUE",
                        {"b": borrower, "day": day, "score": p["score"], "inq": p["inquiries"],
                         "dl": p["delinquencies"]})
        else:
            cur.execute("INSERT INTO alt_signals SELECT $b, $day, last.salary_deposit, last.account_balance, "
                        "last.utilisation, $f = 'litigation' OR coalesce(last.litigation, FALSE), "
                        "$f = 'negative_news', $f <> 'phone_unreachable', $f = 'address_changed' "
                        "FROM (SELECT 1) LEFT JOIN (SELECT * FROM alt_signals WHERE as_of <= $day "
                        "ORDER BY as_of DESC LIMIT 1) last ON TRUE", {"b": borrower, "day": day, "f": p["flag"]})


def add_event(loan_id: str, kind: str, event_date: dt.date | None = None, *, amount: float | None = None,
              score: int | None = None, inquiries: int | None = None, delinquencies: int | None = None,
              flag: str | None = None, home: Path | None = None, eng: sa.Engine | None = None) -> dict:
    """Keep the event and evaluate the signals that read it for the borrower's open loans; returns what fired."""
    started = time.perf_counter()
    eng = eng or workflow.engine()
    payload = _payload(kind, amount, score, inquiries, delinquencies, flag)
    event_date = event_date or dt.date.today()
    base = _cursor(home)
    found = base.execute("SELECT b.borrower_id, b.loan_id FROM loans a JOIN loans b USING (borrower_id) "
                         "WHERE a.loan_id = ?", [loan_id]).fetchall()
    if not found:
        raise DataError(f"no loan {loan_id!r} in the analytical store")
    month = base.execute("SELECT max(as_of) FROM performance WHERE as_of <= ?", [event_date]).fetchone()[0]
    if month is None:
        raise DataError(f"no month-end data on or before {event_date}: nothing to evaluate the event against")
    borrower, loans = found[0][0], [r[1] for r in found]
    actor = workflow.operator()
    with eng.begin() as c:
        event_id = c.execute(workflow.events.insert().values(
            loan_id=loan_id, kind=kind, event_date=event_date, payload=json.dumps(payload),
            received_at=workflow.now(), actor=actor)).inserted_primary_key[0]
        t = workflow.events
        pending = [dict(r._mapping) for r in c.execute(sa.select(t).where(
            t.c.loan_id.in_(loans), t.c.event_date > month, t.c.event_date <= event_date))]
    db = base.execute("SELECT current_database()").fetchone()[0]
    base.close()
    cur = _cursor(home)
    try:
        _overlay(cur, db, kind, borrower, loans, month, pending)
        names = [s.name for s in signals.signals_for_event(kind)]
        results = signals.evaluate_all(cur, month, names=names, loans=loans, at=event_date)
    finally:
        cur.close()
    cands = alerts.candidates(results, alerts.rules(eng))
    new = alerts.raise_alerts(cands, event_date, f"event:{event_id}", eng)
    workflow.audit("event_add", actor=actor, target=f"loan:{loan_id}", eng=eng,
                   details={"event_id": event_id, "kind": kind, "alerts_raised": new})
    return {"event_id": event_id, "loan_id": loan_id, "kind": kind, "event_date": event_date.isoformat(),
            "month": month.isoformat(), "signals": names,
            "fired": sorted({s for s, df in results.items() if len(df)}), "alerts_raised": new,
            "ms": round((time.perf_counter() - started) * 1000, 1)}
