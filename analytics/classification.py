"""Five-tier loan classification per loan and in total, tier migration between month-ends, NPL movement.

The rules (DOMAIN.md) and the deciding rule kept per loan are in analytics/tiers.py. Officers' overrides come as
a DataFrame(loan_id, tier, reason) or a tuple of (loan_id, tier, reason) tuples (hashable, so pages can cache the
result; data.overrides.inputs_at reads the stored ones): they can only make a tier worse (a better one is
ignored), the rule then reads 'override: <reason>', and they apply at the month-end asked for (between two
month-ends, at the later one). The watch list is a tuple of loan_ids (at least Stage 2). NPL = Substandard,
Doubtful or Loss.

With inputs and stored summaries, only the few loans the inputs touch (and their borrowers' other loans) go
through the engine again (provisioning.patch); a figure is then the stored one less what those loans added by
the rules plus what they add now: small queries over a handful of rows, not a pass over the book. What is kept
between calls (per generation: the month-end's PD curves and LGD, the stored rows of the loans named) holds
nothing of the inputs' tiers, reasons or watch list, so a changed override counts at once.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analytics import provisioning, summaries
from analytics.filters import Filters, params
from analytics.provisioning import OfficerInputs
from analytics.tiers import RULES, TIERS

SQL = str(Path(__file__).with_suffix(".sql"))
NPL_TERMS = ("opening", "new_npl", "upgrades", "collections", "write_offs", "closing")


def officer_inputs(overrides: pd.DataFrame | None = None, watch_list=(), pd_ratio: pd.DataFrame | None = None):
    """The officers' inputs, or None when there are none."""
    if overrides is not None and not isinstance(overrides, pd.DataFrame):
        overrides = pd.DataFrame([tuple(o)[:3] for o in overrides], columns=["loan_id", "tier", "reason"])
    inputs = OfficerInputs(overrides=overrides, watch_list=tuple(watch_list or ()), pd_ratio=pd_ratio)
    return None if inputs.empty else inputs


def _patch(con: duckdb.DuckDBPyConnection, when: dt.date, inputs: OfficerInputs | None
           ) -> provisioning.Patch | None:
    """The loans the officers' inputs re-classify at month-end `when`, as stored and now (provisioning.patch),
    when there are inputs and the stored summaries are read; else None (no inputs, or no summaries:
    summaries.tables then classifies the whole book with the inputs)."""
    if inputs is None or not summaries.available(con):
        return None
    return provisioning.patch(con, when, inputs)


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, **tables: pa.Table) -> Iterator[None]:
    """The small Arrow tables readable under their names on `con` within the block."""
    try:
        for name, table in tables.items():
            con.register(name, table)
        yield
    finally:
        for name in tables:
            con.unregister(name)


