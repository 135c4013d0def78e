"""Runs the five-tier / IFRS 9 engine (analytics.tiers) over month-ends, oldest first, carrying each loan's state.

The state a month-end needs from the past: the loan's tier at its previous month-end and where its current
run of `restructured` rows began (the restructuring observation period). A run already under way at the first
month-end of history is taken to start there. PD curves come from the transitions up to each month-end
(analytics.markov) and LGD from the dispositions dated up to it, so an earlier month-end shows the book as it
was then. Officers' inputs (overrides, watch list, PD deterioration) apply at the month-end asked for only.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import config
from analytics import markov, tiers
from analytics.sql import queries, run

SQL = str(Path(__file__).with_suffix(".sql"))
# per loan and month-end, as stored in summary_loan_class
COLUMNS = ("loan_id", "loan_key", "product", "region", "branch", "as_of", "balance", "dpd", "bucket", "tier", "rule",
           "stage", "pd", "lgd", "ead", "ecl", "observation", "carry")


@dataclass(frozen=True)
class OfficerInputs:
    """What credit officers add at one month-end (from the workflow store, later)."""
    overrides: pd.DataFrame | None = None       # loan_id, tier, reason: only ever worse than the floors
    watch_list: tuple[str, ...] = ()            # loan_ids on the watch list -> at least Stage 2
    pd_ratio: pd.DataFrame | None = None        # loan_id, pd_now, pd_origination -> Stage 2 when ratio >= setting

    def loan_ids(self) -> list[str]:
        ids: set[str] = set(self.watch_list)
        for df in (self.overrides, self.pd_ratio):
            if df is not None:
                ids |= set(df["loan_id"])
        return sorted(ids)

    @property
    def empty(self) -> bool:
        return (self.overrides is None or self.overrides.empty) and not self.watch_list and \
            (self.pd_ratio is None or self.pd_ratio.empty)


class Walker:
    """Month-by-month classification of one store generation."""

    def __init__(self, con: duckdb.DuckDBPyConnection, until: dt.date, from_summary: bool):
        self.con, self.until = con, until
        self.policy = tiers.Policy.from_settings()
        if from_summary:                  # a published generation's inputs never change: read them once
            from analytics import summaries
            known = summaries.cached(con, ("engine_inputs", until, summaries._settings()),
                                     lambda: _engine_inputs(con, until, True))
        else:
            known = _engine_inputs(con, until, False)
        (n_loans, self.n_borrowers, self.products, self.count_months, self.tensor, self.lgd_inputs,
         self.months) = known
        self.product_index = {p: i for i, p in enumerate(self.products)}
        self.last_tier = np.full(n_loans, -1, dtype=np.int8)
        self.prev_restructured = np.zeros(n_loans, dtype=bool)
        self.run_start = np.full(n_loans, -10**6, dtype=np.int64)
        self._prefetched = False

    def _params(self, first: dt.date, last: dt.date) -> dict:
        return {"first": first, "last": last, "buckets": list(config.BUCKETS),
                "default_life": config.setting("default_lifetime_months")}

    def loans_at(self, as_of: dt.date) -> pa.Table:
        """The engine's input rows at one month-end, ordered by loan_key."""
        if self._prefetched:
            return self.con.sql("SELECT * FROM lw_engine_rows WHERE as_of = $as_of ORDER BY loan_key",
                                params={"as_of": as_of}).to_arrow_table()
        return self.con.sql(queries(SQL)["month_loans"], params=self._params(as_of, as_of)).to_arrow_table()

    def month(self, as_of: dt.date, inputs: OfficerInputs | None = None,
              state: tuple[np.ndarray, np.ndarray] | None = None) -> pa.Table:
        """Classify month-end `as_of` (the next one in order unless `state` = (observation, carry) is given)."""
        return self.classify_rows(self.loans_at(as_of), as_of, inputs, state)

    def classify_rows(self, rows: pa.Table, as_of: dt.date, inputs: OfficerInputs | None = None,
                      state: tuple[np.ndarray, np.ndarray] | None = None) -> pa.Table:
        """Classify the engine's input rows of month-end `as_of` (all open loans, or with `state` a subset)."""
        key = rows["loan_key"].to_numpy()
        restructured = rows["restructured"].to_numpy(zero_copy_only=False)
        if state is None:
            index = as_of.year * 12 + as_of.month
            started = restructured & ~self.prev_restructured[key]
            self.run_start[key[started]] = index
            observation = restructured & (index - self.run_start[key] < self.policy.observation_months)
            carry = self.last_tier[key]
        else:
            observation, carry = state
        window = markov.window_counts(self.count_months, self.tensor, as_of, config.setting("pd_window_months"))
        out, table = _classify(rows, as_of, inputs, observation, carry, self.policy, self.product_index,
                               lambda horizon: markov.pd_curves(window, horizon),
                               markov.lgd_by_product(self.lgd_inputs, as_of, self.products))
        if state is None:
            self.last_tier[key] = out.tier
            self.prev_restructured[key] = restructured
        return table

    def run(self, on_month: Callable[[dt.date, pa.Table], None], inputs: OfficerInputs | None = None) -> None:
        """Every month-end up to `until` in order; officer inputs at `until` only. The rows of all month-ends are
        read in one pass first (one join instead of one per month-end), into a temporary table of this cursor."""
        if not self.months:
            return
        self.con.execute("CREATE OR REPLACE TEMP TABLE lw_engine_rows AS " + queries(SQL)["month_loans"],
                         self._params(self.months[0], self.months[-1]))
        self._prefetched = True
        try:
            for as_of in self.months:
                on_month(as_of, self.month(as_of, inputs if as_of == self.until else None))
        finally:
            self._prefetched = False
            self.con.execute("DROP TABLE IF EXISTS temp.lw_engine_rows")


