"""Collection performance figures: contact, right-party contact and promise rates by channel or agent; cure,
roll-forward, collected against due and cost by bucket, segment, arm, strategy or agent.

Definitions (DOMAIN.md, Collections):
- attempts: actions on the channels that can reach a person (robo_call, agent_call, field_visit);
- contact rate: attempts with an answer (any outcome but no_answer) / attempts;
- right-party contact (RPC) rate: attempts that reached the borrower (contacted, refused, promise_to_pay, paid,
  dispute, hardship; not wrong_number) / attempts;
- PTP rate: promises to pay / right-party contacts;
- PTP kept rate: kept / (kept + broken) (collection/ptp.py);
- cure rate, roll-forward rate, collected / due and cost per unit collected: the accounts assigned at the
  month-end and their next month-end (collection/compare.py arm_outcomes).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analytics.sql import queries

SQL = str(Path(__file__).with_suffix(".sql"))
PERSON_CHANNELS = ("robo_call", "agent_call", "field_visit")
RIGHT_PARTY = ("contacted", "refused", "promise_to_pay", "paid", "dispute", "hardship")
GROUPS = ("bucket", "segment", "arm", "strategy", "agent")


def _ratio(a, b) -> np.ndarray:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def contact_rates(con: duckdb.DuckDBPyConnection, as_of: dt.date, by: str = "channel", eng=None) -> pd.DataFrame:
    """<by>, attempts, contacts, right_party, promises, contact_rate, rpc_rate, ptp_rate over the actions of the
    month ending at `as_of` (the book's and those recorded on My queue, each once), by channel or agent (person
    channels only)."""
    from collection.work import recorded_table
    if by not in ("channel", "agent"):
        raise ValueError("contact rates are by channel or by agent")
    cur = con.cursor()
    try:
        cur.register("cx_recorded", recorded_table(until=as_of, eng=eng, con=cur))
        df = cur.execute(queries(SQL)["contact_attempts"], {"as_of": as_of}).df()
    finally:
        cur.close()
    df = df[df["channel"].isin(PERSON_CHANNELS)]
    df = df.assign(contacts=np.where(df["outcome"] != "no_answer", df["actions"], 0),
                   right_party=np.where(df["outcome"].isin(RIGHT_PARTY), df["actions"], 0),
                   promises=np.where(df["outcome"] == "promise_to_pay", df["actions"], 0))
    g = df.groupby(by, as_index=False)[["actions", "contacts", "right_party", "promises"]].sum()
    g = g.rename(columns={"actions": "attempts"})
    return g.assign(contact_rate=_ratio(g["contacts"], g["attempts"]),
                    rpc_rate=_ratio(g["right_party"], g["attempts"]),
                    ptp_rate=_ratio(g["promises"], g["right_party"]))


def outcomes_by(outcomes: pd.DataFrame, by: str) -> pd.DataFrame:
    """<by>, accounts, cured, rolled, cure_rate, roll_forward_rate, collected, due, collected_vs_due, cost,
    cost_per_unit_collected from arm_outcomes() (accounts without an agent grouped under '')."""
    if by not in GROUPS:
        raise ValueError(f"group by one of {', '.join(GROUPS)}")
    df = outcomes.assign(agent=outcomes["agent"].fillna("")) if by == "agent" else outcomes
    g = df.groupby(by, as_index=False).agg(accounts=("loan_id", "size"), cured=("cured", "sum"),
                                            rolled=("rolled", "sum"), collected=("collected", "sum"),
                                            due=("due", "sum"), cost=("cost", "sum"))
    return g.assign(cure_rate=_ratio(g["cured"], g["accounts"]), roll_forward_rate=_ratio(g["rolled"], g["accounts"]),
                    collected_vs_due=_ratio(g["collected"], g["due"]),
                    cost_per_unit_collected=_ratio(g["cost"], g["collected"]))


def ptp_by_agent(promises: pd.DataFrame) -> pd.DataFrame:
    """agent, promises, kept, broken, pending, kept_rate from ptp.promises()."""
    df = promises.assign(agent=promises["agent"].fillna(""))
    g = pd.crosstab(df["agent"], df["status"]).reindex(columns=["kept", "broken", "pending"], fill_value=0)
    g = g.reset_index().rename_axis(columns=None)
    g.insert(1, "promises", g[["kept", "broken", "pending"]].sum(axis=1))
    return g.assign(kept_rate=_ratio(g["kept"], g["kept"] + g["broken"]))
