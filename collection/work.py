"""A collector's work: their queue from the stored assignment, one account's recent activity, and the actions
they record (workflow store `recorded_actions`, audited).

Recorded actions are read with the analytical store's collection_actions: by the promise-to-pay judge
(collection/ptp.py), by the next-action logic (collection/daily.py: they count as steps taken, and the next
step a collector schedules replaces the path's next action while its date is ahead), and by the performance
figures (collection/figures.py: contact, right-party contact and PTP rates, PTP kept rate, cost per unit
collected).

Key: the action id. A recorded action's id is `W<recorded_id>`, never an imported one. When recorded actions
reach the core system and come back in an import of collection_actions, they must keep that id: a recorded action
whose id is already in the analytical store's collection_actions is that same action, so every reader counts the
imported row once and skips the recorded one (`imported` in recorded_table). (An import that renumbers them
cannot be told apart from new actions; matching on loan, day, channel and outcome instead would merge two real
calls of the same day.)
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from analytics.sql import queries
from collection import CHANNELS
from data import workflow
from data.errors import DataError

SQL = str(Path(__file__).with_suffix(".sql"))
OUTCOMES = ("contacted", "no_answer", "wrong_number", "refused", "promise_to_pay", "paid", "dispute", "hardship")
ACTION_COLUMNS = ["action_id", "loan_id", "action_date", "channel", "agent", "outcome", "promise_amount",
                  "promise_date", "next_action", "next_action_date", "source"]
MAX_SCHEDULE_DAYS = 180


def work_date(month: dt.date, today: dt.date | None = None) -> dt.date:
    """The day a queue of month-end `month` is worked: today while it lies in the following month, else the
    first day after the month-end (a future month-end) or the next month-end (a past one)."""
    today = today or dt.date.today()
    nxt = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1) + dt.timedelta(days=31)
    nxt = nxt.replace(day=1) - dt.timedelta(days=1)
    return min(max(today, month + dt.timedelta(days=1)), nxt)


def _refuse(field: str, problem: str) -> None:
    raise DataError(f"action refused: {field}: {problem}")


def check_action(action_date: dt.date, channel: str, outcome: str, promise_amount: float | None,
                 promise_date: dt.date | None, next_action: str | None, next_action_date: dt.date | None) -> None:
    """DataError naming the field when the action is not one that can be recorded."""
    if channel not in CHANNELS:
        _refuse("channel", f"unknown channel {channel!r}")
    if outcome not in OUTCOMES:
        _refuse("outcome", f"unknown outcome {outcome!r} (one of {', '.join(OUTCOMES)})")
    if outcome == "promise_to_pay":
        if promise_amount is None or not promise_amount > 0:
            _refuse("promise_amount", "a promise to pay needs an amount above 0")
        if promise_date is None or promise_date < action_date:
            _refuse("promise_date", "a promise to pay needs a date on or after the action's date")
    elif promise_amount is not None or promise_date is not None:
        _refuse("promise_amount", "only a promise to pay has an amount and a date")
    if (next_action is None) != (next_action_date is None):
        _refuse("next_action_date", "a next step needs both an action and a date")
    if next_action is not None:
        if next_action not in CHANNELS:
            _refuse("next_action", f"unknown channel {next_action!r}")
        if not action_date <= next_action_date <= action_date + dt.timedelta(days=MAX_SCHEDULE_DAYS):
            _refuse("next_action_date", f"between the action's date and {MAX_SCHEDULE_DAYS} days after it")


def record_action(loan_id: str, queue_as_of: dt.date, action_date: dt.date, channel: str, outcome: str, *,
                  agent: str | None, promise_amount: float | None = None, promise_date: dt.date | None = None,
                  next_action: str | None = None, next_action_date: dt.date | None = None, note: str | None = None,
                  actor: str | None = None, origin: str | None = None, eng: sa.Engine | None = None) -> int:
    """Store a collector's action and its outcome (validated; audited 'collections_action_record'); its id."""
    check_action(action_date, channel, outcome, promise_amount, promise_date, next_action, next_action_date)
    if not loan_id:
        _refuse("loan_id", "empty")
    eng, actor = eng or workflow.engine(), actor or workflow.operator()
    values = {"loan_id": loan_id, "queue_as_of": queue_as_of, "action_date": action_date, "channel": channel,
              "agent": agent, "outcome": outcome,
              "promise_amount": None if promise_amount is None else round(float(promise_amount), 2),
              "promise_date": promise_date, "next_action": next_action, "next_action_date": next_action_date,
              "note": (note or "").strip()[:1000] or None}
    with eng.begin() as c:
        rid = c.execute(workflow.recorded_actions.insert().values(
            **values, recorded_at=workflow.now(), recorded_by=actor)).inserted_primary_key[0]
    workflow.audit("collections_action_record", actor=actor, target=loan_id, origin=origin, eng=eng,
                   details={"recorded_id": rid, **{k: (v.isoformat() if isinstance(v, dt.date) else v)
                                                   for k, v in values.items() if k not in ("loan_id", "note")}})
    return int(rid)