def _engine_inputs(con: duckdb.DuckDBPyConnection, until: dt.date, from_summary: bool) -> tuple:
    """(loans, borrowers, products, transition months, count tensor, LGD inputs, month-ends) up to `until`."""
    n_loans, n_borrowers, products = con.execute(queries(SQL)["key_range"]).fetchall()[0]
    products = list(products or [])
    count_months, tensor = markov.count_tensor(markov.transition_counts(con, until, from_summary), products)
    months = [d.date() if hasattr(d, "date") else d for d in run(con, SQL, "month_ends", until=until)["as_of"]]
    return n_loans, n_borrowers, products, count_months, tensor, markov.lgd_inputs(con, until), months


class MonthContext:
    """What classifying a few loans again at one month-end of a published generation needs besides the officers'
    inputs, none of which can change within the generation: the policy, the products, the LGD per product, the
    Markov PD curves (computed once and grown to the longest horizon asked for: the first n steps of a chain do not
    depend on how many follow, so a slice of longer curves is exactly the shorter ones) and, for the last few sets
    of loans asked for, those loans' engine input rows and stored state. Kept per generation, month-end and
    settings (month_context); the inputs' tiers, reasons and watch list are applied afresh on every call."""

    KEPT_ROWS = 64                          # sets of loans whose input rows are kept

    def __init__(self, con: duckdb.DuckDBPyConnection, as_of: dt.date):
        from analytics import summaries
        known = summaries.cached(con, ("engine_inputs", as_of, summaries._settings()),
                                 lambda: _engine_inputs(con, as_of, True))
        _n, _b, self.products, count_months, tensor, lgd_inputs, _m = known
        self.as_of = as_of
        self.policy = tiers.Policy.from_settings()
        self.product_index = {p: i for i, p in enumerate(self.products)}
        self.window = markov.window_counts(count_months, tensor, as_of, config.setting("pd_window_months"))
        self.lgd = markov.lgd_by_product(lgd_inputs, as_of, self.products)
        self._curves = markov.pd_curves(self.window, 12)
        self._rows: OrderedDict[tuple[str, ...], pa.Table] = OrderedDict()
        self._lock = threading.Lock()

    def curves(self, horizon: int) -> np.ndarray:
        """[product, bucket, n] for n = 0..horizon, as markov.pd_curves(window, horizon)."""
        have = self._curves
        if have.shape[2] - 1 < horizon:
            have = self._curves = markov.pd_curves(self.window, horizon)
        return have[:, :, :horizon + 1]

    def rows(self, con: duckdb.DuckDBPyConnection, loan_ids: tuple[str, ...]) -> pa.Table:
        """touched_rows(con, month-end, loan_ids), kept for the last KEPT_ROWS sets of loan ids."""
        with self._lock:
            if loan_ids in self._rows:
                self._rows.move_to_end(loan_ids)
                return self._rows[loan_ids]
        found = touched_rows(con, self.as_of, loan_ids)
        with self._lock:
            self._rows[loan_ids] = found
            while len(self._rows) > self.KEPT_ROWS:
                self._rows.popitem(last=False)
        return found


