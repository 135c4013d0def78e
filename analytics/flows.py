"""Roll, cure and flow rates by bucket over time, and the flow waterfall from current to charge-off.

Definitions (DOMAIN.md): for consecutive month-ends t, t+1, the roll rate of bucket k is the share of the loans
(or balance at t) in k at t that sit in the next worse state at t+1 (180+ rolls to charged_off); the cure rate is
the share that is current at t+1 (per bucket, and over all delinquent buckets together, bucket 'delinquent');
a loan not observed at t+1 is left out of the denominator. The flow rate of k is balance in k+1 at t+1 / balance
in k at t (aggregate balances, not loan by loan, so it can exceed 1); the state after 180+ is charged_off, whose
"balance" at t+1 is the amount charged off at t+1. Rows are labelled by as_of = t+1.

Decision on 180+: loans stay there until they are charged off, so its balance is a stock that builds up and the flow
151-180 -> 180+ routinely exceeds 1 (297% on the demo book). We keep DOMAIN.md's definition as written and do not
cap it: the next step, 180+ -> charged_off, is smaller by the same stock, so the two steps multiplied (as the
waterfall does) give charge-offs / 151-180 balance times the month-on-month growth of the 180+ stock
(tests/unit/test_flows.py pins this identity). The page says so under the waterfall.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

import config
from analytics import summaries
from analytics.filters import Filters, params
from analytics.kpis import add_months
from analytics.sql import month_end

SQL = str(Path(__file__).with_suffix(".sql"))
LADDER = tuple(zip(config.BUCKETS, config.BUCKETS[1:] + ("charged_off",)))


def _span(con: duckdb.DuckDBPyConnection, from_month, to_month) -> tuple[dt.date, dt.date]:
    months = summaries.month_ends(con)
    if not months:
        raise ValueError("the analytical store has no performance data")
    start, stop = month_end(from_month) or months[0], month_end(to_month) or months[-1]
    if start >= stop:
        raise ValueError(f"the range {start} to {stop} holds no pair of consecutive month-ends")
    return start, stop


def roll_cure_rates(con: duckdb.DuckDBPyConnection, from_month: str | dt.date | None = None,
                    to_month: str | dt.date | None = None, weight: str = "count",
                    filters: Filters | None = None) -> pd.DataFrame:
    """as_of (t+1), bucket, loans, balance (at t), roll_rate, cure_rate for each pair in the range (default the
    whole history); bucket 'delinquent' pools 1-30 and worse (its cure rate is the book's cure rate)."""
    if weight not in ("count", "balance"):
        raise ValueError("weight must be 'count' or 'balance'")
    start, stop = _span(con, from_month, to_month)
    with summaries.tables(con, ["transitions"], start, stop, filters):
        df = summaries.frame(con, SQL, "roll_cure", start=start, stop=stop, **params(filters))
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    pooled = df[df.bucket != "current"].groupby("as_of", as_index=False)[
        ["loans", "balance", "roll_loans", "roll_balance", "cure_loans", "cure_balance"]].sum()
    pooled["bucket"], pooled["ord"] = "delinquent", 9
    pooled[["roll_loans", "roll_balance"]] = np.nan
    df = pd.concat([df, pooled], ignore_index=True).sort_values(["as_of", "ord"], kind="stable")
    base, roll, cure = (("loans", "roll_loans", "cure_loans") if weight == "count"
                        else ("balance", "roll_balance", "cure_balance"))
    den = df[base].where(df[base] != 0)
    df["roll_rate"] = (df[roll] / den).astype(float)
    df["cure_rate"] = (df[cure] / den).where(df.bucket != "current").astype(float)
    return df[["as_of", "bucket", "loans", "balance", "roll_rate", "cure_rate"]].reset_index(drop=True)


def flow_rates(con: duckdb.DuckDBPyConnection, from_month: str | dt.date | None = None,
               to_month: str | dt.date | None = None, filters: Filters | None = None) -> pd.DataFrame:
    """as_of (t+1), from_bucket, to_bucket, from_balance (k at t), to_balance (k+1 at t+1), flow_rate."""
    start, stop = _span(con, from_month, to_month)
    with summaries.tables(con, ["buckets"], start, stop, filters):
        df = summaries.frame(con, SQL, "state_balances", start=start, stop=stop, **params(filters))
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    wide = df.pivot_table(index="as_of", columns="bucket", values="balance", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(index=[m for m in summaries.month_ends(con) if start <= m <= stop],
                        columns=list(config.BUCKETS) + ["charged_off"], fill_value=0.0).fillna(0.0)
    rows = []
    for t0, t1 in zip(wide.index[:-1], wide.index[1:]):
        if add_months(t0, 1) != t1:
            continue                               # a gap in the history: no consecutive pair
        for k, nxt in LADDER:
            a, b = float(wide.at[t0, k]), float(wide.at[t1, nxt])
            rows.append((t1, k, nxt, a, b, b / a if a else np.nan))
    return pd.DataFrame(rows, columns=["as_of", "from_bucket", "to_bucket", "from_balance", "to_balance",
                                       "flow_rate"])


def flow_waterfall(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None, months: int = 12,
                   filters: Filters | None = None) -> pd.DataFrame:
    """step, from_bucket, to_bucket, from_balance, to_balance, flow_rate, cumulative_rate, expected_balance.

    Flow rates pooled over the `months` pairs ending at `as_of` (sum of balances in k+1 at t+1 / sum in k at
    t); cumulative_rate = product of the flow rates from current up to that step; expected_balance = the current
    balance at `as_of` x cumulative_rate, i.e. how much of today's current balance reaches each state (the last
    row: charge-off) if the flows stay as they were.
    """
    when = summaries.resolve(con, as_of)
    start = max(add_months(when, -months), summaries.month_ends(con)[0])
    if start >= when:
        raise ValueError(f"no pair of consecutive month-ends ends at {when}")
    flows = flow_rates(con, start, when, filters)
    pooled = flows.groupby(["from_bucket", "to_bucket"], sort=False, as_index=False)[
        ["from_balance", "to_balance"]].sum()
    pooled["flow_rate"] = pooled["to_balance"] / pooled["from_balance"].where(pooled["from_balance"] != 0)
    pooled["cumulative_rate"] = pooled["flow_rate"].cumprod()
    pooled["expected_balance"] = _current_balance(con, when, filters) * pooled["cumulative_rate"]
    pooled.insert(0, "step", range(1, len(pooled) + 1))
    return pooled


def _current_balance(con: duckdb.DuckDBPyConnection, when: dt.date, filters: Filters | None) -> float:
    with summaries.tables(con, ["buckets"], when, when, filters):
        df = summaries.frame(con, SQL, "state_balances", start=when, stop=when, **params(filters))
    return float(df.loc[df.bucket == "current", "balance"].sum())