def recorded(loan_ids: list[str] | tuple[str, ...] | None = None, until: dt.date | None = None,
             eng: sa.Engine | None = None) -> pd.DataFrame:
    """ACTION_COLUMNS (source 'recorded') of the recorded actions, of some loans and up to a date, oldest first."""
    t = workflow.recorded_actions
    q = sa.select(t).order_by(t.c.action_date, t.c.recorded_id)
    if loan_ids is not None:
        q = q.where(t.c.loan_id.in_(list(loan_ids)))
    if until is not None:
        q = q.where(t.c.action_date <= until)
    with (eng or workflow.engine()).connect() as c:
        rows = c.execute(q).mappings().all()
    df = pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in t.columns])
    df["action_id"] = ["W" + str(i) for i in df["recorded_id"]]
    df["source"] = "recorded"
    return df[ACTION_COLUMNS]


def imported_ids(con: duckdb.DuckDBPyConnection, action_ids) -> set[str]:
    """Those of the (recorded) action ids that the analytical store's collection_actions already holds."""
    ids = [str(i) for i in action_ids]
    if not ids:
        return set()
    return {r[0] for r in con.execute(queries(SQL)["imported_ids"], {"ids": ids}).fetchall()}


def recorded_stamp(eng: sa.Engine | None = None) -> tuple[int, int]:
    """(count, highest id) of the recorded actions: changes whenever a collector records one (a cache key)."""
    t = workflow.recorded_actions
    with (eng or workflow.engine()).connect() as c:
        n, top = c.execute(sa.select(sa.func.count(), sa.func.max(t.c.recorded_id))).one()
    return int(n), int(top or 0)


