"""Personal worklists: the book of one credit officer (or branch) and the delinquent loans of a collector's queue."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from analytics.filters import Filters, params
from analytics.portfolio import resolve_as_of
from analytics.sql import run

SQL = str(Path(__file__).with_suffix(".sql"))


@dataclass(frozen=True)
class Scope:
    """Whose loans: an officer's (loans.officer), a branch's (loans.branch) or a collection agent's (the agent of
    the loan's latest collection action). Fields left None do not restrict; at least one must be set."""
    officer: str | None = None
    branch: str | None = None
    agent: str | None = None

    def params(self) -> dict[str, str | None]:
        if not (self.officer or self.branch or self.agent):
            raise ValueError("a worklist needs an officer, a branch or an agent")
        return {"officer": self.officer or None, "branch": self.branch or None}


def scope_buckets(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: str | dt.date | None = None,
                  filters: Filters | None = None) -> pd.DataFrame:
    """bucket, loans, balance, loan_share, balance_share over the scope's open loans at a month-end."""
    df = run(con, SQL, "scope_buckets", as_of=resolve_as_of(con, as_of), **scope.params(), **params(filters))
    df["loans"] = df["loans"].astype("int64")
    df[["loan_share", "balance_share"]] = df[["loan_share", "balance_share"]].astype(float).fillna(0.0)
    return df


def scope_summary(buckets: pd.DataFrame) -> dict:
    """Open loans and balance of a scope, and those at least 1 / more than 30 days past due (from scope_buckets)."""
    late = buckets[buckets.bucket != "current"]
    dpd30 = buckets[~buckets.bucket.isin(["current", "1-30"])]
    balance = float(buckets.balance.sum())
    return {"open_loans": int(buckets.loans.sum()), "balance": balance,
            "delinquent_loans": int(late.loans.sum()), "delinquent_balance": float(late.balance.sum()),
            "dpd30_rate_balance": float(dpd30.balance.sum()) / balance if balance else 0.0}


def delinquent_loans(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: str | dt.date | None = None,
                     filters: Filters | None = None) -> pd.DataFrame:
    """The scope's open loans at least 1 DPD at a month-end, DPD then balance descending, with the latest
    collection action up to that month-end (date, channel, outcome, agent; empty when none)."""
    df = run(con, SQL, "delinquent_loans", as_of=resolve_as_of(con, as_of), agent=scope.agent or None,
             **scope.params(), **params(filters))
    df["last_action_date"] = pd.to_datetime(df["last_action_date"]).dt.date
    return df


def queue_summary(queue: pd.DataFrame) -> dict:
    """Loans, balance, overdue amount and loans more than 90 DPD of a delinquent-loan list (from delinquent_loans)."""
    return {"loans": len(queue), "balance": float(queue["balance"].sum()),
            "overdue_amount": float(queue["overdue_amount"].fillna(0).sum()),
            "dpd90_loans": int((queue.dpd > 90).sum())}
