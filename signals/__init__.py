"""Early-warning signals over the analytical store: each one named SQL query for all open loans at a month-end.

`evaluate(con, name, as_of)` returns loan_id, branch, officer and the evidence columns of the loans the signal
fires for; `evaluate_all` runs every signal. Thresholds come from the settings registry (config.py, `ew_*`),
so a bank changes them without code. Events between daily runs are evaluated by `signals.events.add_event`, which
overlays the event on the published data and runs only the signals whose `events` include its kind.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:                  # kept out of the import so the command line's parser stays quick
    import duckdb
    import pandas as pd

    from analytics.filters import Filters

import config
from signals.catalog import BY_NAME, EVENT_KINDS, SEVERITIES, SIGNALS, Signal, severity_rank, signals_for_event

SQL = str(Path(__file__).with_name("signals.sql"))
_PARAM = re.compile(r"\$(\w+)")
__all__ = ["BY_NAME", "EVENT_KINDS", "SEVERITIES", "SIGNALS", "Signal", "evaluate", "evaluate_all",
           "severity_rank", "signals_for_event", "settings_of"]


def settings_of(signal: Signal, overrides: dict | None = None) -> dict:
    """The signal's SQL parameters: each from its setting, unless `overrides` names the setting."""
    overrides = overrides or {}
    return {p: overrides.get(s, config.setting(s)) for p, s in signal.params.items()}


def evaluate(con: duckdb.DuckDBPyConnection, name: str, as_of: str | dt.date, filters: Filters | None = None,
             loans: list[str] | tuple[str, ...] = (), at: dt.date | None = None,
             overrides: dict | None = None) -> pd.DataFrame:
    """The loans (open at the month-end of `as_of`) the signal fires for, with its evidence.

    `at` is the evaluation date when it is not the month-end (an event's date): windows end there, the open
    book is the month-end's. `loans` restricts to these loans; `overrides` maps setting names to values."""
    from analytics.filters import params as filter_params
    from analytics.sql import month_end, queries
    if name not in BY_NAME:
        raise ValueError(f"unknown signal {name!r}; known: {', '.join(BY_NAME)}")
    month = month_end(as_of)
    values = {"month": month, "as_of": at or month, "loan_ids": list(loans), **filter_params(filters),
              **settings_of(BY_NAME[name], overrides)}
    sql = queries(SQL)[name]
    bound = {k: values[k] for k in set(_PARAM.findall(sql))}
    return con.execute(sql, bound).df()


def evaluate_all(con: duckdb.DuckDBPyConnection, as_of: str | dt.date, filters: Filters | None = None,
                 names: list[str] | None = None, **kwargs) -> dict[str, pd.DataFrame]:
    """signal name -> the loans it fires for (every signal, or those in `names`)."""
    return {n: evaluate(con, n, as_of, filters, **kwargs) for n in (names or [s.name for s in SIGNALS])}
