"""Collection performance over time, for the manager's one-minute read: contact, right-party contact, PTP and PTP
kept rates by month and channel, agent or team; cure and roll-forward rates and collected against due by month
and bucket; recoveries after charge-off.

Definitions as in collection/performance.py (contact and RPC over attempts on the person channels, PTP rate over
right-party contacts, kept rate = kept / (kept + broken)). Cure and roll-forward here cover every open delinquent
loan at a month-end (the assignment-based figures by strategy, segment, arm and agent are performance.outcomes_by
on compare.arm_outcomes). A team is an agent's region in the collectors' table (`*` for agents of any region).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import sqlalchemy as sa

from analytics.sql import queries
from collection.performance import RIGHT_PARTY, _ratio
from data import workflow

SQL = str(Path(__file__).with_suffix(".sql"))
ANY_TEAM = "*"


def contact_trend(con: duckdb.DuckDBPyConnection, as_of: dt.date, months: int = 12) -> pd.DataFrame:
    """month, channel, agent, attempts, contacts, right_party, promises: person-channel actions of the `months`
    months up to `as_of` (agent '' when none)."""
    df = con.execute(queries(SQL)["contact_trend"], {"as_of": as_of, "months": int(months)}).df()
    df["month"] = pd.to_datetime(df["month"]).dt.date
    n = df["actions"]
    df = df.assign(attempts=n, contacts=np.where(df["outcome"] != "no_answer", n, 0),
                   right_party=np.where(df["outcome"].isin(RIGHT_PARTY), n, 0),
                   promises=np.where(df["outcome"] == "promise_to_pay", n, 0))
    return df.groupby(["month", "channel", "agent"], as_index=False)[
        ["attempts", "contacts", "right_party", "promises"]].sum()


def teams(eng: sa.Engine | None = None) -> dict[str, str]:
    """agent -> team (their region; ANY_TEAM for agents of any region)."""
    t = workflow.collection_agents
    with (eng or workflow.engine()).connect() as c:
        return {a: (r or ANY_TEAM) for a, r in c.execute(sa.select(t.c.agent, t.c.region))}


def with_team(df: pd.DataFrame, team_of: dict[str, str]) -> pd.DataFrame:
    """The frame with a `team` column from its `agent` column ('' where the agent is unknown or none)."""
    return df.assign(team=[team_of.get(a, "") if isinstance(a, str) and a else "" for a in df["agent"]])


def contact_by(trend: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """keys..., attempts, contacts, right_party, promises, contact_rate, rpc_rate, ptp_rate of contact_trend()
    summed by the keys (month, channel, agent, team)."""
    g = trend.groupby(list(keys), as_index=False)[["attempts", "contacts", "right_party", "promises"]].sum()
    return g.assign(contact_rate=_ratio(g["contacts"], g["attempts"]), rpc_rate=_ratio(g["right_party"], g["attempts"]),
                    ptp_rate=_ratio(g["promises"], g["right_party"]))


def ptp_by(promises: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """keys..., promises, kept, broken, pending, decided (kept + broken), kept_rate of ptp.promises() (plus
    `month` = month-end of the day the promise was made, and `team` when added) by the keys."""
    df = promises.assign(month=[(d.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
                                for d in promises["made_on"]], agent=promises["agent"].fillna(""))
    for s in ("kept", "broken", "pending"):
        df[s] = (df["status"] == s).astype(int)
    g = df.groupby(list(keys), as_index=False).agg(promises=("status", "size"), kept=("kept", "sum"),
                                                   broken=("broken", "sum"), pending=("pending", "sum"))
    return g.assign(decided=g["kept"] + g["broken"], kept_rate=_ratio(g["kept"], g["kept"] + g["broken"]))


def bucket_outcomes(con: duckdb.DuckDBPyConnection, as_of: dt.date, months: int = 12) -> pd.DataFrame:
    """month, bucket, accounts, cured, rolled, collected, due of the open delinquent loans at each month-end of
    the last `months` transitions up to `as_of`, observed at the next month-end (monitor.sql)."""
    df = con.execute(queries(SQL)["bucket_outcomes"], {"as_of": as_of, "months": int(months)}).df()
    df["month"] = pd.to_datetime(df["month"]).dt.date
    return df


def outcome_rates(outcomes: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """keys..., accounts, cured, rolled, collected, due, cure_rate, roll_forward_rate, collected_vs_due of
    bucket_outcomes() summed by the keys (month, bucket)."""
    g = outcomes.groupby(list(keys), as_index=False)[["accounts", "cured", "rolled", "collected", "due"]].sum()
    return g.assign(cure_rate=_ratio(g["cured"], g["accounts"]), roll_forward_rate=_ratio(g["rolled"], g["accounts"]),
                    collected_vs_due=_ratio(g["collected"], g["due"]))


def recoveries(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """month, charged_off, recovered, cum_charged_off, cum_recovered, recovery_rate (cumulative recovered /
    cumulative charged off, all history up to the month) of every month with a charge-off or recovery."""
    df = con.execute(queries(SQL)["recoveries"], {"as_of": as_of}).df()
    df["month"] = pd.to_datetime(df["month"]).dt.date
    df["cum_charged_off"] = df["charged_off"].cumsum()
    df["cum_recovered"] = df["recovered"].cumsum()
    return df.assign(recovery_rate=_ratio(df["cum_recovered"], df["cum_charged_off"]))


def drill(outcomes: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """The accounts of compare.arm_outcomes() (with `team` when added) whose `by` is `value`, most collected
    first: the rows behind one bar of an outcomes_by() chart."""
    col = outcomes[by].fillna("") if by in ("agent", "team") else outcomes[by]
    return outcomes[col == value].sort_values(["collected", "loan_id"], ascending=[False, True]).reset_index(drop=True)


BREAKDOWNS = ("channel", "agent", "team", "strategy", "segment", "arm", "bucket")


def breakdown(contacts: pd.DataFrame, promises: pd.DataFrame, outcomes: pd.DataFrame, by: str) -> pd.DataFrame:
    """One row per value of `by` with what is known of it: attempts, contact_rate, rpc_rate, ptp_rate (from
    contact_trend rows, with team when added), promises, kept_rate (ptp.promises rows), accounts, cure_rate,
    roll_forward_rate, collected, due, collected_vs_due, cost_per_unit_collected (compare.arm_outcomes rows, with
    team when added). Measures a dimension does not have (no channel on an account) are left out."""
    from collection.performance import outcomes_by
    if by not in BREAKDOWNS:
        raise ValueError(f"break down by one of {', '.join(BREAKDOWNS)}")
    parts = []
    if by in contacts.columns and len(contacts):
        parts.append(contact_by(contacts.assign(**{by: contacts[by].fillna("")}), (by,))
                     [[by, "attempts", "contact_rate", "rpc_rate", "ptp_rate"]])
    if by in promises.columns and len(promises):
        parts.append(ptp_by(promises.assign(**{by: promises[by].fillna("")}), (by,))[[by, "promises", "kept_rate"]])
    if by in outcomes.columns and len(outcomes):
        o = outcomes.assign(**{by: outcomes[by].fillna("")}) if by == "team" else outcomes
        g = outcomes_by(o, by) if by != "team" else _outcomes_by_team(o)
        parts.append(g[[by, "accounts", "cure_rate", "roll_forward_rate", "collected", "due", "collected_vs_due",
                        "cost_per_unit_collected"]])
    if not parts:
        return pd.DataFrame(columns=[by])
    out = parts[0]
    for p in parts[1:]:
        out = out.merge(p, on=by, how="outer")
    return out.sort_values(by).reset_index(drop=True)


def _outcomes_by_team(o: pd.DataFrame) -> pd.DataFrame:
    g = o.groupby("team", as_index=False).agg(accounts=("loan_id", "size"), cured=("cured", "sum"),
                                              rolled=("rolled", "sum"), collected=("collected", "sum"),
                                              due=("due", "sum"), cost=("cost", "sum"))
    return g.assign(cure_rate=_ratio(g["cured"], g["accounts"]), roll_forward_rate=_ratio(g["rolled"], g["accounts"]),
                    collected_vs_due=_ratio(g["collected"], g["due"]),
                    cost_per_unit_collected=_ratio(g["cost"], g["collected"]))


def assigned_outcomes(con: duckdb.DuckDBPyConnection, month: dt.date) -> pd.DataFrame:
    """compare.arm_outcomes of the month-end's assignment with each account's team."""
    from collection.compare import arm_outcomes
    return with_team(arm_outcomes(con, month), teams())


def comparison(con: duckdb.DuckDBPyConnection, month: dt.date, segment: str | None = None) -> pd.DataFrame:
    """compare.compare_arms of the month-end's assignment (one segment, or the segments with a challenger)."""
    from collection.compare import arm_outcomes, compare_arms
    return compare_arms(arm_outcomes(con, month), segment)


