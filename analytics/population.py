"""The behaviour-model population and its observed bad rate by observation month (figures the models will use)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from analytics.filters import Filters, params
from analytics.portfolio import resolve_as_of
from analytics.sql import month_end, run

SQL = str(Path(__file__).with_suffix(".sql"))
HORIZON, BAD_DPD = 12, 91          # behaviour PD: 90+ DPD (or charge-off) within the next 12 months


def behaviour_population(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                         filters: Filters | None = None, horizon: int = HORIZON,
                         bad_dpd: int = BAD_DPD) -> pd.DataFrame:
    """Per observation month-end up to `as_of`: loans, balance, bads, bad_rate, mature, months_observed.

    The population at a month-end is every open loan not in default (at most 90 DPD). A loan is bad when it is at
    least `bad_dpd` days past due, or charged off, at a later month-end within `horizon` months. Only data known at
    `as_of` is used: a month is `mature` when its whole window ends by `as_of`; for the others `bad_rate` is the
    rate observed so far (`months_observed` of `horizon`) and can only rise. A loan not observed later counts as good.
    """
    when = resolve_as_of(con, as_of)
    df = run(con, SQL, "behaviour_population", as_of=when, horizon=horizon, bad_dpd=bad_dpd, **params(filters))
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    df[["loans", "bads", "months_observed"]] = df[["loans", "bads", "months_observed"]].astype("int64")
    df["mature"] = df["mature"].astype(bool)
    df["bad_rate"] = (df["bads"] / df["loans"].where(df["loans"] != 0)).astype(float).fillna(0.0)
    return df[["as_of", "loans", "balance", "bads", "bad_rate", "mature", "months_observed"]]


def maturity_month(observation: dt.date, horizon: int = HORIZON) -> dt.date:
    """The first as-of month-end at which an observation month-end has its whole `horizon`-month window."""
    return month_end(dt.date(observation.year + (observation.month - 1 + horizon) // 12,
                             (observation.month - 1 + horizon) % 12 + 1, 1))
