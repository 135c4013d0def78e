"""IFRS 9 stages and expected credit loss at a month-end, and the parameters behind them.

ECL = PD x LGD x EAD per loan (analytics/tiers.py): 12-month PD in Stage 1, lifetime PD in Stages 2 and 3, from
the observed transition matrices as a Markov chain (analytics/markov.py); LGD from the book's recoveries or the
policy table; EAD = balance plus undrawn limit x CCF for revolving credit. Money in the loans' currency.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

import config
from analytics import markov, summaries
from analytics.classification import class_totals, migration
from analytics.filters import Filters

GROUPS = ("stage", "product", "tier")


def _totals(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = df.groupby(keys, as_index=False)[["loans", "balance", "ead", "ecl"]].sum()
    out["loans"] = out["loans"].astype("int64")
    out["balance"] = out["balance"].round(2)              # whole cents; EAD and ECL are not
    out["coverage"] = (out["ecl"] / out["balance"].where(out["balance"] != 0)).astype(float)
    return out


def stage_summary(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                  filters: Filters | None = None, overrides: pd.DataFrame | None = None,
                  watch_list=()) -> pd.DataFrame:
    """stage, loans, balance, ead, ecl, coverage (ECL / balance) over open loans; stages 1-3 always listed."""
    df = _totals(class_totals(con, as_of, filters, overrides, watch_list), ["stage"]).set_index("stage")
    df = df.reindex([1, 2, 3]).fillna({"loans": 0, "balance": 0.0, "ead": 0.0, "ecl": 0.0})
    df["loans"] = df["loans"].astype("int64")
    return df.rename_axis("stage").reset_index()


def ecl_summary(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None, by: str = "product",
                filters: Filters | None = None, overrides: pd.DataFrame | None = None,
                watch_list=()) -> pd.DataFrame:
    """<by>, stage, loans, balance, ead, ecl, coverage: ECL by product (or tier) and stage at a month-end."""
    if by not in ("product", "tier"):
        raise ValueError("by must be 'product' or 'tier'")
    df = _totals(class_totals(con, as_of, filters, overrides, watch_list), [by, "stage"])
    return df.sort_values([by, "stage"]).reset_index(drop=True)


def stage_migration(con: duckdb.DuckDBPyConnection, from_month: str | dt.date, to_month: str | dt.date,
                    weight: str = "count", filters: Filters | None = None) -> pd.DataFrame:
    """from_state, to_state, loans, balance, share: stages '1', '2', '3' at `from_month` to stages (or
    charged_off / paid_off) at `to_month` (see classification.migration)."""
    return migration(con, from_month, to_month, "stage", weight, filters)


def ecl_parameters(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None) -> pd.DataFrame:
    """product, bucket, pd_12m, lgd: the Markov-chain 12-month PD from each bucket and the LGD per product at a
    month-end (the whole book's, whatever the filters: a loan's ECL does not depend on the view)."""
    when = summaries.resolve(con, as_of)
    if summaries.available(con):          # a published generation's parameters never change: compute them once
        return summaries.cached(con, ("ecl_parameters", when, summaries._settings()),
                                lambda: _parameters(con, when)).copy()
    return _parameters(con, when)


def _parameters(con: duckdb.DuckDBPyConnection, when: dt.date) -> pd.DataFrame:
    pd12 = markov.markov_pd(con, when, 12, from_summary=summaries.available(con))
    products = sorted(set(pd12["product"]))
    lgd = markov.lgd_by_product(markov.lgd_inputs(con, when), when, products)
    pd12["lgd"] = pd12["product"].map(dict(zip(products, lgd)))
    pd12 = pd12.rename(columns={"pd": "pd_12m"})
    order = {b: i for i, b in enumerate(config.BUCKETS)}
    return pd12.sort_values(["product", "bucket"], key=lambda s: s.map(order) if s.name == "bucket" else s) \
        .reset_index(drop=True)


def headline(tiers: pd.DataFrame, stages: pd.DataFrame) -> dict:
    """{loans, balance, npl_balance, npl_ratio (NPL / balance), ecl, coverage (ECL / NPL balance, None without
    NPL)} from classification.tier_summary and stage_summary of the same month-end and filters."""
    balance = float(tiers["balance"].sum())
    npl = float(tiers.loc[tiers["tier"].isin(["substandard", "doubtful", "loss"]), "balance"].sum())
    loss = float(stages["ecl"].sum())
    return {"loans": int(tiers["loans"].sum()), "balance": balance, "npl_balance": npl,
            "npl_ratio": npl / balance if balance else 0.0, "ecl": loss, "coverage": loss / npl if npl else None}
