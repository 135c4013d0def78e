"""The Collections page's figures of a month-end at segment grain (product x region x branch), kept once computed,
so a sidebar filter is a sum over a few thousand rows (monitor.sql, the shared filter predicate) instead of a scan
of the book.

Book frames (the analytical store of one published generation; SQL in figures.sql):
  actions     month, product, region, branch, channel, agent, outcome, actions: person-channel actions, the 12
              months up to the month-end shown
  flows       month, product, region, branch, bucket, accounts, cured, rolled, collected, due: the delinquent loans
              at each of the 12 month-ends t before it, observed at t+1
  promises    month, product, region, branch, agent, channel, status, promises: promises made in the 12 months,
              judged at the month-end shown (collection/ptp.py)
  recoveries  month, product, region, branch, charged_off, recovered: every month up to it
  outcomes    one row per account assigned at the previous month-end (compare.arm_outcomes, the book's costs)

Kept in the workflow store (`collection_snapshots`, Parquet tagged with what they were computed from):
`actions` and `flows` one piece per month (`piece:<kind>` at that month-end), which does not depend on the
month-end shown, so moving the page one month computes one new piece; the others per month-end shown
(`base:<kind>`). A kept frame is read only when it comes from the same published generation (and, for promises
and outcomes, the same judging and cost settings; for outcomes, the same assignment). The daily run computes them
for its month-end (source "daily"); a page view of a month-end without them computes what is missing once and
keeps it (source "view": a cache of derived figures, nothing anyone entered, so not audited).

Actions recorded on My queue (workflow store) are never kept here: `registered` adds the recorded actions not
yet imported (collection/work.py: key action_id) to the book frames at every read, so a figure moves as soon as
a collector records an action (in the month the action was taken).

Each figure reads only the kinds it needs (`kinds`), so the trends of a month-end never wait for an assignment.
On the 1,000,000-loan book (bench/bench_collections.py, 2 busy cores): the first view of a month-end with nothing
kept computes the trends in 1.8-3.4 s and the outcomes in 0.8-2.1 s (more when the assignment was not stored),
once; afterwards each figure function takes 45-150 ms, champion/challenger 60-250 ms (its bootstrap).
"""
from __future__ import annotations

import datetime as dt
import io
import json
import time
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa

import config
from analytics import summaries
from analytics.sql import month_end, queries
from collection.performance import PERSON_CHANNELS
from data import workflow

SQL = str(Path(__file__).with_suffix(".sql"))
MONTHS = 12
SEGMENT = ["product", "region", "branch"]
PIECES = ("actions", "flows")                         # one per month, whichever month-end is shown
PER_MONTH_END = ("promises", "recoveries", "outcomes")
KINDS = (*PIECES, *PER_MONTH_END)
_S, _D, _I, _F = pa.string(), pa.date32(), pa.int64(), pa.float64()
_SEG = [(c, _S) for c in SEGMENT]
SCHEMAS = {
    "actions": pa.schema([("month", _D), *_SEG, ("channel", _S), ("agent", _S), ("outcome", _S), ("actions", _I)]),
    "flows": pa.schema([("month", _D), *_SEG, ("bucket", _S), ("accounts", _I), ("cured", _I), ("rolled", _I),
                        ("collected", _F), ("due", _F)]),
    "promises": pa.schema([("month", _D), *_SEG, ("agent", _S), ("channel", _S), ("status", _S),
                           ("promises", _I)]),
    "recoveries": pa.schema([("month", _D), *_SEG, ("charged_off", _F), ("recovered", _F)]),
    "outcomes": pa.schema([("loan_id", _S), ("bucket", _S), ("segment", _S), ("arm", _S), ("strategy", _S),
                           ("agent", _S), ("cured", pa.bool_()), ("rolled", pa.bool_()), ("collected", _F),
                           ("due", _F), ("cost", _F), *_SEG]),
    "costs": pa.schema([("loan_id", _S), ("cost", _F)]),
}
_memo: OrderedDict = OrderedDict()                   # (month-end, kind, what it was computed from) -> frame