def recorded_table(until: dt.date | None = None, eng: sa.Engine | None = None,
                   con: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """The recorded actions up to a date as an Arrow table for DuckDB (typed even when empty): action_id,
    loan_id, action_date, channel, agent, outcome, promise_amount, promise_date, next_action, next_action_date,
    imported (True when `con`'s collection_actions holds the same action id: count that row, not this one)."""
    df = recorded(until=until, eng=eng)
    done = imported_ids(con, df["action_id"]) if con is not None else set()
    df["imported"] = [a in done for a in df["action_id"]]
    schema = pa.schema([("action_id", pa.string()), ("loan_id", pa.string()), ("action_date", pa.date32()),
                        ("channel", pa.string()), ("agent", pa.string()), ("outcome", pa.string()),
                        ("promise_amount", pa.float64()), ("promise_date", pa.date32()),
                        ("next_action", pa.string()), ("next_action_date", pa.date32()),
                        ("imported", pa.bool_())])
    cols = {f.name: pa.array(df[f.name].astype(object).where(df[f.name].notna(), None).tolist(), f.type)
            for f in schema}
    return pa.table(cols, schema=schema)


def my_queue(con: duckdb.DuckDBPyConnection, month: dt.date, agent: str, eng: sa.Engine | None = None
             ) -> pd.DataFrame:
    """The agent's accounts in the month-end's assignment (stored, else computed), by queue rank (highest
    expected recovery first), with the next step a collector scheduled since the month-end replacing the
    path's (`scheduled` True), the last recorded outcome and the number of actions recorded since."""
    from collection.daily import agent_queue, assignments
    t = workflow.collection_assignments
    with (eng or workflow.engine()).connect() as c:
        stored = c.execute(sa.select(t.c.loan_id).where(t.c.as_of == month).limit(1)).first() is not None
    if stored:                       # the agent's rows by the agent index, not the whole month
        q = agent_queue(month, agent, eng)
    else:
        df, _ = assignments(con, month, eng)
        q = df[df["agent"] == agent]
    q = q.sort_values(["queue_rank", "loan_id"]).reset_index(drop=True)
    rec = recorded(tuple(q["loan_id"]), eng=eng) if len(q) else recorded(())
    rec = rec[rec["action_date"] > month]
    last = rec.groupby("loan_id").tail(1).set_index("loan_id")
    worked = rec.groupby("loan_id").size()
    q["scheduled"] = [bool(lid in last.index and pd.notna(last.at[lid, "next_action"])) for lid in q["loan_id"]]
    q.loc[q["scheduled"], "next_action"] = [last.at[lid, "next_action"] for lid in q.loc[q["scheduled"], "loan_id"]]
    q.loc[q["scheduled"], "next_action_date"] = [last.at[lid, "next_action_date"]
                                                 for lid in q.loc[q["scheduled"], "loan_id"]]
    q["last_outcome"] = [last.at[lid, "outcome"] if lid in last.index else None for lid in q["loan_id"]]
    q["worked"] = [int(worked.get(lid, 0)) for lid in q["loan_id"]]
    return q


def queue_summary(q: pd.DataFrame, day: dt.date) -> dict:
    """accounts, balance, overdue_amount, expected_recovery, due (next step on or before `day`), worked
    (accounts with an action recorded since the month-end) of a my_queue() frame."""
    return {"accounts": len(q), "balance": float(q["balance"].sum()), "overdue_amount": float(
        q["overdue_amount"].fillna(0).sum()), "expected_recovery": float(q["expected_recovery"].sum()),
        "due": int((pd.to_datetime(q["next_action_date"]).dt.date <= day).sum()) if len(q) else 0,
        "worked": int((q["worked"] > 0).sum()) if len(q) else 0}


def account_actions(con: duckdb.DuckDBPyConnection, loan_id: str, since: dt.date, eng: sa.Engine | None = None
                    ) -> pd.DataFrame:
    """ACTION_COLUMNS of one loan's actions from `since`: the analytical store's ('book') and the recorded ones,
    newest first."""
    book = con.execute(queries(SQL)["account_actions"], {"loan": loan_id, "since": since}).df()
    book = book.assign(next_action=None, next_action_date=None, source="book")
    rec = recorded((loan_id,), eng=eng)
    rec = rec[rec["action_date"] >= since]
    df = pd.concat([x for x in (book[ACTION_COLUMNS], rec) if len(x)], ignore_index=True) if len(book) or len(rec) \
        else pd.DataFrame(columns=ACTION_COLUMNS)
    for c in ("action_date", "promise_date", "next_action_date"):
        df[c] = pd.to_datetime(df[c]).dt.date
    return df.sort_values(["action_date", "action_id"], ascending=False).reset_index(drop=True)


def account_payments(con: duckdb.DuckDBPyConnection, loan_id: str, since: dt.date) -> pd.DataFrame:
    """payment_date, amount (reversals negative), channel, is_reversal of one loan's payments from `since`,
    newest first."""
    df = con.execute(queries(SQL)["account_payments"], {"loan": loan_id, "since": since}).df()
    df["payment_date"] = pd.to_datetime(df["payment_date"]).dt.date
    return df


def account_promises(con: duckdb.DuckDBPyConnection, loan_id: str, since: dt.date, day: dt.date,
                     eng: sa.Engine | None = None) -> pd.DataFrame:
    """One loan's promises made from `since`, judged at `day` (collection/ptp.py, recorded ones included)."""
    from collection import ptp
    df = ptp.promises(con, day, start=since, eng=eng, loan_id=loan_id)
    return df.sort_values("made_on", ascending=False).reset_index(drop=True)


def account_view(con: duckdb.DuckDBPyConnection, loan_id: str, viewer, queue_loans: tuple[str, ...] | list[str]):
    """data.people.borrower_view of the loan, revealed also when the loan is in the collector's own queue
    (`queue_loans`: my_queue() of the viewer's staff code), the assignment being what puts an account in a
    collector's hands. Not audited: call people.audit_view once per view shown."""
    import dataclasses

    from data import people
    view = people.borrower_view(con, loan_id, viewer, loan_id=loan_id)
    if view is None or view.revealed or loan_id not in set(queue_loans) or "collector" not in viewer.roles \
            or not viewer.staff_code:
        return view
    row = con.execute(people.queries()["borrower"], {"borrower_id": view.borrower_id}).df().iloc[0].to_dict()
    return dataclasses.replace(view, personal=people.personal_data(row, True), revealed=True,
                               assigned_loans=tuple(sorted({*view.assigned_loans, loan_id})))


def message(con: duckdb.DuckDBPyConnection, account: dict, month: dt.date, channel: str, send_on: dt.date,
            eng: sa.Engine | None = None) -> dict:
    """The message `channel` would send this account (a my_queue() row of month-end `month`, whose DPD dates the
    missed due date) on `send_on`, from the templates of its
    segment (collection/messages.py): loan_id, borrower_id, channel, language, template_id, send_on, body."""
    import config
    from collection import messages
    who = con.execute(queries(SQL)["loan_borrower"], {"loan": account["loan_id"]}).fetchone()
    if who is None:
        raise DataError(f"no loan {account['loan_id']!r}")
    language = "en" if isinstance(who[1], str) and who[1].lower().startswith("en") else "zh"
    tpl = messages._pick(messages.templates(eng), account["segment"], channel, language)
    if tpl is None:
        raise DataError(f"no {channel} template in {language} for segment {account['segment']!r} or '*'")
    row = {**account, "d0": month - dt.timedelta(days=int(account["dpd"]))}
    return {"loan_id": account["loan_id"], "borrower_id": who[0], "channel": channel, "language": language,
            "template_id": tpl[0], "send_on": send_on,
            "body": messages.render(tpl[1], messages.values(row, send_on, str(config.setting("currency"))))}


def queue_message(msg: dict, month: dt.date, actor: str | None = None, origin: str | None = None,
                  eng: sa.Engine | None = None) -> bool:
    """Write a message() to the outbox for the queue's month-end (audited); False when that account already has
    a message on that channel for the month-end (the outbox keeps one)."""
    eng, actor = eng or workflow.engine(), actor or workflow.operator()
    t = workflow.message_outbox
    with eng.begin() as c:
        if c.execute(sa.select(t.c.message_id).where(t.c.as_of == month, t.c.loan_id == msg["loan_id"],
                                                     t.c.channel == msg["channel"])).first():
            return False
        mid = c.execute(t.insert().values(as_of=month, status="queued", created_at=workflow.now(), **msg)
                        ).inserted_primary_key[0]
    workflow.audit("collections_message_queue", actor=actor, target=msg["loan_id"], origin=origin, eng=eng,
                   details={"message_id": mid, "channel": msg["channel"], "language": msg["language"],
                            "template_id": msg["template_id"], "send_on": msg["send_on"].isoformat()})
    return True
