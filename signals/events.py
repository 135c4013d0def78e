"""Events between daily runs (a payment, a reversal, a bureau update, a flag): kept, then evaluated on arrival.

Only the signals that read the event run (for a flag, the flag's own signal), for the borrower's loans open at the
last month-end. Temporary tables on one cursor hold the borrower's published rows of just the tables those
signals read, narrowed by key and date so that each scan of the big sorted tables touches a row group or a few,
plus the events kept since the month-end; the signals' own SQL then runs over a handful of rows. Nothing else
sees the temporary tables. An event takes about 30-70 ms of CPU on the 1,000,000-loan book
(bench/bench_daily.py), most of it DuckDB planning the signal queries.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import duckdb
import sqlalchemy as sa

import config
import signals
from data import alerts, store, workflow
from data.errors import DataError, UsageError

FLAGS = ("litigation", "negative_news", "phone_unreachable", "address_changed")   # each also a signal's name
# the tables each event signal reads beside performance and loans (tests/unit/test_events.py checks signals.sql)
SIGNAL_TABLES = {
    "partial_payment": ("schedules", "payments"), "payment_reversed": ("payments",),
    "bureau_score_drop": ("bureau",), "credit_inquiries": ("bureau",), "delinquency_elsewhere": ("bureau",),
    "litigation": ("alt_signals",), "negative_news": ("alt_signals",), "address_changed": ("alt_signals",),
    "phone_unreachable": ("alt_signals", "collection_actions"),
}
EVENT_TABLE = {"payment": "payments", "reversal": "payments", "bureau": "bureau", "flag": "alt_signals"}
BY_BORROWER = ("bureau", "alt_signals")
DATED = {"bureau": "as_of", "alt_signals": "as_of", "collection_actions": "action_date"}
AFTER_MONTH_END = {"schedules": "due_date", "payments": "payment_date"}   # the signals read only the event's month


def event_signals(kind: str, flag: str | None = None) -> list[str]:
    """The signals an event can make fire: those reading its kind; for a flag only the flag's own signal (the row
    a flag adds sets no other flag and is a successful contact, so it cannot make another flag signal fire)."""
    names = [s.name for s in signals.signals_for_event(kind)]
    return [n for n in names if n == flag] if kind == "flag" else names


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


def _windows(names: list[str]) -> tuple[int, int]:
    """Months and days before the event's date that the signals read of bureau, account and contact data (the
    windows in signals.sql; the row a bureau update or a flag carries its other values over from is the month-end
    pull inside them)."""
    months = {"bureau_score_drop": config.setting("ew_score_drop_months") + 1, "credit_inquiries": 1,
              "delinquency_elsewhere": 4, "litigation": 3, "negative_news": 1, "address_changed": 1}
    days = {"phone_unreachable": config.setting("ew_unreachable_days")}
    return max((months.get(n, 0) for n in names), default=0), max((days.get(n, 0) for n in names), default=0)


def _locate(cur: duckdb.DuckDBPyConnection, loan_id: str, event_date: dt.date) -> tuple[str, str, dt.date]:
    """The store's name, the loan's borrower and the month-end the event is evaluated against, in one query
    (point lookups: loans is sorted by loan_id, and max(as_of) comes from the row groups' statistics)."""
    db, borrower, month = cur.execute(
        "SELECT current_database(), (SELECT borrower_id FROM loans WHERE loan_id = $loan), "
        "(SELECT max(as_of) FROM performance WHERE as_of <= $day)", {"loan": loan_id, "day": event_date}).fetchall()[0]
    if borrower is None:
        raise DataError(f"no loan {loan_id!r} in the analytical store")
    if month is None:
        raise DataError(f"no month-end data on or before {event_date}: nothing to evaluate the event against")
    return db, borrower, month


def _overlay(cur, db: str, names: list[str], borrower: str, loans: list[str], month: dt.date, day: dt.date,
             events: list[dict]) -> None:
    """Temporary tables (beside `loans`, made first) of the borrower's published rows of what the signals `names`
    read, within their windows before the event's `day`, plus the kept events that land in them: the signals then
    run over a handful of rows instead of the whole book."""
    tables = ("performance",) + tuple(dict.fromkeys(t for n in names for t in SIGNAL_TABLES[n]))
    months, days = _windows(names)
    for table in tables:
        key, keys = ("borrower_id", [borrower]) if table in BY_BORROWER else ("loan_id", loans)
        single = len(keys) == 1         # an equality lets the scan skip row groups by their min/max
        match = f"{key} = $key" if single else f"list_contains($keys::VARCHAR[], {key})"
        when, values = "", {"key": keys[0]} if single else {"keys": keys}
        if table == "performance":
            when, values["month"] = " AND as_of = $month", month
        elif table in DATED:            # only the days the signals look back over: the scan skips the rest
            when = f" AND {DATED[table]} > least(CAST($day - to_months($months) AS DATE), $day - $days::INTEGER)"
            values.update(day=day, months=months, days=days)
        elif table in AFTER_MONTH_END:
            when, values["since"] = f" AND {AFTER_MONTH_END[table]} > $since", month
        cur.execute(f'CREATE TEMP TABLE {table} AS SELECT * FROM "{db}".main.{table} WHERE {match}{when}', values)
    _lay_events(cur, borrower, [e for e in events if EVENT_TABLE[e["kind"]] in tables])


def _lay_events(cur, borrower: str, events: list[dict]) -> None:
    """Add the kept events to the temporary tables, one statement per table. A bureau update carries the values it
    does not give over from the pull before it, a flag the account values and litigation (once flagged, kept) from
    the row before it: the newest non-null value among the earlier events, else the newest published row's."""
    events = sorted(events, key=lambda e: (e["event_date"], e["event_id"]))
    by_kind = {k: [(e, json.loads(e["payload"])) for e in events if e["kind"] in kinds]
               for k, kinds in (("payments", ("payment", "reversal")), ("bureau", ("bureau",)), ("flag", ("flag",)))}
    if pays := by_kind["payments"]:
        cur.execute("INSERT INTO payments VALUES " + ", ".join(["(?, ?, ?, ?, 'event', ?, NULL)"] * len(pays)),
                    [v for e, p in pays for v in (f"EV{e['event_id']}", e["loan_id"], e["event_date"],
                                                  -p["amount"] if e["kind"] == "reversal" else p["amount"],
                                                  e["kind"] == "reversal")])
    for kind, rows in (("bureau", by_kind["bureau"]), ("flag", by_kind["flag"])):
        if not rows:
            continue
        values = {"b": borrower, "day": [e["event_date"] for e, _ in rows], "seq": list(range(len(rows)))}
        values.update({k: [p.get(k) for _, p in rows] for k in (
            ("score", "inquiries", "delinquencies") if kind == "bureau" else ("flag",))})
        cur.execute(_LAY[kind], values)


_EVENTS_ORDER = "WINDOW w AS (ORDER BY e.day, e.seq ROWS UNBOUNDED PRECEDING)"
_LAY = {
    "bureau": "INSERT INTO bureau SELECT $b, e.day, coalesce(last_value(e.score IGNORE NULLS) OVER w, last.score), "
              "coalesce(last_value(e.inq IGNORE NULLS) OVER w, last.inquiries_30d), "
              "coalesce(last_value(e.dl IGNORE NULLS) OVER w, last.delinquencies_elsewhere), last.total_debt "
              "FROM (SELECT unnest($day::DATE[]) AS day, unnest($seq::INTEGER[]) AS seq, "
              "unnest($score::INTEGER[]) AS score, unnest($inquiries::INTEGER[]) AS inq, "
              "unnest($delinquencies::INTEGER[]) AS dl) e "
              "LEFT JOIN (SELECT * FROM bureau ORDER BY as_of DESC LIMIT 1) last ON TRUE " + _EVENTS_ORDER,
    "flag": "INSERT INTO alt_signals SELECT $b, e.day, last.salary_deposit, last.account_balance, last.utilisation, "
            "bool_or(e.flag = 'litigation') OVER w OR coalesce(last.litigation, FALSE), "
            "e.flag = 'negative_news', e.flag <> 'phone_unreachable', e.flag = 'address_changed' "
            "FROM (SELECT unnest($day::DATE[]) AS day, unnest($seq::INTEGER[]) AS seq, "
            "unnest($flag::VARCHAR[]) AS flag) e "
            "LEFT JOIN (SELECT * FROM alt_signals ORDER BY as_of DESC LIMIT 1) last ON TRUE " + _EVENTS_ORDER,
}


def _keep(eng: sa.Engine, loan_id: str, kind: str, event_date: dt.date, payload: dict, actor: str,
          loans: list[str], month: dt.date) -> tuple[int, list[dict]]:
    """Store the event; returns its id and the borrower's events kept since the month-end up to its date."""
    t = workflow.events
    with eng.begin() as c:
        event_id = c.execute(t.insert().values(
            loan_id=loan_id, kind=kind, event_date=event_date, payload=json.dumps(payload),
            received_at=workflow.now(), actor=actor)).inserted_primary_key[0]
        pending = [dict(r._mapping) for r in c.execute(sa.select(t).where(
            t.c.loan_id.in_(loans), t.c.event_date > month, t.c.event_date <= event_date))]
    return event_id, pending


def add_event(loan_id: str, kind: str, event_date: dt.date | None = None, *, amount: float | None = None,
              score: int | None = None, inquiries: int | None = None, delinquencies: int | None = None,
              flag: str | None = None, home: Path | None = None, eng: sa.Engine | None = None) -> dict:
    """Keep the event and evaluate the signals that read it, over the month-end before it: for the loan itself
    after a payment or reversal, for all the borrower's open loans after a bureau update or a flag. Returns what
    fired and `ms`, the wall milliseconds the call took."""
    started = time.perf_counter()
    eng = eng or workflow.engine()
    payload = _payload(kind, amount, score, inquiries, delinquencies, flag)
    event_date = event_date or dt.date.today()
    names = event_signals(kind, flag)
    try:
        cur = store.reader(home).cursor()
    except store.StoreError as exc:
        raise DataError(str(exc))
    try:
        db, borrower, month = _locate(cur, loan_id, event_date)
        # a payment's signals read that loan's rows only; bureau and account data are the borrower's (all loans)
        key, value = ("borrower_id", borrower) if any(t in BY_BORROWER for n in names for t in SIGNAL_TABLES[n]) \
            else ("loan_id", loan_id)
        cur.execute(f'CREATE TEMP TABLE loans AS SELECT * FROM "{db}".main.loans WHERE {key} = $v', {"v": value})
        loans = [r[0] for r in cur.execute("SELECT loan_id FROM loans ORDER BY loan_id").fetchall()]
        actor = workflow.operator()
        event_id, pending = _keep(eng, loan_id, kind, event_date, payload, actor, loans, month)
        _overlay(cur, db, names, borrower, loans, month, event_date, pending)
        results = signals.evaluate_all(cur, month, names=names, loans=loans, at=event_date)
    finally:
        cur.close()
    fired = {s: df for s, df in results.items() if len(df)}
    new = alerts.raise_alerts(alerts.candidates(fired, alerts.rules(eng)), event_date, f"event:{event_id}", eng) \
        if fired else 0
    workflow.audit("event_add", actor=actor, target=f"loan:{loan_id}", eng=eng,
                   details={"event_id": event_id, "kind": kind, "alerts_raised": new})
    return {"event_id": event_id, "loan_id": loan_id, "kind": kind, "event_date": event_date.isoformat(),
            "month": month.isoformat(), "signals": names, "fired": sorted(fired), "alerts_raised": new,
            "ms": round((time.perf_counter() - started) * 1000, 1)}