def month_context(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> MonthContext:
    """The MonthContext of month-end `as_of`, once per published generation and settings (summaries.cached:
    keyed by the generation's file, so a new publication or other settings never see an old one)."""
    from analytics import summaries
    return summaries.cached(con, ("month_context", as_of, summaries._settings()), lambda: MonthContext(con, as_of))


def touched_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date, loan_ids: tuple[str, ...]) -> pa.Table:
    """The engine's input rows at month-end `as_of` (month_loans, with the state and classification stored in
    summary_loan_class: patch_loans) of the loans `loan_ids` and every other loan of their borrowers, those open
    then, by loan_key; borrower_key numbered 0.. over these few loans (contagion only groups by borrower, so
    nothing changes but the size of its per-borrower arrays)."""
    chosen = con.execute(queries(SQL)["chosen_loans"], {"loan_ids": list(loan_ids)}).fetchall()
    borrowers = sorted({b for _k, _l, b in chosen})
    found = set(chosen) | set(con.execute(queries(SQL)["borrower_loans"], {"borrowers": borrowers}).fetchall())
    rows = con.sql(queries(SQL)["patch_loans"], params={
        "as_of": as_of, "loan_ids": sorted(x[1] for x in found), "keys": sorted(x[0] for x in found),
        "borrowers": borrowers, "buckets": list(config.BUCKETS),
        "default_life": config.setting("default_lifetime_months")}).to_arrow_table()
    borrower = np.unique(rows["borrower_key"].to_numpy(), return_inverse=True)[1].astype(np.int64)
    return rows.set_column(rows.schema.get_field_index("borrower_key"), "borrower_key", pa.array(borrower))


@dataclass(frozen=True)
class Patch:
    """The loans officers' inputs re-classify at one month-end (and their borrowers' other open loans): loan_keys
    ascending, their stored rows (`before`, COLUMNS as in summary_loan_class) and their rows with the inputs
    (`now`, COLUMNS). A figure with the inputs is the stored figure less what `before` adds plus what `now` adds."""
    keys: list[int]
    before: pa.Table
    now: pa.Table


def patch(con: duckdb.DuckDBPyConnection, as_of: dt.date, inputs: OfficerInputs) -> Patch:
    """The Patch of month-end `as_of` for the officers' inputs: only those few loans go through the engine, from
    their stored state, so this costs the same whatever the size of the book; what does not depend on the inputs'
    tiers and reasons is kept per generation (month_context)."""
    ctx = month_context(con, as_of)
    rows = ctx.rows(con, tuple(inputs.loan_ids()))
    _out, now = _classify(rows, as_of, inputs, rows["observation"].to_numpy(zero_copy_only=False),
                          rows["carry"].to_numpy(), ctx.policy, ctx.product_index, ctx.curves, ctx.lgd)
    schema = empty_table().schema
    before = pa.table({c: rows[f"stored_{c}"] if f"stored_{c}" in rows.column_names else rows[c]
                       for c in COLUMNS}).cast(schema)
    return Patch([int(k) for k in rows["loan_key"].to_numpy()], before, now.cast(schema))


