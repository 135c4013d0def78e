"""Collection performance over time, for the manager's one-minute read: contact, right-party contact, PTP and PTP
kept rates by month and channel, agent or team; cure and roll-forward rates and collected against due by month
and bucket; recoveries after charge-off; champion vs challenger. Every figure honours the sidebar filters
(product, region, branch) and counts the book's actions and those recorded on My queue (each action once).

Definitions as in collection/performance.py (contact and RPC over attempts on the person channels, PTP rate over
right-party contacts, kept rate = kept / (kept + broken)). Cure and roll-forward here cover every open delinquent
loan at a month-end (the assignment-based figures by strategy, segment, arm and agent are performance.outcomes_by
on compare.arm_outcomes). A team is an agent's region in the collectors' table (`*` for agents of any region).
The figures are derived from collection/figures.py's segment-grain frames (kept once computed), never from a scan
of the book per view.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import sqlalchemy as sa

from analytics import summaries
from analytics.filters import Filters, params as filter_params
from collection import figures
from collection.performance import RIGHT_PARTY, _ratio
from data import workflow

SQL = str(Path(__file__).with_suffix(".sql"))
ANY_TEAM = "*"
BREAKDOWNS = ("channel", "agent", "team", "strategy", "segment", "arm", "bucket")
COUNTS = ["attempts", "contacts", "right_party", "promises"]       # of contact_trend rows
TREND_KINDS = ("actions", "flows", "promises", "recoveries")      # the figures.book_frames the trends read


def teams(eng: sa.Engine | None = None) -> dict[str, str]:
    """agent -> team (their region; ANY_TEAM for agents of any region)."""
    t = workflow.collection_agents
    with (eng or workflow.engine()).connect() as c:
        return {a: (r or ANY_TEAM) for a, r in c.execute(sa.select(t.c.agent, t.c.region))}


def contact_by(trend: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """keys..., attempts, contacts, right_party, promises, contact_rate, rpc_rate, ptp_rate of contact_trend()
    summed by the keys (month, channel, agent, team)."""
    g = trend.groupby(list(keys), as_index=False)[COUNTS].sum()
    return g.assign(contact_rate=_ratio(g["contacts"], g["attempts"]), rpc_rate=_ratio(g["right_party"], g["attempts"]),
                    ptp_rate=_ratio(g["promises"], g["right_party"]))


def ptp_by(promises: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """keys..., promises, kept, broken, pending, decided (kept + broken), kept_rate of a figures `promises` frame
    (month = month-end of the day made, status, promises = how many; `team` when added) by the keys."""
    n = promises["promises"].to_numpy(int)
    df = promises.drop(columns="promises").assign(
        promises=n, **{s: np.where(promises["status"] == s, n, 0) for s in ("kept", "broken", "pending")})
    g = df.groupby(list(keys), as_index=False)[["promises", "kept", "broken", "pending"]].sum()
    return g.assign(decided=g["kept"] + g["broken"], kept_rate=_ratio(g["kept"], g["kept"] + g["broken"]))


def outcome_rates(outcomes: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """keys..., accounts, cured, rolled, collected, due, cure_rate, roll_forward_rate, collected_vs_due of
    bucket_outcomes() summed by the keys (month, bucket)."""
    g = outcomes.groupby(list(keys), as_index=False)[["accounts", "cured", "rolled", "collected", "due"]].sum()
    return g.assign(cure_rate=_ratio(g["cured"], g["accounts"]), roll_forward_rate=_ratio(g["rolled"], g["accounts"]),
                    collected_vs_due=_ratio(g["collected"], g["due"]))


def recoveries(rec: pd.DataFrame) -> pd.DataFrame:
    """month, charged_off, recovered, cum_charged_off, cum_recovered, recovery_rate (cumulative recovered /
    cumulative charged off, all history up to the month) of a figures `recoveries` frame, by month."""
    df = rec.groupby("month", as_index=False)[["charged_off", "recovered"]].sum().sort_values("month")
    df = df.reset_index(drop=True)
    df["cum_charged_off"] = df["charged_off"].cumsum()
    df["cum_recovered"] = df["recovered"].cumsum()
    return df.assign(recovery_rate=_ratio(df["cum_recovered"], df["cum_charged_off"]))


def drill(outcomes: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """The accounts of compare.arm_outcomes() (with `team` when added) whose `by` is `value`, most collected
    first: the rows behind one bar of an outcomes_by() chart."""
    col = outcomes[by].fillna("") if by in ("agent", "team") else outcomes[by]
    return outcomes[col == value].sort_values(["collected", "loan_id"], ascending=[False, True]).reset_index(drop=True)


def breakdown(contacts: pd.DataFrame, promises: pd.DataFrame, outcomes: pd.DataFrame, by: str) -> pd.DataFrame:
    """One row per value of `by` with what is known of it: attempts, contact_rate, rpc_rate, ptp_rate (from
    contact_trend rows, with team when added), promises, kept_rate (figures promises rows), accounts, cure_rate,
    roll_forward_rate, collected, due, collected_vs_due, cost_per_unit_collected (compare.arm_outcomes rows, with
    team when added; or outcome_counts rows). Measures a dimension does not have (no channel on an account) are
    left out."""
    if by not in BREAKDOWNS:
        raise ValueError(f"break down by one of {', '.join(BREAKDOWNS)}")
    parts = []
    if by in contacts.columns and len(contacts):
        parts.append(contact_by(contacts.assign(**{by: contacts[by].fillna("")}), (by,))
                     [[by, "attempts", "contact_rate", "rpc_rate", "ptp_rate"]])
    if by in promises.columns and len(promises):
        parts.append(ptp_by(promises.assign(**{by: promises[by].fillna("")}), (by,))[[by, "promises", "kept_rate"]])
    if by in outcomes.columns and len(outcomes):
        parts.append(outcome_sums(outcomes, by)[[by, "accounts", "cure_rate", "roll_forward_rate", "collected", "due",
                                                 "collected_vs_due", "cost_per_unit_collected"]])
    if not parts:
        return pd.DataFrame(columns=[by])
    out = parts[0]
    for p in parts[1:]:
        out = out.merge(p, on=by, how="outer")
    return out.sort_values(by).reset_index(drop=True)


def outcome_sums(outcomes: pd.DataFrame, by: str) -> pd.DataFrame:
    """by, accounts, cured, rolled, collected, due, cost, cure_rate, roll_forward_rate, collected_vs_due,
    cost_per_unit_collected of accounts (compare.arm_outcomes rows, or rows already summed with an `accounts`
    column) by one dimension ('' where it has no value: no agent, no team)."""
    o = outcomes.assign(**{by: outcomes[by].fillna("")})
    if "accounts" not in o.columns:
        o = o.assign(accounts=1)
    g = o.groupby(by, as_index=False)[["accounts", "cured", "rolled", "collected", "due", "cost"]].sum()
    return g.assign(cure_rate=_ratio(g["cured"], g["accounts"]), roll_forward_rate=_ratio(g["rolled"], g["accounts"]),
                    collected_vs_due=_ratio(g["collected"], g["due"]),
                    cost_per_unit_collected=_ratio(g["cost"], g["collected"]))


# ---- what the page reads -----------------------------------------------------------------------------------

def stamp(as_of: dt.date, eng: sa.Engine | None = None) -> tuple:
    """What the page's figures of the month-end depend on beyond the published generation: the recorded actions,
    the assignment read and the settings. A cache key (ui.data.get): it changes when a collector records one."""
    from collection import work
    return (*work.recorded_stamp(eng), figures.assignment_stamp(figures.shift(as_of, -1), eng),
            figures.settings_stamp())


def _read(cur: duckdb.DuckDBPyConnection, name: str, filters: Filters | None, month: dt.date | None = None
          ) -> pd.DataFrame:
    df = summaries.frame(cur, SQL, name, right_party=list(RIGHT_PARTY), month=month, **filter_params(filters))
    if "month" in df.columns:
        df["month"] = pd.to_datetime(df["month"]).dt.date
    return df


def trends(con: duckdb.DuckDBPyConnection, as_of: dt.date, filters: Filters | None = None,
           version: tuple = (), eng: sa.Engine | None = None) -> dict:
    """The trends of the Collections page for the month-end inside the filters: contact_trend (month, channel,
    agent, team), kept_by_month, bucket_outcomes (month, bucket), recoveries, and meta (where the book's figures
    come from: figures.book_frames). `version` is a cache key only (stamp())."""
    with figures.registered(con, as_of, eng, teams(eng), TREND_KINDS) as (cur, meta):
        return {"contact_trend": _read(cur, "contact_trend", filters),
                "kept_by_month": ptp_by(_read(cur, "promise_counts", filters), ("month",)),
                "bucket_outcomes": _read(cur, "bucket_outcomes", filters),
                "recoveries": recoveries(_read(cur, "recoveries", filters)), "meta": meta}


def breakdown_of(con: duckdb.DuckDBPyConnection, as_of: dt.date, by: str, filters: Filters | None = None,
                 version: tuple = (), eng: sa.Engine | None = None) -> pd.DataFrame:
    """breakdown() by one dimension inside the filters: actions and promises of the as-of month, outcomes of the
    accounts assigned at the month-end before. `version` is a cache key only."""
    kinds = ("actions", "promises") + (("outcomes",) if by != "channel" else ())
    with figures.registered(con, as_of, eng, teams(eng), kinds) as (cur, _meta):
        trend, promises = _read(cur, "contact_trend", filters, as_of), _read(cur, "promise_counts", filters, as_of)
        outcomes = _read(cur, "outcome_counts", filters) if by != "channel" else pd.DataFrame()
    return breakdown(trend, promises, outcomes, by)


def assigned_accounts(con: duckdb.DuckDBPyConnection, as_of: dt.date, filters: Filters | None = None,
                      version: tuple = (), eng: sa.Engine | None = None) -> pd.DataFrame:
    """The accounts assigned at the month-end before `as_of` inside the filters, with their outcome at `as_of`
    (compare.arm_outcomes columns, recorded actions' costs included) and team. `version` is a cache key only."""
    with figures.registered(con, as_of, eng, teams(eng), ("outcomes",)) as (cur, _meta):
        return _read(cur, "outcomes", filters)


def accounts(con: duckdb.DuckDBPyConnection, as_of: dt.date, by: str, value: str,
             filters: Filters | None = None, version: tuple = (), eng: sa.Engine | None = None) -> pd.DataFrame:
    """drill(): the accounts of assigned_accounts() whose `by` is `value`, most collected first."""
    return drill(assigned_accounts(con, as_of, filters, eng=eng), by, value)


def comparison(con: duckdb.DuckDBPyConnection, as_of: dt.date, segment: str | None = None,
               filters: Filters | None = None, version: tuple = (), eng: sa.Engine | None = None) -> pd.DataFrame:
    """compare.compare_arms of assigned_accounts() (one segment, or the segments with a challenger). `version`
    is a cache key only."""
    from collection.compare import compare_arms
    return compare_arms(assigned_accounts(con, as_of, filters, eng=eng), segment)


def store_performance(con: duckdb.DuckDBPyConnection, as_of: dt.date, eng: sa.Engine | None = None) -> dict:
    """Compute the month-end's figures (what is not kept yet for this generation) and keep them as the daily
    run's; what the daily run calls. Returns {frames, rows, seconds, computed}."""
    import time
    started = time.perf_counter()
    figures.drop_legacy(as_of, eng)
    f = figures.book_frames(con, as_of, eng, source="daily")
    return {"frames": len(f) - 1, "rows": int(sum(v.num_rows for k, v in f.items() if k != "meta")),
            "seconds": round(time.perf_counter() - started, 2), "computed": f["meta"]["computed"]}