def month_promises(con: duckdb.DuckDBPyConnection, as_of: dt.date, months: int = 12) -> pd.DataFrame:
    """ptp.promises made in the `months` months up to `as_of`, judged at `as_of`, with each agent's team."""
    from collection import ptp
    start = (as_of.replace(day=1) - pd.DateOffset(months=months - 1)).date()
    return with_team(ptp.promises(con, as_of, start=start), teams())


MONTHS = 12


def compute_performance(con: duckdb.DuckDBPyConnection, as_of: dt.date, months: int = MONTHS,
                        eng: sa.Engine | None = None) -> dict[str, pd.DataFrame]:
    """Every frame the Collections page draws for the month-end: contact_trend, kept_by_month, bucket_outcomes,
    recoveries (the trends); outcomes (the accounts assigned at the previous month-end, for drill-down);
    breakdown_<dimension> (actions and promises of the as-of month, outcomes of the previous month-end's
    assignment); compare_* (all segments with a challenger, pooled) and compare_<segment> for each of them."""
    from collection import strategy
    from collection.compare import compare_arms
    from data.errors import DataError
    prev = (as_of.replace(day=1) - dt.timedelta(days=1))
    trend = contact_trend(con, as_of, months)
    promises = month_promises(con, as_of, months)
    try:
        outcomes = assigned_outcomes(con, prev)
    except DataError:                            # the first month-end of the book: nothing assigned before it
        outcomes = pd.DataFrame(columns=["loan_id", "bucket", "segment", "arm", "strategy", "agent", "cured",
                                         "rolled", "collected", "due", "cost", "team"])
    team_of = teams(eng)
    frames = {"contact_trend": trend, "kept_by_month": ptp_by(promises, ("month",)),
              "bucket_outcomes": bucket_outcomes(con, as_of, months), "recoveries": recoveries(con, as_of),
              "outcomes": outcomes}
    now = with_team(trend[trend["month"] == as_of], team_of)
    recent = promises[pd.to_datetime(promises["made_on"]) > pd.Timestamp(prev)]
    for dim in BREAKDOWNS:
        frames[f"breakdown_{dim}"] = breakdown(now, recent, outcomes, dim)
    segs = [s["name"] for s in strategy.active(eng)["body"]["segments"] if s.get("challenger")]
    for seg in [None, *segs]:
        frames[f"compare_{seg or '*'}"] = compare_arms(outcomes.drop(columns=["team"]), seg)
    return frames


