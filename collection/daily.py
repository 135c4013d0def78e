"""The month-end assignment of every delinquent open loan: segment, arm, next action and date, queue and agent.

`assign(con, as_of)` reads the published analytical store (DuckDB, one set-based query: collection/assign.sql)
and writes the workflow store table `collection_assignments`, replacing that month-end's rows, so running it
again gives the same rows. It is what the daily run calls; reports and pages read the stored rows.

Rules (DOMAIN.md, Collections):
- Risk: the champion's PD of `collections_risk_target` (early-warning model) scored at the month-end; without a
  score, the book's own roll-forward rate of the loan's bucket x product over the last `collections_roll_months`
  transitions (share of loans in that bucket at t in a worse bucket or charged off at t+1), the bucket's rate
  over all products when the product has fewer than MIN_ROLL_LOANS observations, and 0.5 with no history at all.
  Probability of payment = 1 - risk; expected recovery = balance x probability of payment.
- Segment: the strategy's cell (bucket x risk band x balance band). Arm: challenger when the account's stable
  draw (md5 of strategy name, segment and loan id) is below the segment's challenger share.
- Path position: day 0 is the missed due date (month-end minus DPD). The current step is the last one whose day
  the DPD has reached; earlier steps not taken are skipped (escalation). When the current step has been taken in
  this delinquency (the path's n-th step on a channel counts as taken after n actions on that channel since day 0)
  the next action is the following step on its day, else the current step the day after the month-end; after
  the last step it repeats every `repeat_days` after its last action.
- Queues: agent calls and field visits need a collector. Accounts are dealt to the agents of their region (agents
  without a region serve regions that have none), highest expected recovery first, agents' capacities interleaved
  ((k + 0.5) / capacity), so every agent gets a share of the best accounts and nobody exceeds capacity. Accounts
  beyond the pool's capacity are `overflow`; agency and legal are `external`; messages and robo-calls `auto`.

Why the workflow store and not a new analytical generation: the daily run otherwise only writes the workflow
store, a generation copies the whole DuckDB file (3.7 GB on the 1M book) to add ~25k rows, and the collectors'
pages change what follows an assignment (actions, promises) in the workflow store too. One month-end is read by
its primary key (as_of, loan_id) and an agent's queue by the `agent` index. On the 1M-loan demo book (23,948
delinquent accounts at 2026-10) assignment takes about 8 s (compute 4-5 s, store 3-4 s): bench/bench_collections.py.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

import config
from analytics.sql import month_end, queries
from collection import strategy as strat
from data import workflow
from data.errors import DataError

SQL = str(Path(__file__).with_name("assign.sql"))
MIN_ROLL_LOANS = 30
COLUMNS = ["loan_id", "bucket", "dpd", "balance", "overdue_amount", "product", "region", "risk", "risk_source",
           "risk_band", "balance_band", "segment", "strategy", "arm", "next_action", "next_action_date", "queue",
           "agent", "queue_rank", "p_pay", "expected_recovery"]
Progress = Callable[[str], None]


def resolve_month(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None) -> dt.date:
    """The month-end asked for (default the latest); DataError when the store has no rows there."""
    q = queries(SQL)
    if as_of is None:
        latest = con.execute(q["latest_month"]).fetchone()[0]
        if latest is None:
            raise DataError("the analytical store has no performance data: build the demo or import a portfolio")
        return latest
    month = month_end(as_of)
    if not con.execute(q["has_month"], {"as_of": month}).fetchone()[0]:
        raise DataError(f"months missing: no performance data at {month:%Y-%m}")
    return month


def _bands_table(bands: list[list]) -> pa.Table:
    names, lo, hi, prev = [], [], [], -1e18
    for name, edge in bands:
        names.append(name)
        lo.append(prev)
        hi.append(1e18 if edge is None else float(edge))
        prev = hi[-1]
    return pa.table({"name": names, "lo": lo, "hi": hi})


def strategy_tables(body: dict) -> dict[str, pa.Table]:
    """The strategy as the small tables assign_book joins (cx_risk_bands, cx_balance_bands, cx_cells, cx_steps)."""
    segs = {s["name"]: s for s in body["segments"]}
    cells = strat.cells(body)
    steps = {"path": [], "ord": [], "day": [], "channel": [], "occ": []}
    for path, seq in body["paths"].items():
        seen: dict[str, int] = {}
        for i, step in enumerate(seq, start=1):
            seen[step["channel"]] = seen.get(step["channel"], 0) + 1
            for k, v in (("path", path), ("ord", i), ("day", step["day"]), ("channel", step["channel"]),
                         ("occ", seen[step["channel"]])):
                steps[k].append(v)
    ch = [segs[c[3]].get("challenger") for c in cells]
    return {
        "cx_risk_bands": _bands_table(body["risk_bands"]),
        "cx_balance_bands": _bands_table(body["balance_bands"]),
        "cx_cells": pa.table({"bucket": [c[0] for c in cells], "risk_band": [c[1] for c in cells],
                              "balance_band": [c[2] for c in cells], "segment": [c[3] for c in cells],
                              "path": [segs[c[3]]["path"] for c in cells],
                              "challenger_path": pa.array([x["path"] if x else None for x in ch], pa.string()),
                              "share": pa.array([x["share"] if x else 0.0 for x in ch], pa.float64())}),
        "cx_steps": pa.table(steps),
    }


def agents(con: duckdb.DuckDBPyConnection | None = None, eng: sa.Engine | None = None) -> pd.DataFrame:
    """agent, region, capacity of the active collectors; an empty table is seeded (audited) from the book's agent
    calls and field visits, each with `collections_agent_capacity`."""
    eng = eng or workflow.engine()
    t = workflow.collection_agents
    with eng.connect() as c:
        n = c.execute(sa.select(sa.func.count()).select_from(t)).scalar()
    if n == 0 and con is not None:
        found = con.execute(queries(SQL)["seed_agents"]).fetchall()
        if found:
            cap, now = int(config.setting("collections_agent_capacity")), workflow.now()
            with eng.begin() as c:
                c.execute(t.insert(), [{"agent": a, "region": r, "capacity": cap, "active": True, "updated_at": now,
                                        "updated_by": "system"} for a, r in found])
            workflow.audit("collections_agents_seed", actor="system", target="collection_agents", eng=eng,
                           details={"agents": len(found), "capacity": cap})
    with eng.connect() as c:
        rows = c.execute(sa.select(t.c.agent, t.c.region, t.c.capacity)
                         .where(t.c.active.is_(True), t.c.capacity > 0).order_by(t.c.agent)).all()
    return pd.DataFrame(rows, columns=["agent", "region", "capacity"])


def set_agent(agent: str, capacity: int, region: str | None = None, active: bool = True,
              actor: str | None = None, eng: sa.Engine | None = None) -> None:
    """Add or change a collector (capacity in accounts; region None = any region); audited."""
    if not agent or capacity < 0:
        raise DataError("an agent needs a code and a capacity of 0 or more accounts")
    eng, actor = eng or workflow.engine(), actor or workflow.operator()
    t = workflow.collection_agents
    values = {"region": region, "capacity": int(capacity), "active": bool(active), "updated_at": workflow.now(),
              "updated_by": actor}
    with eng.begin() as c:
        if c.execute(sa.select(t.c.agent).where(t.c.agent == agent)).first():
            c.execute(t.update().where(t.c.agent == agent).values(**values))
        else:
            c.execute(t.insert().values(agent=agent, **values))
    workflow.audit("collections_agent_set", actor=actor, target=f"agent:{agent}", eng=eng,
                   details={k: v for k, v in values.items() if k != "updated_at"})


def compute(con: duckdb.DuckDBPyConnection, month: dt.date, body: dict, team: pd.DataFrame,
            version: str | None = None, eng: sa.Engine | None = None) -> pd.DataFrame:
    """The assignment frame (COLUMNS) of every delinquent open loan at the month-end, without storing it. Actions
    recorded on the my-queue page up to the month-end count as taken, and the next step a collector scheduled
    with the loan's latest one replaces the path's while its date is after the month-end."""
    from collection.work import recorded_table
    q = queries(SQL)
    cur = con.cursor()
    try:
        roll = cur.execute(q["roll_forward"], {"as_of": month, "months": int(config.setting("collections_roll_months"))}
                           ).df()
        tables = strategy_tables(body)
        tables["cx_roll"] = roll
        tables["cx_recorded"] = recorded_table(until=month, eng=eng, con=cur)
        tables["cx_agents"] = pa.table({
            "agent": pa.array(team["agent"].tolist(), pa.string()),
            "pool": pa.array([r if isinstance(r, str) and r else "*" for r in team["region"]], pa.string()),
            "capacity": pa.array([int(c) for c in team["capacity"]], pa.int64())})
        for name, table in tables.items():
            cur.register(name, table)
        df = cur.execute(q["assign_book"], {
            "as_of": month, "target": str(config.setting("collections_risk_target")), "version": version,
            "strategy": body["name"], "repeat_days": int(body["repeat_days"]), "min_roll_loans": MIN_ROLL_LOANS,
        }).df()
    finally:
        cur.close()
    return _typed(df[COLUMNS])


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    df["next_action_date"] = pd.to_datetime(df["next_action_date"]).dt.date
    df["queue_rank"] = df["queue_rank"].astype("Int64")
    df["agent"] = df["agent"].astype(object).where(df["agent"].notna(), None)
    return df


def _champion_version() -> str | None:
    from models import registry
    try:
        return registry.champion(str(config.setting("collections_risk_target")))
    except Exception:                     # no models folder yet, or an unreadable registry: the fallback applies
        return None


def _records(df: pd.DataFrame, month: dt.date, strategy_id: int) -> list[dict]:
    out = df.astype(object).where(df.notna(), None)
    now = workflow.now()
    recs = out.to_dict("records")
    for r in recs:
        r.update(as_of=month, strategy_id=strategy_id, assigned_at=now)
        r["queue_rank"] = None if r["queue_rank"] is None else int(r["queue_rank"])
        r["dpd"] = int(r["dpd"])
    return recs


def store(df: pd.DataFrame, month: dt.date, strategy_id: int, eng: sa.Engine | None = None) -> int:
    """Replace the month-end's stored assignment with `df` in one transaction; returns rows written (0 when the
    stored assignment is already exactly this one: a rerun changes nothing, not even its time)."""
    eng = eng or workflow.engine()
    t = workflow.collection_assignments
    recs = _records(df, month, strategy_id)
    old = stored(month, eng)
    new = _typed(pd.DataFrame([{k: r[k] for k in COLUMNS + ["strategy_id"]} for r in recs],
                              columns=COLUMNS + ["strategy_id"]))
    if len(old) == len(new) and old.sort_values("loan_id").reset_index(drop=True).equals(
            new.sort_values("loan_id").reset_index(drop=True)):
        return 0
    with eng.begin() as c:
        c.execute(t.delete().where(t.c.as_of == month))
        for i in range(0, len(recs), 20_000):
            c.execute(t.insert(), recs[i:i + 20_000])
    return len(recs)


def assign(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None, eng: sa.Engine | None = None,
           save: bool = True, progress: Progress | None = None) -> dict:
    """Assign every delinquent open loan at the month-end under the active strategy and store it (idempotent);
    returns a summary (accounts, arms, queues, agents, timings)."""
    say = progress or (lambda _m: None)
    eng = eng or workflow.engine()
    started = time.perf_counter()
    month = resolve_month(con, as_of)
    active = strat.active(eng)
    team = agents(con, eng)
    version = _champion_version()
    t = time.perf_counter()
    df = compute(con, month, active["body"], team, version, eng)
    timings = {"compute": round(time.perf_counter() - t, 3)}
    say(f"collections: {len(df):,} delinquent accounts assigned ({timings['compute']:.2f} s)")
    if save:
        t = time.perf_counter()
        store(df, month, active["strategy_id"], eng)
        timings["store"] = round(time.perf_counter() - t, 3)
        say(f"collections: stored ({timings['store']:.2f} s)")
    summary = {"as_of": month.isoformat(), "strategy_id": active["strategy_id"], "strategy": active["name"],
               "risk_model": version, "accounts": len(df),
               "arms": {k: int(v) for k, v in df["arm"].value_counts().sort_index().items()},
               "queues": {k: int(v) for k, v in df["queue"].value_counts().sort_index().items()},
               "agents": int(df["agent"].nunique()), "agent_capacity": int(team["capacity"].sum()),
               "seconds": round(time.perf_counter() - started, 2), "timings": timings}
    if save:
        workflow.audit("collections_assign", target=f"collections:{month:%Y-%m}", eng=eng,
                       details={k: summary[k] for k in ("strategy_id", "accounts", "arms", "queues")})
    return summary


def stored(month: dt.date, eng: sa.Engine | None = None) -> pd.DataFrame:
    """The stored assignment of a month-end (COLUMNS + strategy_id), by loan id; empty when none was run."""
    t = workflow.collection_assignments
    with (eng or workflow.engine()).connect() as c:
        rows = c.execute(sa.select(*[t.c[k] for k in COLUMNS], t.c.strategy_id)
                         .where(t.c.as_of == month).order_by(t.c.loan_id)).all()
    return _typed(pd.DataFrame(rows, columns=COLUMNS + ["strategy_id"]))


def assignments(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                eng: sa.Engine | None = None) -> tuple[pd.DataFrame, bool]:
    """(the month-end's assignment, whether it was stored): the stored rows when the daily run made them, else
    computed now under the active strategy (not stored)."""
    eng = eng or workflow.engine()
    month = resolve_month(con, as_of)
    df = stored(month, eng)
    if len(df):
        return df, True
    active = strat.active(eng)
    df = compute(con, month, active["body"], agents(con, eng), _champion_version(), eng)
    df["strategy_id"] = active["strategy_id"]
    return df, False


def agent_queue(month: dt.date, agent: str, eng: sa.Engine | None = None) -> pd.DataFrame:
    """An agent's queue at a month-end (COLUMNS + strategy_id), highest expected recovery first."""
    t = workflow.collection_assignments
    with (eng or workflow.engine()).connect() as c:
        rows = c.execute(sa.select(*[t.c[k] for k in COLUMNS], t.c.strategy_id)
                         .where(t.c.as_of == month, t.c.agent == agent).order_by(t.c.queue_rank)).all()
    return _typed(pd.DataFrame(rows, columns=COLUMNS + ["strategy_id"]))
