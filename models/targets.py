"""Model targets: "DPD at least D, or charged off, at some month-end within the next H months" (targets.sql).

Definitions (../shared/DOMAIN.md, Risk models):
- The population at an observation month-end t is every loan with a row at t that is open (not charged off or
  paid off) and not in default (at most 90 DPD).
- The loan is bad when a later row at month-end t+1 .. t+H has DPD >= D or is charged off. Behaviour PD is
  D 91, H 12 (90+ within a year); early warning is D 31, H 3 (30+ within a quarter).
- Maturity is per observation month: month-end t is mature when the data reaches month-end t+H, so every loan's
  whole window is seen. Rows of an immature month (fewer than H later month-ends in the data) are left out of
  training and validation, never counted as good; keeping only their early bads would bias the bad rate up, so
  even a bad seen early does not make such a row mature. A loan that pays off within the window is good; one
  that stops reporting without a terminal row while the data goes on counts as good (as in
  analytics/population.py).
- With H 1 on the Taiwan panel (bad-dpd 30), September's target is the October row, i.e. the dataset's own
  `default.payment.next.month` flag; June to August take July to September's repayment status.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import duckdb
import pandas as pd

from analytics.sql import month_end, queries
from data.errors import UsageError

SQL = str(Path(__file__).with_suffix(".sql"))
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class TargetDef:
    name: str
    horizon: int        # months after the observation month-end
    bad_dpd: int        # DPD at or above which a month-end is bad (charge-off is always bad)

    def describe(self) -> str:
        return (f"DPD >= {self.bad_dpd} or charged off at a month-end within the next {self.horizon} "
                f"month{'s' if self.horizon != 1 else ''}")

    def as_dict(self) -> dict:
        return asdict(self) | {"definition": self.describe()}


TARGETS: dict[str, TargetDef] = {
    "behaviour": TargetDef("behaviour", 12, 91),
    "early_warning": TargetDef("early_warning", 3, 31),
}


def resolve_target(name: str, horizon: int | None = None, bad_dpd: int | None = None) -> TargetDef:
    """The target called `name`: a known one's defaults unless overridden; any other name needs both numbers."""
    if not NAME.fullmatch(name or ""):
        raise UsageError(f"target name {name!r}: use lower-case letters, digits and _ (e.g. behaviour, "
                         "early_warning)")
    base = TARGETS.get(name)
    if base is None and (horizon is None or bad_dpd is None):
        raise UsageError(f"target {name!r} is not one of {', '.join(TARGETS)}: give --horizon and --bad-dpd")
    h = horizon if horizon is not None else base.horizon
    d = bad_dpd if bad_dpd is not None else base.bad_dpd
    if not 1 <= h <= 60:
        raise UsageError(f"--horizon must be 1 to 60 months, got {h}")
    if not 1 <= d <= 1000:
        raise UsageError(f"--bad-dpd must be 1 to 1000 days, got {d}")
    return TargetDef(name, h, d)


def build_targets(con: duckdb.DuckDBPyConnection, obs: Iterable[str | dt.date], target: TargetDef) -> pd.DataFrame:
    """loan_id, as_of, bad, mature, months_to_bad for the population at each observation month-end."""
    months = sorted({month_end(m) for m in obs})
    from models.features import ORDER, fetch
    return fetch(con, queries(SQL)["targets"], {"obs": months, "horizon": target.horizon, "bad_dpd": target.bad_dpd},
                 ORDER)