def patched_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date, inputs: OfficerInputs) -> tuple[list[int], pa.Table]:
    """(loan_keys, rows): the loans the officers' inputs touch at month-end `as_of`, and every other open loan of
    their borrowers (contagion), classified again with the inputs from their stored state (patch)."""
    found = patch(con, as_of, inputs)
    return found.keys, found.now


def patched_month(con: duckdb.DuckDBPyConnection, as_of: dt.date, inputs: OfficerInputs) -> pa.Table:
    """The stored rows of month-end `as_of` (summary_loan_class, COLUMNS) with the loans the officers' inputs
    touch classified again (patched_rows)."""
    keys, now = patched_rows(con, as_of, inputs)
    rest = con.sql(f"SELECT {', '.join(COLUMNS)} FROM summary_loan_class WHERE as_of = $as_of "
                   "AND NOT list_contains($keys::BIGINT[], loan_key)",
                   params={"as_of": as_of, "keys": keys}).to_arrow_table()
    return pa.concat_tables([rest, now.cast(rest.schema)])


def _codes(column: pa.ChunkedArray, index: dict[str, int]) -> np.ndarray:
    if len(column) == 0:
        return np.zeros(0, dtype=np.int64)
    encoded = column.combine_chunks().dictionary_encode()
    lookup = np.array([index[v] for v in encoded.dictionary.to_pylist()], dtype=np.int64)
    return lookup[encoded.indices.to_numpy(zero_copy_only=False)]


def _classify(rows: pa.Table, as_of: dt.date, inputs: OfficerInputs | None, observation: np.ndarray,
              carry: np.ndarray, policy: tiers.Policy, product_index: dict[str, int], curves, lgd: np.ndarray
              ) -> tuple[tiers.Classified, pa.Table]:
    """The engine over the input rows of one month-end: curves(horizon) gives the PD curves up to a horizon."""
    m = tiers.LoanMonth(
        dpd=rows["dpd"].to_numpy(), bucket=rows["bucket_index"].to_numpy(),
        balance=rows["balance_value"].to_numpy(), undrawn=rows["undrawn"].to_numpy(),
        card=rows["card"].to_numpy(zero_copy_only=False),
        product=_codes(rows["product"], product_index),
        remaining=rows["remaining"].to_numpy().astype(np.int64), borrower=rows["borrower_key"].to_numpy(),
        business=rows["business"].to_numpy(zero_copy_only=False), observation=observation, carry=carry)
    rule_text = _apply_inputs(m, rows["loan_id"], inputs)
    horizon = int(m.remaining.max()) if len(rows) else 12
    out = tiers.classify(m, curves(max(horizon, 12)), lgd, policy)
    return out, _table(rows, as_of, out, observation, carry, rule_text)