def loan_classification(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                        filters: Filters | None = None, overrides: pd.DataFrame | None = None,
                        watch_list=(), pd_ratio: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per open loan at a month-end: loan_id, product, region, branch, dpd, bucket, balance, tier, rule, stage,
    pd, lgd, ead, ecl (money in the loan's currency), by loan_id."""
    when = summaries.resolve(con, as_of)
    inputs = officer_inputs(overrides, watch_list, pd_ratio)
    with summaries.tables(con, ["loan_class"], when, when, filters, [when], inputs):
        df = summaries.frame(con, SQL, "loan_detail", as_of=when, **params(filters))
    df["stage"] = df["stage"].astype("int64")
    return df


def class_totals(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                 filters: Filters | None = None, overrides: pd.DataFrame | None = None,
                 watch_list=()) -> pd.DataFrame:
    """tier, stage, product, loans, balance, ead, ecl at a month-end (the totals behind the summaries)."""
    when = summaries.resolve(con, as_of)
    inputs = officer_inputs(overrides, watch_list)
    patch = _patch(con, when, inputs)
    if patch is not None:
        with _registered(con, lw_patch_before=patch.before, lw_patch_now=patch.now):
            df = summaries.frame(con, SQL, "class_totals_patched", as_of=when, **params(filters))
    else:
        with summaries.tables(con, ["class"], when, when, filters, [when], inputs):
            df = summaries.frame(con, SQL, "class_totals", as_of=when, **params(filters))
    df["stage"] = df["stage"].astype("int64")
    return df


def tier_summary(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                 filters: Filters | None = None, overrides: pd.DataFrame | None = None,
                 watch_list=()) -> pd.DataFrame:
    """tier, loans, balance, loan_share, balance_share over open loans at a month-end; all five tiers listed."""
    df = class_totals(con, as_of, filters, overrides, watch_list).groupby("tier")[["loans", "balance"]].sum()
    df = df.reindex(list(TIERS), fill_value=0).rename_axis("tier").reset_index()
    df["loans"] = df["loans"].astype("int64")
    df["balance"] = df["balance"].astype(float).round(2)
    df["loan_share"] = (df["loans"] / df["loans"].sum() if df["loans"].sum() else 0.0)
    df["balance_share"] = (df["balance"] / df["balance"].sum() if df["balance"].sum() else 0.0)
    return df


def migration(con: duckdb.DuckDBPyConnection, from_month: str | dt.date, to_month: str | dt.date,
              by: str = "tier", weight: str = "count", filters: Filters | None = None,
              overrides: pd.DataFrame | None = None, watch_list=()) -> pd.DataFrame:
    """from_state, to_state, loans, balance (at the first month-end), share (row share under `weight`) for the
    open loans at `from_month`: their tier (by='tier') or stage (by='stage') at `to_month`, or charged_off /
    paid_off when closed in between. A loan neither observed at `to_month` nor closed is left out."""
    if by not in ("tier", "stage") or weight not in ("count", "balance"):
        raise ValueError("by must be 'tier' or 'stage' and weight 'count' or 'balance'")
    start, stop = summaries.resolve(con, from_month), summaries.resolve(con, to_month)
    if start >= stop:
        raise ValueError(f"the month-end {stop} is not after {start}")
    values = {"by": by, "from": start, "to": stop, **params(filters)}
    inputs = officer_inputs(overrides, watch_list)
    patch = _patch(con, stop, inputs)         # the inputs re-classify a few loans at `to_month`
    with summaries.tables(con, ["loan_class", "closures"], start, stop, filters, [start, stop],
                          inputs if patch is None else None):
        a, b, c = (summaries.arrays(con, SQL, f"migration_{n}", **values) for n in ("start", "finish", "closed"))
    states = list(TIERS) if by == "tier" else ["1", "2", "3"]
    targets = states + ["charged_off", "paid_off"]
    # loan keys are dense row numbers: align the two month-ends by position instead of joining them
    size = 1 + max([int(x["loan_key"].max()) for x in (a, b, c) if len(x["loan_key"])] or [0])
    to = np.full(size, -1, dtype=np.int16)
    to[c["loan_key"]] = len(states) + c["code"]
    to[b["loan_key"]] = b["code"]
    if patch is not None:                     # their state now, coded as migration_finish codes it
        now = patch.now
        code = [TIERS.index(t) for t in now["tier"].to_pylist()] if by == "tier" else \
            [int(x) - 1 for x in now["stage"].to_pylist()]
        to[now["loan_key"].to_numpy()] = np.asarray(code, dtype=np.int16)
    moved = to[a["loan_key"]]
    seen = moved >= 0                                    # a loan neither observed at `to` nor closed is left out
    cell = a["code"][seen].astype(np.int64) * len(targets) + moved[seen]
    loans = np.bincount(cell, minlength=len(states) * len(targets))
    balance = np.bincount(cell, weights=a["balance"][seen], minlength=len(states) * len(targets))
    df = pd.DataFrame([(states[i // len(targets)], targets[i % len(targets)], int(loans[i]), float(balance[i]))
                       for i in np.flatnonzero(loans)], columns=["from_state", "to_state", "loans", "balance"])
    col = "loans" if weight == "count" else "balance"
    total = df.groupby("from_state")[col].transform("sum")
    df["share"] = (df[col] / total.where(total != 0)).astype(float).fillna(0.0)
    return df


def migration_matrix(long: pd.DataFrame) -> pd.DataFrame:
    """The long migration table as a from x to matrix of shares (rows sum to 1)."""
    m = long.pivot_table(index="from_state", columns="to_state", values="share", aggfunc="sum", fill_value=0.0)
    order = list(TIERS) + ["1", "2", "3", "charged_off", "paid_off"]
    return m.reindex(index=[s for s in order if s in m.index], columns=[s for s in order if s in m.columns])


def npl_movement(con: duckdb.DuckDBPyConnection, from_month: str | dt.date, to_month: str | dt.date,
                 filters: Filters | None = None, overrides: pd.DataFrame | None = None,
                 watch_list=()) -> pd.DataFrame:
    """as_of, opening, new_npl, upgrades, collections, write_offs, closing (+ counts) per month-end t1 in
    (from, to]: the movement of the NPL balance (Substandard, Doubtful, Loss) from the previous month-end t0 to
    t1, loan by loan. opening = balance at t0 of loans NPL at t0; new_npl = balance at t1 of loans NPL at t1 but
    not at t0 (new loans included); upgrades = balance at t0 of NPL loans open and performing at t1; write_offs
    = amount charged off at t1 of loans NPL at t0; collections = everything else that left: balance t0 - t1 for
    loans NPL at both, balance t0 when paid off or not observed at t1, balance t0 - amount charged off when
    charged off; closing = balance at t1 of loans NPL at t1. Decimal amounts, so opening + new_npl - upgrades -
    collections - write_offs = closing holds exactly, month by month."""
    start, stop = summaries.resolve(con, from_month), summaries.resolve(con, to_month)
    if start >= stop:
        raise ValueError(f"the month-end {stop} is not after {start}")
    months = [m for m in summaries.month_ends(con) if start < m <= stop]
    inputs = officer_inputs(overrides, watch_list)
    patch = _patch(con, stop, inputs)
    if patch is not None:                  # the inputs re-classify a few loans at the last month-end only
        df = _npl_patched(con, start, stop, filters, patch)
    elif inputs is None:
        with summaries.tables(con, ["npl_movement"], months[0], stop, filters, months):
            df = summaries.frame(con, SQL, "npl_movement", **{"from": start, "to": stop}, **params(filters))
    else:                          # the inputs re-classify the last month-end only: the rest stays as stored
        parts = []
        if len(months) > 1:
            with summaries.tables(con, ["npl_movement"], months[0], months[-2], filters, months[:-1]):
                parts.append(summaries.frame(con, SQL, "npl_movement", **{"from": start, "to": months[-2]},
                                             **params(filters)))
        with summaries.tables(con, ["npl_movement"], stop, stop, filters, [stop], inputs):
            parts.append(summaries.frame(con, SQL, "npl_movement", **{"from": months[-1] - dt.timedelta(days=1),
                                                                      "to": stop}, **params(filters)))
        df = pd.concat(parts, ignore_index=True)
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    df = df.set_index("as_of").reindex(months).rename_axis("as_of").reset_index()
    for c in NPL_TERMS:
        df[c] = df[c].map(lambda v: Decimal("0.00") if pd.isna(v) else Decimal(str(v)))
    for c in ("new_loans", "upgraded_loans", "written_off_loans"):
        df[c] = df[c].fillna(0).astype("int64")
    return df


def _npl_patched(con: duckdb.DuckDBPyConnection, start: dt.date, stop: dt.date, filters: Filters | None,
                 patch: provisioning.Patch) -> pd.DataFrame:
    """npl_movement's rows for (start, stop] from the stored summaries with the loans of `patch` re-classified at
    `stop`: their NPL terms from stop's previous month-end to stop, as stored and as now, are taken off and put
    back (one query over those few loans' rows)."""
    prev = summaries._month_before(stop)
    with _registered(con, lw_patch_before=patch.before, lw_patch_now=patch.now):
        return summaries.frame(con, SQL, "npl_movement_patched", **{"from": start, "to": stop}, prev=prev,
                               paired=prev in summaries.month_ends(con), keys=patch.keys, **params(filters))


def npl_reconciliation(con: duckdb.DuckDBPyConnection, from_month: str | dt.date, to_month: str | dt.date,
                       filters: Filters | None = None, overrides: pd.DataFrame | None = None,
                       watch_list=()) -> dict:
    """{from, to, opening (NPL balance at from), new_npl, upgrades, collections, write_offs (summed over the
    months in between), closing (at to), balanced}: Decimal amounts in the loans' currency."""
    df = npl_movement(con, from_month, to_month, filters, overrides, watch_list)
    out = {"from": summaries.resolve(con, from_month), "to": summaries.resolve(con, to_month),
           "opening": df["opening"].iloc[0], "closing": df["closing"].iloc[-1]}
    for c in ("new_npl", "upgrades", "collections", "write_offs"):
        out[c] = sum(df[c], Decimal("0.00"))
    out["balanced"] = (out["opening"] + out["new_npl"] - out["upgrades"] - out["collections"]
                       - out["write_offs"] == out["closing"])
    return out


def _rule_kind(rule: str | None) -> str | None:
    """'override' for any 'override: <reason>' rule, else the rule itself (a RULES name) or None."""
    if rule is not None and rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, got {rule!r}")
    return rule


def loan_list(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None, filters: Filters | None = None,
              tier: str | None = None, rule: str | None = None, page: int = 0, size: int | None = 200,
              overrides: pd.DataFrame | None = None, watch_list=()) -> pd.DataFrame:
    """One page (`size` rows from row page x size; size None = all) of loan_id, dpd, tier, rule, stage, ecl of the
    open loans at a month-end, worst tier first then largest ECL, optionally of one tier and one deciding rule
    ('override' matches every 'override: <reason>'). Only that page leaves the database."""
    if tier is not None and tier not in TIERS:
        raise ValueError(f"tier must be one of {', '.join(TIERS)}, got {tier!r}")
    when = summaries.resolve(con, as_of)
    offset = max(page, 0) * (size or 0)
    values = {"as_of": when, "tier": tier, "rule": _rule_kind(rule), "offset": offset,
              "size": size if size is not None else 2**62, **params(filters)}
    inputs = officer_inputs(overrides, watch_list)
    patch = _patch(con, when, inputs)
    if patch is not None:
        return _loan_list_patched(con, values, offset + size if size is not None else None, patch)
    with summaries.tables(con, ["loan_class"], when, when, filters, [when], inputs):
        if inputs is None:          # keyset paging on the stored order: rows after the previous page's last
            selective = tier is not None or rule is not None or (filters is not None and filters.active)
            after = int(summaries.frame(con, SQL, "loan_list_after", **values)["after"].iloc[0]) \
                if selective and offset else offset
            until = after + size if size is not None and not selective else 2**62
            df = summaries.frame(con, SQL, "loan_list_seek", **values, after=after, until=until)
        else:                       # inputs over rows computed now (no stored summaries): order by the keys
            bound = 2**62           # themselves, over the re-classified loans and the others' rows to the page's end
            if size is not None:
                bound = int(summaries.frame(con, SQL, "loan_list_bound", **values, upto=offset + size)["bound"].iloc[0])
            df = summaries.frame(con, SQL, "loan_list", **values, bound=bound)
    df["stage"] = df["stage"].astype("int64")
    return df


def _loan_list_patched(con: duckdb.DuckDBPyConnection, values: dict, upto: int | None,
                       patch: provisioning.Patch) -> pd.DataFrame:
    """loan_list's page with the loans of `patch` re-classified (no stored place) sorted in with the other loans'
    stored rows up to the `upto`-th (None: all); rows after it cannot be on the page."""
    with _registered(con, lw_patch_now=patch.now):
        bound = 2**62 if upto is None else int(summaries.frame(
            con, SQL, "loan_list_patched_bound", **values, keys=patch.keys, upto=upto)["bound"].iloc[0])
        df = summaries.frame(con, SQL, "loan_list_patched", **values, keys=patch.keys, bound=bound)
    df["stage"] = df["stage"].astype("int64")
    return df


def loan_list_count(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                    filters: Filters | None = None, tier: str | None = None, rule: str | None = None,
                    overrides: pd.DataFrame | None = None, watch_list=()) -> int:
    """How many loans loan_list has in all its pages."""
    when = summaries.resolve(con, as_of)
    values = {"as_of": when, "tier": tier, "rule": _rule_kind(rule), **params(filters)}
    inputs = officer_inputs(overrides, watch_list)
    patch = _patch(con, when, inputs)
    if patch is not None:
        with _registered(con, lw_patch_now=patch.now):
            return int(summaries.frame(con, SQL, "loan_list_patched_count", **values,
                                       keys=patch.keys)["loans"].iloc[0])
    with summaries.tables(con, ["loan_class"], when, when, filters, [when], inputs):
        return int(summaries.frame(con, SQL, "loan_list_count", **values)["loans"].iloc[0])


def rule_floor(con: duckdb.DuckDBPyConnection, loan_id: str, as_of: str | dt.date | None = None) -> dict | None:
    """{loan_id, as_of, officer, dpd, balance, tier, rule, stage} of one loan by the rules alone (no officer
    inputs) at a month-end, or None when it is not an open loan then: what an override is checked against."""
    when = summaries.resolve(con, as_of)
    with summaries.tables(con, ["loan_class"], when, when, None, [when]):
        df = summaries.frame(con, SQL, "rule_floor", as_of=when, loan_id=str(loan_id))
    if df.empty:
        return None
    row = df.iloc[0].to_dict()
    return {**row, "as_of": when, "dpd": int(row["dpd"]), "stage": int(row["stage"]),
            "balance": float(row["balance"]), "officer": None if pd.isna(row["officer"]) else row["officer"]}


def loan_officer(con: duckdb.DuckDBPyConnection, loan_id: str) -> str | None:
    """The credit officer a loan is assigned to (loans.officer), None when it has none or is unknown."""
    df = summaries.frame(con, SQL, "loan_officer", loan_id=str(loan_id))
    return None if df.empty or pd.isna(df["officer"].iloc[0]) else str(df["officer"].iloc[0])