def shift(month: dt.date, k: int) -> dt.date:
    """The month-end k months after (k < 0: before) the month-end `month`."""
    n = month.year * 12 + month.month - 1 + k
    return month_end(dt.date(n // 12, n % 12 + 1, 1))


def window(kind: str, as_of: dt.date) -> list[dt.date]:
    """The month-ends of the pieces of `kind` the month-end `as_of` reads: the 12 months up to it (actions) or
    the 12 month-ends before it, each observed at the next (flows)."""
    last = as_of if kind == "actions" else shift(as_of, -1)
    return [shift(last, -k) for k in range(MONTHS - 1, -1, -1)]


def generation(con: duckdb.DuckDBPyConnection) -> str | None:
    """The published generation `con` reads (None for a writable store, whose figures are never kept)."""
    path = summaries._where(con)
    return Path(path).name if path else None


def typed(kind: str, data: pa.Table | pd.DataFrame | None = None) -> pa.Table:
    """`data` (empty when None) as an Arrow table of the kind's schema (columns picked and cast)."""
    schema = SCHEMAS[kind]
    if data is None:
        return schema.empty_table()
    if isinstance(data, pd.DataFrame):
        data = pa.Table.from_pandas(data[schema.names].astype(object).where(data[schema.names].notna(), None),
                                    preserve_index=False)
    return data.select(schema.names).cast(schema)


# ---- the book's frames, computed ---------------------------------------------------------------------------

def compute_piece(con: duckdb.DuckDBPyConnection, kind: str, first: dt.date, last: dt.date) -> pa.Table:
    """The `kind` (actions or flows) frame of the month-ends first .. last."""
    return typed(kind, _arrow(con, f"{kind}_by_segment", first=first, last=last))


def _arrow(con: duckdb.DuckDBPyConnection, name: str, **params) -> pa.Table:
    """A named query of figures.sql as an Arrow table, on a cursor of its own."""
    cur = con.cursor()
    try:
        return cur.sql(queries(SQL)[name], params=params or None).to_arrow_table()
    finally:
        cur.close()


def compute_promises(con: duckdb.DuckDBPyConnection, as_of: dt.date, eng: sa.Engine | None = None,
                     source: str = "book") -> pa.Table:
    """Promises made in the 12 months up to `as_of`, judged at `as_of` (ptp.promises of the `source`), counted
    by month made, segment, agent, channel and status."""
    from collection import ptp
    start = shift(as_of, -MONTHS) + dt.timedelta(days=1)
    df = ptp.promises(con, as_of, start=start, eng=eng, source=source)
    if df.empty:
        return typed("promises")
    cur = con.cursor()
    try:
        cur.register("cx_judged", pa.Table.from_pandas(df[["loan_id", "made_on", "agent", "channel", "status"]],
                                                       preserve_index=False))
        return typed("promises", cur.sql(queries(SQL)["promises_by_segment"]).to_arrow_table())
    finally:
        cur.close()


def compute_recoveries(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pa.Table:
    return typed("recoveries", _arrow(con, "recoveries_by_segment", as_of=as_of))


def compute_outcomes(con: duckdb.DuckDBPyConnection, as_of: dt.date, eng: sa.Engine | None = None) -> pa.Table:
    """compare.arm_outcomes of the previous month-end's assignment with the book's costs only (recorded actions
    are added at read time); empty when there is no month-end before `as_of` in the book."""
    from collection.compare import arm_outcomes
    from data.errors import DataError
    try:
        df = arm_outcomes(con, shift(as_of, -1), eng, recorded=False)
    except DataError:                            # the first month-end of the book: nothing assigned before it
        return typed("outcomes")
    return typed("outcomes", df)


def settings_stamp() -> str:
    """The settings the promises and outcomes frames depend on (the judge's grace and tolerance, channel costs)."""
    return json.dumps([config.setting(n) for n in ("ptp_grace_days", "ptp_tolerance", "collection_channel_costs")],
                      default=str)


def assignment_stamp(month: dt.date, eng: sa.Engine | None = None) -> str:
    """What the outcomes of the assignment at `month` were computed from: the stored assignment (strategy and
    time), else the active strategy and collectors it would be computed with now."""
    eng = eng or workflow.engine()
    t = workflow.collection_assignments
    with eng.connect() as c:
        n, sid, at = c.execute(sa.select(sa.func.count(), sa.func.max(t.c.strategy_id), sa.func.max(t.c.assigned_at))
                               .where(t.c.as_of == month)).one()
        if n:
            return f"stored:{sid}:{at}:{n}"
        s, a = workflow.collection_strategies, workflow.collection_agents
        sid = c.execute(sa.select(sa.func.max(s.c.strategy_id)).where(s.c.status == "active")).scalar()
        agents = c.execute(sa.select(sa.func.count(), sa.func.max(a.c.updated_at))).one()
    return f"computed:{sid}:{agents[0]}:{agents[1]}"


# ---- kept in the workflow store ----------------------------------------------------------------------------

def _pack(table: pa.Table, tags: dict) -> bytes:
    meta = dict(table.schema.metadata or {})
    meta[b"loanwatch"] = json.dumps(tags, default=str).encode()
    buf = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buf)
    return buf.getvalue()


def _unpack(blob: bytes) -> tuple[pa.Table, dict]:
    table = pq.read_table(io.BytesIO(blob))
    tags = json.loads((table.schema.metadata or {}).get(b"loanwatch", b"{}"))
    return table.replace_schema_metadata(None), tags


def _read(eng: sa.Engine, keys: list[tuple[dt.date, str]]) -> dict[tuple[dt.date, str], tuple[pa.Table, dict]]:
    t = workflow.collection_snapshots
    dates, names = sorted({k[0] for k in keys}), sorted({k[1] for k in keys})
    with eng.connect() as c:
        rows = c.execute(sa.select(t.c.as_of, t.c.name, t.c.frame)
                         .where(t.c.as_of.in_(dates), t.c.name.in_(names))).all()
    wanted = set(keys)
    return {(d, n): _unpack(b) for d, n, b in rows if (d, n) in wanted}


def _write(eng: sa.Engine, items: dict[tuple[dt.date, str], bytes]) -> None:
    t, now = workflow.collection_snapshots, workflow.now()
    with eng.begin() as c:
        for (d, n) in items:
            c.execute(t.delete().where(t.c.as_of == d, t.c.name == n))
        if items:
            c.execute(t.insert(), [{"as_of": d, "name": n, "frame": b, "computed_at": now}
                                   for (d, n), b in items.items()])


def book_frames(con: duckdb.DuckDBPyConnection, as_of: dt.date, eng: sa.Engine | None = None,
                kinds: tuple[str, ...] = KINDS, source: str = "view", refresh: bool = False) -> dict:
    """The book frames `kinds` of the month-end (Arrow tables of SCHEMAS) and `meta` (a dict: source, computed_at
    and generation of the month-end's figures; computed = seconds per frame this call computed): those kept for
    this generation (and settings and assignment where they matter), the rest computed now and kept (`refresh`:
    computed again). `source` "daily" marks the month-end's figures as the daily run's."""
    eng = eng or workflow.engine()
    gen = generation(con)
    settings = settings_stamp()
    stamp = assignment_stamp(shift(as_of, -1), eng) if "outcomes" in kinds else None

    def tags(kind: str) -> dict:               # what a kept frame must have been computed from to be read
        return {"generation": gen, **({"settings": settings} if kind in ("promises", "outcomes") else {}),
                **({"assignment": stamp} if kind == "outcomes" else {})}

    def memo_key(kind: str) -> tuple:
        return (as_of, kind, json.dumps(tags(kind), sort_keys=True))

    out, timings = {}, {}
    if gen and not refresh and source != "daily":
        out = {k: _memo[memo_key(k)] for k in kinds if memo_key(k) in _memo}
    todo = [k for k in kinds if k not in out]
    # the month-end's meta is read each time: the daily run may have kept the figures since
    keys = [(m, f"piece:{k}") for k in PIECES if k in todo for m in window(k, as_of)] + \
        [(as_of, f"base:{k}") for k in (*PER_MONTH_END, "meta") if k in todo or k == "meta"]
    found = {} if not gen else {k: v for k, v in _read(eng, keys).items()
                                if all(v[1].get(x) == y for x, y in tags(k[1].split(":", 1)[1]).items())
                                and (not refresh or k[1] == "base:meta")}
    new = {}
    for kind in todo:
        t = time.perf_counter()
        if kind in PIECES:
            months = window(kind, as_of)
            missing = [m for m in months if (m, f"piece:{kind}") not in found]
            if missing:
                table = compute_piece(con, kind, missing[0], missing[-1])
                for m in missing:
                    part = table.filter(pc.equal(table["month"], pa.scalar(m, _D)))
                    found[(m, f"piece:{kind}")] = (part, {})
                    new[(m, f"piece:{kind}")] = _pack(part, tags(kind))
            out[kind] = typed(kind, pa.concat_tables([found[(m, f"piece:{kind}")][0] for m in months]))
        elif (as_of, f"base:{kind}") in found:
            out[kind] = typed(kind, found[(as_of, f"base:{kind}")][0])
        else:
            out[kind] = {"promises": compute_promises, "recoveries": lambda c, a, _e: compute_recoveries(c, a),
                         "outcomes": compute_outcomes}[kind](con, as_of, eng)
            if kind == "outcomes":     # computing an assignment may seed the collectors: stamp after it
                stamp = assignment_stamp(shift(as_of, -1), eng)
            new[(as_of, f"base:{kind}")] = _pack(out[kind], tags(kind))
        if any(k[1].endswith(":" + kind) for k in new):
            timings[kind] = round(time.perf_counter() - t, 3)
    old = found.get((as_of, "base:meta"))
    if old is None or source == "daily":
        meta = {"source": source, "computed_at": workflow.now().isoformat(timespec="seconds"), "generation": gen}
        new[(as_of, "base:meta")] = _pack(pa.Table.from_pylist([meta]), tags("meta"))
    else:
        meta = old[0].to_pylist()[0]
    out["meta"] = meta
    if gen:
        if new:
            _write(eng, new)
        for k in todo:
            _memo[memo_key(k)] = out[k]
        while len(_memo) > 30:                 # a few month-ends of frames (a few MB each on 1M loans)
            _memo.popitem(last=False)
    return {**{k: out[k] for k in kinds}, "meta": {**out["meta"], "computed": timings}}


def drop_legacy(as_of: dt.date, eng: sa.Engine | None = None) -> None:
    """Remove the month-end's page frames kept in the earlier format (names without a `kind:` prefix)."""
    t = workflow.collection_snapshots
    with (eng or workflow.engine()).begin() as c:
        c.execute(t.delete().where(t.c.as_of == as_of, ~t.c.name.contains(":")))


def last_daily(eng: sa.Engine | None = None) -> dt.date | None:
    """The latest month-end whose figures the daily run computed."""
    t = workflow.collection_snapshots
    with (eng or workflow.engine()).connect() as c:
        rows = c.execute(sa.select(t.c.as_of, t.c.frame).where(t.c.name == "base:meta")
                         .order_by(t.c.as_of.desc())).all()
    for d, blob in rows:
        if _unpack(blob)[0].to_pylist()[0].get("source") == "daily":
            return d
    return None


# ---- the recorded actions, added at every read -------------------------------------------------------------

def recorded_frames(con: duckdb.DuckDBPyConnection, as_of: dt.date, eng: sa.Engine | None = None
                    ) -> dict[str, pa.Table]:
    """actions and promises frames (as the book's) of the actions recorded on My queue in the 12 months up to
    `as_of` and not imported since, and `costs` (loan_id, cost: channel costs) of those after the previous
    month-end."""
    from collection import work
    from collection.compare import channel_costs
    start = shift(as_of, -MONTHS) + dt.timedelta(days=1)
    rec = work.recorded(until=as_of, eng=eng)
    rec = rec[rec["action_date"] >= start]
    if len(rec):
        rec = rec[~rec["action_id"].isin(work.imported_ids(con, rec["action_id"]))]
    out = {k: typed(k) for k in ("actions", "promises", "costs")}
    if rec.empty:
        return out
    seg = con.execute(queries(SQL)["loan_segments"], {"loans": sorted(set(rec["loan_id"]))}).df()
    rec = rec.merge(seg, on="loan_id", how="left")
    rec["month"] = [month_end(d) for d in rec["action_date"]]
    rec["agent"] = rec["agent"].fillna("")
    person = rec[rec["channel"].isin(PERSON_CHANNELS)]
    if len(person):
        cols = SCHEMAS["actions"].names[:-1]
        out["actions"] = typed("actions", person.groupby(cols, dropna=False).size().rename("actions").reset_index())
    if (rec["outcome"] == "promise_to_pay").any():
        out["promises"] = compute_promises(con, as_of, eng, source="recorded")
    late = rec[rec["action_date"] > shift(as_of, -1)]
    if len(late):
        costs = channel_costs()
        out["costs"] = typed("costs", late.assign(cost=[float(costs.get(c, 0.0)) for c in late["channel"]])
                             .groupby("loan_id", as_index=False)["cost"].sum())
    return out


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, as_of: dt.date, eng: sa.Engine | None = None,
               team_of: dict[str, str] | None = None, kinds: tuple[str, ...] = KINDS
               ) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict]]:
    """(cursor, meta): a cursor with the month-end's frames registered for monitor.sql: cx_actions, cx_promises
    (the book's and the recorded ones not yet imported), cx_flows, cx_recoveries, cx_outcomes (the book's costs),
    cx_costs (the recorded actions' costs per loan) and cx_teams (agent, team: `team_of`); the book frames' meta.
    Only `kinds` are read or computed (the others are registered empty)."""
    book = book_frames(con, as_of, eng, kinds)
    rec = recorded_frames(con, as_of, eng)
    cur = con.cursor()
    try:
        for kind in KINDS:                     # the kinds not asked for stay empty
            frame = book[kind] if kind in book else typed(kind)
            cur.register(f"cx_{kind}", pa.concat_tables([frame, rec[kind]]) if kind in rec else frame)
        cur.register("cx_costs", rec["costs"])
        team_of = team_of or {}
        cur.register("cx_teams", pa.table({"agent": pa.array(list(team_of), _S),
                                           "team": pa.array(list(team_of.values()), _S)}))
        yield cur, book["meta"]
    finally:
        cur.close()
