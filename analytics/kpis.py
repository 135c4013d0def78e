"""Executive KPIs at a month-end, their change against the previous month and the same month last year, their
trends, and the segments that moved most.

Definitions (DOMAIN.md): open loans = month-end rows not charged_off / paid_off; outstanding balance = their
balance; 30+/60+/90+ rates = balance (or count) more than 30/60/90 days past due / open balance (or open loans);
NPL ratio = balance classified Substandard, Doubtful or Loss / open balance; ECL = sum of PD x LGD x EAD over
open loans; coverage = ECL / NPL balance (None without NPL); new disbursements = principal of loans originated
in the month; collections = payments received in the month, net of reversals; charge-offs and recoveries =
dispositions dated in the month (recoveries: kinds in the lgd_recovery_kinds setting). Money in the loans'
currency.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analytics import summaries
from analytics.filters import Filters, params
from analytics.provisioning import OfficerInputs

SQL = str(Path(__file__).with_suffix(".sql"))
KPIS = ("open_loans", "outstanding_balance", "dpd30_rate_balance", "dpd60_rate_balance", "dpd90_rate_balance",
        "dpd30_rate_count", "dpd60_rate_count", "dpd90_rate_count", "npl_balance", "npl_ratio", "ecl",
        "coverage_ratio", "new_loans", "new_disbursements", "collections", "charge_offs", "recoveries")
SEGMENTS = ("product", "region", "branch")
# a rise is better for these (the book grows, cash comes in, provisions cover more); for the rest a rise is worse
BETTER_UP = frozenset({"open_loans", "outstanding_balance", "new_loans", "new_disbursements", "collections",
                       "recoveries", "coverage_ratio"})
MOVER_MEASURES = ("dpd30_rate_balance", "dpd30_rate_count", "dpd90_rate_balance", "dpd90_rate_count",
                  "outstanding_balance", "open_loans")
MOVER_COLUMNS = ["dimension", "segment", "loans", "balance", "share", "value", "previous", "change"]


def add_months(d: dt.date, n: int) -> dt.date:
    """The month-end n months after (n < 0: before) the month of `d`."""
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return dt.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1) - dt.timedelta(days=1)


def kpi_frame(con: duckdb.DuckDBPyConnection, months: list[dt.date], by: str = "all",
              filters: Filters | None = None, overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """as_of, segment and every KPI (plus the counts and balances behind the rates) per month-end in `months`
    and segment (`by`: all, product, region or branch); a rate is NaN where its denominator is 0."""
    if by not in ("all",) + SEGMENTS:
        raise ValueError(f"by must be one of all, {', '.join(SEGMENTS)}")
    months = sorted(set(months))
    inputs = OfficerInputs(overrides=overrides) if overrides is not None else None
    with summaries.tables(con, ["buckets", "class", "cashflows"], months[0], months[-1], filters, months, inputs):
        df = summaries.frame(con, SQL, "kpi_table", months=months, by=by, **params(filters))
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    return df


def _values(row: pd.Series, as_of: dt.date) -> dict:
    out: dict = {"as_of": as_of}
    for k in KPIS:
        v = row[k]
        out[k] = None if pd.isna(v) else (int(v) if k in ("open_loans", "new_loans") else float(v))
    return out


def kpis(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None, filters: Filters | None = None,
         overrides: pd.DataFrame | None = None) -> dict:
    """The KPIs at a month-end (default the latest): {as_of, currency, <KPIS>..., previous_month: {...} | None,
    last_year: {...} | None, change_month: {kpi: difference} | None, change_year: ...}. Rates are shares
    (0.0123 = 1.23%); a change of a rate is a difference of shares."""
    when = summaries.resolve(con, as_of)
    have = set(summaries.month_ends(con))
    prev, year = add_months(when, -1), add_months(when, -12)
    months = [m for m in (year, prev, when) if m in have]
    df = kpi_frame(con, months, "all", filters, overrides).set_index("as_of")
    now = _values(df.loc[when], when)
    out = {**now, "currency": _currency(con, filters)}
    for label, month in (("month", prev), ("year", year)):
        then = _values(df.loc[month], month) if month in df.index else None
        out["previous_month" if label == "month" else "last_year"] = then
        out[f"change_{label}"] = None if then is None else {
            k: None if now[k] is None or then[k] is None else now[k] - then[k] for k in KPIS}
    return out


def kpi_changes(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                filters: Filters | None = None) -> pd.DataFrame:
    """kpi, value, previous_month, change_month, last_year, change_year: one row per KPI (for metric cards)."""
    k = kpis(con, as_of, filters)
    rows = []
    for name in KPIS:
        pm, ly = k["previous_month"], k["last_year"]
        rows.append((name, k[name], pm and pm[name], k["change_month"] and k["change_month"][name],
                     ly and ly[name], k["change_year"] and k["change_year"][name]))
    return pd.DataFrame(rows, columns=["kpi", "value", "previous_month", "change_month", "last_year", "change_year"],
                        dtype=object)


def kpi_trend(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None, months: int = 24,
              filters: Filters | None = None) -> pd.DataFrame:
    """as_of and every KPI for the last `months` month-ends with data up to `as_of` (default the latest)."""
    when = summaries.resolve(con, as_of)
    chosen = [m for m in summaries.month_ends(con) if add_months(when, -months) < m <= when]
    df = kpi_frame(con, chosen, "all", filters)
    return df[["as_of"] + list(KPIS)]


def kpi_movers(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None, kpi: str = "dpd30_rate_balance",
               by: str = "region", compare: str = "month", top: int = 10,
               filters: Filters | None = None) -> pd.DataFrame:
    """segment, value, previous, change: the `top` segments (product, region or branch) whose KPI changed most
    (largest absolute change first) against the previous month (compare='month') or year ('year')."""
    if kpi not in KPIS:
        raise ValueError(f"kpi must be one of {', '.join(KPIS)}")
    if by not in SEGMENTS or compare not in ("month", "year"):
        raise ValueError(f"by must be one of {', '.join(SEGMENTS)} and compare 'month' or 'year'")
    when = summaries.resolve(con, as_of)
    then = add_months(when, -1 if compare == "month" else -12)
    months = [m for m in (then, when) if m in set(summaries.month_ends(con))]
    df = kpi_frame(con, months, by, filters)
    now = df[df.as_of == when].set_index("segment")[kpi]
    before = df[df.as_of == then].set_index("segment")[kpi].reindex(now.index)
    out = pd.DataFrame({"segment": now.index, "value": now.to_numpy(), "previous": before.to_numpy()})
    out["change"] = out["value"] - out["previous"]
    order = np.argsort(-out["change"].abs().fillna(-1).to_numpy(), kind="stable")
    return out.iloc[order].head(top).reset_index(drop=True)


def better(kpi: str, change: float | None) -> int:
    """1 when `change` of `kpi` is for the better, -1 for the worse, 0 for none (or unknown)."""
    if change is None or pd.isna(change) or change == 0:
        return 0
    return (1 if change > 0 else -1) * (1 if kpi in BETTER_UP else -1)


def segment_movers(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                   measure: str = "dpd30_rate_balance", compare: str = "month", top: int = 3,
                   min_share: float = 0.0, filters: Filters | None = None) -> pd.DataFrame:
    """dimension, segment, loans, balance, share, value, previous, change: per dimension (product, region, branch)
    the `top` segments whose `measure` changed most (largest absolute change first) against the month-end a month
    (compare='month') or a year ('year') before `as_of`. loans, balance and share (of the open balance) are at
    `as_of`; segments under `min_share` are left out, since a rate over a handful of loans swings widely. A segment
    new since then has no change and comes last. Empty when the earlier month-end has no data."""
    if measure not in MOVER_MEASURES or compare not in ("month", "year"):
        raise ValueError(f"measure must be one of {', '.join(MOVER_MEASURES)} and compare 'month' or 'year'")
    when = summaries.resolve(con, as_of)
    then = add_months(when, -1 if compare == "month" else -12)
    if then not in set(summaries.month_ends(con)):
        return pd.DataFrame(columns=MOVER_COLUMNS)
    with summaries.tables(con, ["buckets"], then, when, filters, [then, when]):
        df = summaries.frame(con, SQL, "segment_moves", months=[then, when], **params(filters))
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    key = ["dimension", "segment"]
    now = df[df.as_of == when].set_index(key)
    before = df[df.as_of == then].set_index(key)[measure].reindex(now.index)
    total = now.groupby(level="dimension")["outstanding_balance"].transform("sum")
    out = pd.DataFrame({"loans": now["open_loans"], "balance": now["outstanding_balance"],
                        "share": now["outstanding_balance"] / total.where(total != 0),
                        "value": now[measure], "previous": before}).reset_index()
    out["change"] = out["value"] - out["previous"]
    out = out[out["share"].fillna(0) >= min_share]
    out["size"] = out["change"].abs().fillna(-1)
    order = {d: i for i, d in enumerate(SEGMENTS)}
    out = out.sort_values(["dimension", "size"], key=lambda c: c.map(order) if c.name == "dimension" else -c,
                          kind="stable")
    return out.groupby("dimension", sort=False).head(top)[MOVER_COLUMNS].reset_index(drop=True)


def _currency(con: duckdb.DuckDBPyConnection, filters: Filters | None) -> str:
    p = params(filters)
    return summaries.cached(con, ("currency", *(tuple(v) for v in p.values())),
                            lambda: summaries.frame(con, SQL, "currency", **p)["currency"].iloc[0] or "")
