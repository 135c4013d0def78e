"""Markov-chain PD from observed bucket transitions, and LGD from the book's recoveries, per product.

Until a champion PD model exists, the probability of default is read off the observed monthly transition
matrix (DOMAIN.md): states are the buckets plus `charged_off` and `paid_off`; default (more than 90 DPD, i.e.
bucket 91-120 and worse, or charged off) and paid_off are absorbing. The matrix at month-end m is estimated
from the loans' moves over the `pd_window_months` consecutive month-end pairs ending at m, count-weighted, per
product. A bucket row with no observed moves for a product borrows the row pooled over all products; with
none at all the loan is assumed to stay where it is (no default from there). PD within n months from bucket b
= P(reach a default state within n steps | start in b); 1 for a bucket already in default.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

import config
from analytics.sql import run

SQL = str(Path(__file__).with_suffix(".sql"))
STATES = config.ALL_STATES                       # 8 buckets, charged_off, paid_off
N_BUCKETS = len(config.BUCKETS)
DEFAULT_FROM = config.BUCKETS.index("91-120")    # buckets from here on are more than 90 DPD: default
DEFAULT_STATES = list(range(DEFAULT_FROM, N_BUCKETS)) + [STATES.index("charged_off")]
_STATE_INDEX = {s: i for i, s in enumerate(STATES)}


def transition_counts(con: duckdb.DuckDBPyConnection, until: dt.date, from_summary: bool) -> pd.DataFrame:
    """as_of (start month-end t), product, from_bucket, to_bucket, loans for every pair with t+1 <= until."""
    name = "transition_counts_summary" if from_summary else "transition_counts_raw"
    df = run(con, SQL, name, until=until)
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    df["loans"] = df["loans"].astype("int64")
    return df


def count_tensor(counts: pd.DataFrame, products: list[str]) -> tuple[list[dt.date], np.ndarray]:
    """(start month-ends ascending, array [month, product, from bucket, to state] of loan counts)."""
    months = sorted(set(counts["as_of"]))
    out = np.zeros((len(months), len(products), N_BUCKETS, len(STATES)), dtype=np.int64)
    if len(counts):
        mi = counts["as_of"].map({m: i for i, m in enumerate(months)}).to_numpy()
        pi = counts["product"].map({p: i for i, p in enumerate(products)})
        keep = pi.notna().to_numpy()
        np.add.at(out, (mi[keep], pi[keep].astype(int).to_numpy(), counts["from_bucket"].map(_STATE_INDEX)
                        .to_numpy()[keep], counts["to_bucket"].map(_STATE_INDEX).to_numpy()[keep]),
                  counts["loans"].to_numpy()[keep])
    return months, out


def window_counts(months: list[dt.date], tensor: np.ndarray, as_of: dt.date, window: int) -> np.ndarray:
    """Counts [product, from, to] over the `window` pairs whose end month-end t+1 is at most `as_of`."""
    ends = [_next_month_end(m) for m in months]
    first = _add_months(as_of, -window)
    pick = [i for i, (m, e) in enumerate(zip(months, ends)) if e <= as_of and m >= first]
    return tensor[pick].sum(axis=0) if pick else np.zeros(tensor.shape[1:], dtype=np.int64)


def transition_matrix(counts: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """Row-stochastic [from bucket, to state] matrix from one product's counts (fallbacks in the docstring)."""
    p = np.zeros((N_BUCKETS, len(STATES)))
    for i in range(N_BUCKETS):
        row = counts[i] if counts[i].sum() else pooled[i]
        if row.sum():
            p[i] = row / row.sum()
        else:
            p[i, i] = 1.0
    return p


def default_curves(matrix: np.ndarray, horizon: int) -> np.ndarray:
    """[bucket, n] = P(in a default state within n steps), n = 0..horizon; 1 for buckets already in default."""
    full = np.zeros((len(STATES), len(STATES)))
    full[:N_BUCKETS] = matrix
    for s in DEFAULT_STATES + [STATES.index("paid_off")]:      # absorbing
        full[s] = 0.0
        full[s, s] = 1.0
    dist = np.eye(len(STATES))[:N_BUCKETS]
    curves = np.empty((N_BUCKETS, horizon + 1))
    curves[:, 0] = dist[:, DEFAULT_STATES].sum(axis=1)
    for n in range(1, horizon + 1):
        dist = dist @ full
        curves[:, n] = dist[:, DEFAULT_STATES].sum(axis=1)
    return np.minimum(curves, 1.0)


def pd_curves(window: np.ndarray, horizon: int) -> np.ndarray:
    """[product, bucket, n] cumulative default probabilities from the window counts [product, from, to]."""
    pooled = window.sum(axis=0)
    return np.stack([default_curves(transition_matrix(window[k], pooled), horizon)
                     for k in range(window.shape[0])]) if window.shape[0] else np.zeros((0, N_BUCKETS, horizon + 1))


def lgd_policy() -> dict[str, float]:
    """The lgd_table setting as {product: lgd}; '*' is any other product."""
    table: dict[str, float] = {}
    for part in str(config.setting("lgd_table")).split(","):
        name, _, value = part.partition("=")
        if name.strip():
            table[name.strip()] = float(value)
    table.setdefault("*", 0.45)
    return table


def lgd_inputs(con: duckdb.DuckDBPyConnection, until: dt.date) -> pd.DataFrame:
    """as_of, product, charged_off, recovered per month-end (dispositions up to `until`)."""
    kinds = [k.strip() for k in str(config.setting("lgd_recovery_kinds")).split(",") if k.strip()]
    df = run(con, SQL, "lgd_inputs", until=until, recovery_kinds=kinds)
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    return df


def lgd_by_product(inputs: pd.DataFrame, as_of: dt.date, products: list[str]) -> np.ndarray:
    """LGD per product at `as_of`: 1 - recovered / charged off over the dispositions up to then, clipped to
    [0, 1]; the policy table where a product has nothing charged off yet, or when lgd_source = 'table'."""
    policy = lgd_policy()
    out = np.array([policy.get(p, policy["*"]) for p in products], dtype=float)
    if config.setting("lgd_source") != "book" or inputs.empty:
        return out
    upto = inputs[inputs["as_of"] <= as_of].groupby("product")[["charged_off", "recovered"]].sum()
    for k, p in enumerate(products):
        if p in upto.index and upto.at[p, "charged_off"] > 0:
            out[k] = min(max(1.0 - upto.at[p, "recovered"] / upto.at[p, "charged_off"], 0.0), 1.0)
    return out


def markov_pd(con: duckdb.DuckDBPyConnection, as_of: dt.date, horizon: int = 12,
              from_summary: bool = False) -> pd.DataFrame:
    """product, bucket, pd: P(default within `horizon` months) from each bucket at month-end `as_of`."""
    counts = transition_counts(con, as_of, from_summary)
    products = [r[0] for r in con.execute("SELECT DISTINCT product FROM loans ORDER BY 1").fetchall()]
    months, tensor = count_tensor(counts, products)
    curves = pd_curves(window_counts(months, tensor, as_of, config.setting("pd_window_months")), horizon)
    return pd.DataFrame([(p, b, float(curves[k, i, horizon])) for k, p in enumerate(products)
                         for i, b in enumerate(config.BUCKETS)], columns=["product", "bucket", "pd"])


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    first_next = dt.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def _next_month_end(d: dt.date) -> dt.date:
    return _add_months(d, 1)