def store_performance(con: duckdb.DuckDBPyConnection, as_of: dt.date, eng: sa.Engine | None = None,
                      months: int = MONTHS) -> dict:
    """Compute the month-end's page frames and keep them (workflow store `collection_snapshots`, Parquet),
    replacing that month-end's; what the daily run calls. Returns {frames, rows, seconds}."""
    import io
    import time
    started = time.perf_counter()
    eng = eng or workflow.engine()
    frames = compute_performance(con, as_of, months, eng)
    t, now, recs = workflow.collection_snapshots, workflow.now(), []
    for name, df in frames.items():
        buf = io.BytesIO()
        df.reset_index(drop=True).to_parquet(buf, index=False)
        recs.append({"as_of": as_of, "name": name, "frame": buf.getvalue(), "computed_at": now})
    with eng.begin() as c:
        c.execute(t.delete().where(t.c.as_of == as_of))
        c.execute(t.insert(), recs)
    return {"frames": len(frames), "rows": int(sum(len(f) for f in frames.values())),
            "seconds": round(time.perf_counter() - started, 2)}


def stored_performance(as_of: dt.date, eng: sa.Engine | None = None) -> dict[str, pd.DataFrame] | None:
    """The frames the daily run kept for the month-end, or None when it has not run for it."""
    import io
    t = workflow.collection_snapshots
    with (eng or workflow.engine()).connect() as c:
        rows = c.execute(sa.select(t.c.name, t.c.frame).where(t.c.as_of == as_of)).all()
    if not rows:
        return None
    out = {}
    for name, blob in rows:
        df = pd.read_parquet(io.BytesIO(blob))
        for col in ("month", "made_on"):
            if col in df.columns:
                df[col] = pd.to_datetime(df[col]).dt.date
        out[name] = df
    return out


def performance(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """The Collections page's frames of the month-end: those the daily run kept, else computed now."""
    return stored_performance(as_of) or compute_performance(con, as_of)