def _apply_inputs(m: tiers.LoanMonth, loan_ids: pa.ChunkedArray, inputs: OfficerInputs | None) -> dict[int, str]:
    """Fill m.override / m.watch / m.sicr from the officers' inputs; {position: rule text} of the overrides.
    loan_ids: the loan at each position (a loan not among them is not open at the month-end: its inputs wait)."""
    if inputs is None or inputs.empty:
        return {}
    wanted = inputs.loan_ids()
    at = pc.index_in(pa.array(wanted, pa.string()), value_set=loan_ids.combine_chunks().cast(pa.string()))
    pos = {lid: i for lid, i in zip(wanted, at.to_pylist()) if i is not None}
    n = len(loan_ids)
    texts: dict[int, str] = {}
    if inputs.overrides is not None and not inputs.overrides.empty:
        m.override = np.full(n, -1, dtype=np.int8)
        for r in inputs.overrides.itertuples(index=False):
            if r.tier not in tiers.TIERS:
                raise ValueError(f"override tier must be one of {', '.join(tiers.TIERS)}, got {r.tier!r}")
            i = pos.get(r.loan_id)
            if i is not None and tiers.TIERS.index(r.tier) > m.override[i]:
                m.override[i] = tiers.TIERS.index(r.tier)
                texts[i] = f"override: {r.reason}"
    if inputs.watch_list:
        m.watch = np.zeros(n, bool)
        m.watch[[pos[x] for x in inputs.watch_list if pos.get(x) is not None]] = True
    if inputs.pd_ratio is not None and not inputs.pd_ratio.empty:
        multiple = config.setting("sicr_pd_multiple")
        m.sicr = np.zeros(n, bool)
        for r in inputs.pd_ratio.itertuples(index=False):
            i = pos.get(r.loan_id)
            if i is not None and r.pd_origination > 0 and r.pd_now >= multiple * r.pd_origination:
                m.sicr[i] = True
    return texts


def _table(rows: pa.Table, as_of: dt.date, out: tiers.Classified, observation: np.ndarray, carry: np.ndarray,
           rule_text: dict[int, str]) -> pa.Table:
    rules = list(tiers.RULES)
    rule = out.rule.astype(np.int32)
    for i, text in rule_text.items():
        if out.rule[i] == tiers.R_OVER:
            if text not in rules:
                rules.append(text)
            rule[i] = rules.index(text)
    n = len(rows)
    return pa.table({
        "loan_id": rows["loan_id"], "loan_key": rows["loan_key"], "product": rows["product"],
        "region": rows["region"], "branch": rows["branch"],
        "as_of": pa.array(np.full(n, np.datetime64(as_of, "D")), pa.date32()),
        "balance": rows["balance"], "dpd": rows["dpd"], "bucket": rows["bucket"],
        "tier": pa.DictionaryArray.from_arrays(pa.array(out.tier.astype(np.int32)), pa.array(tiers.TIERS))
        .cast(pa.string()),
        "rule": pa.DictionaryArray.from_arrays(pa.array(rule), pa.array(rules)).cast(pa.string()),
        "stage": pa.array(out.stage.astype(np.int8)), "pd": pa.array(out.pd), "lgd": pa.array(out.lgd),
        "ead": pa.array(out.ead), "ecl": pa.array(out.ecl), "observation": pa.array(observation),
        "carry": pa.array(np.asarray(carry, dtype=np.int8))})


def loan_class(con: duckdb.DuckDBPyConnection, months: Iterable[dt.date], from_summary: bool,
               inputs: OfficerInputs | None = None) -> pa.Table:
    """Per loan rows (COLUMNS) at the month-ends asked for, walking history from its start."""
    wanted = sorted(set(months))
    walker = Walker(con, wanted[-1], from_summary)
    parts: list[pa.Table] = []
    walker.run(lambda as_of, t: parts.append(t) if as_of in wanted else None, inputs)
    return pa.concat_tables(parts) if parts else empty_table()


def empty_table() -> pa.Table:
    return pa.table({"loan_id": pa.array([], pa.string()), "loan_key": pa.array([], pa.int64()),
                     "product": pa.array([], pa.string()), "region": pa.array([], pa.string()),
                     "branch": pa.array([], pa.string()), "as_of": pa.array([], pa.date32()),
                     "balance": pa.array([], pa.decimal128(18, 2)), "dpd": pa.array([], pa.int32()),
                     "bucket": pa.array([], pa.string()), "tier": pa.array([], pa.string()),
                     "rule": pa.array([], pa.string()), "stage": pa.array([], pa.int8()),
                     "pd": pa.array([], pa.float64()), "lgd": pa.array([], pa.float64()),
                     "ead": pa.array([], pa.float64()), "ecl": pa.array([], pa.float64()),
                     "observation": pa.array([], pa.bool_()), "carry": pa.array([], pa.int8())})
