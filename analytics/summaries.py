"""Summary tables computed when data is published, so a page reads thousands of rows instead of millions.

`build(con)` runs inside a store generation (end of data.demo.build_demo and of every import) and writes:
  summary_months        the month-ends with data
  summary_buckets       month-end x product x region x branch x state: loans, balance
  summary_transitions   month-end t x segment x from-bucket x to-state (at t+1): loans, balance at t and t+1
  summary_cashflows     month-end x segment: originations, payments, charge-offs, recoveries
  summary_vintage       cohort x segment x months on book of the first 30+/60+/90+/charge-off: loans, principal
  summary_closures      each loan's terminal row (charged off / paid off): month-end, amount
  summary_loan_class    loan x month-end: tier, deciding rule, stage, PD, LGD, EAD, ECL (analytics.provisioning)
  summary_class         month-end x segment x tier x stage: loans, balance, EAD, ECL
  summary_npl_movement  month-end x segment: NPL opening, new, upgrades, collections, write-offs, closing
  summary_segments      month-end x segment x officer / cohort / origination grade: open and 30+ loans, balance
  summary_borrower_loans  the loans of borrowers with more than one loan (top exposures)
  summary_exposures     month-end x segment x borrower: open loans and balance of borrowers with several loans, and
                        the 100 largest single-loan borrowers of each segment (top exposures, exact for n <= 100)
  summary_loan_rows     per loan: row numbers of its month-end rows, payments, actions and its borrower's bureau
                        pulls (one loan's detail without scanning those tables)
  summary_meta          what they were built from (control totals of the source tables, the settings used)
Readers call `tables(con, ...)`: the stored summaries when they match the data and settings, otherwise the same
build queries computed on demand for just the month-ends and filters asked for and registered under the same
names, so both paths run the same reading SQL and give the same answer.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

import duckdb
import pandas as pd
import pyarrow as pa

import config
from analytics.filters import Filters, params as filter_params
from analytics.sql import month_end, queries

SQL = str(Path(__file__).with_suffix(".sql"))
VERSION = "3"                                      # 3: exposures, loan_rows, severity/pos
SQL_BUILT = ("months", "buckets", "transitions", "cashflows", "vintage", "closures")
SQL_BUILT += ("segments", "borrower_loans")        # portfolio explorer (analytics/explorer.py)
SQL_BUILT += ("exposures", "loan_rows")            # explorer: top exposures, one loan's detail
DERIVED = ("class", "npl_movement")               # built from summary_loan_class
SETTINGS_USED = ("technical_grace_days", "tier_dpd_floors", "card_dpd_floors", "ecl_floor_doubtful",
                 "ecl_floor_loss", "contagion_share", "restructure_observation_months", "stage2_dpd", "stage3_dpd",
                 "sicr_pd_multiple", "pd_window_months", "default_lifetime_months", "lgd_source", "lgd_table",
                 "lgd_recovery_kinds", "revolving_ccf")
_PARAM = re.compile(r"\$(\w+)")
_valid: dict[tuple, bool] = {}
_months: dict[str, list] = {}
_lookups: dict[tuple, object] = {}
_state = threading.local()
_opened: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()     # connection -> _where(connection)


def _settings() -> str:
    return json.dumps({n: config.setting(n) for n in SETTINGS_USED}, sort_keys=True, default=str)


def recovery_kinds() -> list[str]:
    return [k.strip() for k in str(config.setting("lgd_recovery_kinds")).split(",") if k.strip()]


def _used(text: str, values: dict) -> dict:
    """The parameters a query's text uses ($name), taken from `values` (DuckDB refuses unused ones)."""
    return {k: values[k] for k in dict.fromkeys(_PARAM.findall(text))}


def execute(con: duckdb.DuckDBPyConnection, sql_file: str, name: str, **values) -> duckdb.DuckDBPyRelation:
    """A named query as a relation, given exactly the parameters its text uses (from `values`)."""
    text = queries(sql_file)[name]
    return con.sql(text, params=_used(text, values) or None)


def frame(con: duckdb.DuckDBPyConnection, sql_file: str, name: str, **values) -> pd.DataFrame:
    """A named query's result as a DataFrame (parameters as in `execute`)."""
    text = queries(sql_file)[name]
    return con.execute(text, _used(text, values)).df()


def arrays(con: duckdb.DuckDBPyConnection, sql_file: str, name: str, **values) -> dict:
    """A named query's result as {column: numpy array} (parameters as in `execute`)."""
    text = queries(sql_file)[name]
    return con.execute(text, _used(text, values)).fetchnumpy()


def _create(con: duckdb.DuckDBPyConnection, name: str, values: dict) -> None:
    text = queries(SQL)[f"build_{name}"]
    con.execute(f"CREATE TABLE summary_{name} AS {text}", _used(text, values))


def build(con: duckdb.DuckDBPyConnection, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """(Re)build every summary table on a read-write connection; rows per table."""
    from analytics import provisioning
    say = progress or (lambda _m: None)
    drop(con)
    first, last = con.execute("SELECT min(as_of), max(as_of) FROM performance").fetchall()[0]
    if first is None:
        return {}
    started = time.perf_counter()
    values = dict(start=first, stop=last, recovery_kinds=recovery_kinds(), **filter_params(None))
    for name in SQL_BUILT:
        say(f"summaries: {name}")
        _create(con, name, values)
    say("summaries: classification, stages and ECL per loan and month-end")
    ordered(con, provisioning.empty_table(), "CREATE TABLE summary_loan_class AS")

    def insert(_as_of: dt.date, table: pa.Table) -> None:
        # each month-end's rows stored in the loan list's order (pos), so a page is a range of pos
        ordered(con, table, "INSERT INTO summary_loan_class")

    provisioning.Walker(con, last, from_summary=True).run(insert)
    for name in DERIVED:
        say(f"summaries: {name}")
        _create(con, name, values)
    meta = {"version": VERSION, "fingerprint": _fingerprint(con), "settings": _settings(),
            "seconds": round(time.perf_counter() - started, 1)}
    con.execute("CREATE TABLE summary_meta AS SELECT * FROM (VALUES (?, ?), (?, ?), (?, ?), (?, ?)) m(key, value)",
                [k for item in meta.items() for k in (item[0], str(item[1]))])
    return {f"summary_{n}": con.execute(f"SELECT count(*) FROM summary_{n}").fetchall()[0][0]
            for n in SQL_BUILT + ("loan_class",) + DERIVED}


def drop(con: duckdb.DuckDBPyConnection) -> None:
    for name in SQL_BUILT + ("loan_class",) + DERIVED + ("meta",):
        con.execute(f"DROP TABLE IF EXISTS summary_{name}")


def _fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    row = execute(con, SQL, "fingerprint")
    return json.dumps(dict(zip(row.columns, row.fetchall()[0])), default=str)


def _where(con: duckdb.DuckDBPyConnection) -> str | None:
    """The database file when it is open read-only (a published generation, which never changes), else None;
    remembered per connection (its database and access mode do not change)."""
    try:
        return _opened[con]
    except (KeyError, TypeError):
        pass
    path, mode = con.execute("SELECT path, current_setting('access_mode') FROM duckdb_databases() "
                             "WHERE database_name = current_database()").fetchall()[0]
    found = path if path and mode == "read_only" else None
    try:
        _opened[con] = found
    except TypeError:                         # an object that cannot be weakly referenced: ask each time
        pass
    return found


def available(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the store holds summaries built from exactly its current data with the current settings."""
    if getattr(_state, "raw", False):
        return False
    path = _where(con)
    key = (path, _settings())
    if path and key in _valid:                # a published generation never changes: check it once
        return _valid[key]
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'summary_meta' AND "
                         "database_name = current_database() AND schema_name = 'main'").fetchall()[0][0]
    ok = False
    if exists:
        meta = dict(con.execute("SELECT key, value FROM summary_meta").fetchall())
        ok = meta.get("version") == VERSION and meta.get("settings") == key[1] and \
            meta.get("fingerprint") == _fingerprint(con)
    if path:
        _valid[key] = ok
    return ok


def month_ends(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Month-ends with performance rows, ascending (cached per published generation)."""
    path = _where(con)
    if path and path in _months:
        return _months[path]
    found = [r[0] for r in con.execute("SELECT DISTINCT as_of FROM performance ORDER BY as_of").fetchall()]
    if path:
        _months[path] = found
    return found


def resolve(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None) -> dt.date:
    """The month-end asked for ('YYYY-MM' or a date), or the latest with data; ValueError when it has none."""
    have = month_ends(con)
    if not have:
        raise ValueError("the analytical store has no performance data")
    if as_of is None:
        return have[-1]
    wanted = month_end(as_of)
    if wanted not in have:
        raise ValueError(f"no performance data for month-end {wanted}; data runs from {have[0]} to {have[-1]}")
    return wanted


def cached(con: duckdb.DuckDBPyConnection, key: tuple, compute: Callable[[], object]):
    """compute(), remembered per published generation and `key` (for small lookups such as the currency)."""
    path = _where(con)
    if not path:
        return compute()
    if (path, key) not in _lookups:
        _lookups[path, key] = compute()
    return _lookups[path, key]


@contextmanager
def raw_only() -> Iterator[None]:
    """Within the block (this thread), analytics ignore stored summaries and compute from the canonical tables."""
    before = getattr(_state, "raw", False)
    _state.raw = True
    try:
        yield
    finally:
        _state.raw = before


@contextmanager
def tables(con: duckdb.DuckDBPyConnection, names: Iterable[str], start: dt.date, stop: dt.date,
           filters: Filters | None = None, months: Iterable[dt.date] = (), inputs=None) -> Iterator[None]:
    """Make summary_<name> readable on `con` for month-ends start..stop (and `months` for the per-loan tables):
    the stored tables when `available`, else slices computed now and registered under the same names. Officers'
    inputs (provisioning.OfficerInputs) re-classify the last of `months`."""
    names = list(names)
    stored = available(con)
    no_inputs = inputs is None or inputs.empty
    if stored and no_inputs:
        yield
        return
    values = dict(start=start, stop=stop, recovery_kinds=recovery_kinds(), **filter_params(filters))
    shadows: dict[str, pa.Table] = {}
    for name in names:
        if name in SQL_BUILT and not stored:
            shadows[f"summary_{name}"] = execute(con, SQL, f"build_{name}", **values).to_arrow_table()
    if any(n in DERIVED for n in names) and "closures" not in names and not stored:
        shadows["summary_closures"] = execute(con, SQL, "build_closures", **values).to_arrow_table()
    patched = False
    if "loan_class" in names or any(n in DERIVED for n in names):
        wanted = set(months) or set(_months_between(con, start, stop))
        if "npl_movement" in names:
            wanted |= {_month_before(m) for m in wanted}
        if stored:
            patched = True
        else:
            shadows["summary_loan_class"] = _loan_class(con, sorted(wanted), stored, inputs)
    try:
        views = _PatchedViews(con, sorted(wanted), inputs) if patched else None
        for name, table in shadows.items():
            con.register(name, table)
        for name in names:
            if name in DERIVED:
                table = views.derived(name, values) if views else \
                    execute(con, SQL, f"build_{name}", **values).to_arrow_table()
                shadows[f"summary_{name}"] = table
                con.register(f"summary_{name}", table)
        yield
    finally:
        for name in shadows:
            con.unregister(name)
        if patched:
            con.execute("DROP VIEW IF EXISTS temp.summary_loan_class")
            con.execute("DROP VIEW IF EXISTS temp.lw_patched_loan_class")


# the grouping columns of the derived summaries; their other columns are sums over loans
DERIVED_KEYS = {"class": ("as_of", "product", "region", "branch", "tier", "stage"),
                "npl_movement": ("as_of", "product", "region", "branch")}


class _PatchedViews:
    """summary_loan_class on `con` as a temporary view over the stored table for `months`, with the loans the
    officers' inputs touch at the last of them classified again: only those few loans go through the engine and
    nothing else is copied (their `pos` is NULL: readers order by the loan list's keys when there are inputs)."""

    def __init__(self, con, months: list[dt.date], inputs):
        from analytics import provisioning
        have = set(month_ends(con))
        self.con, self.months = con, [m for m in months if m in have]
        if self.months:
            keys, now = provisioning.patched_rows(con, self.months[-1], inputs)
        else:
            keys, now = [], provisioning.empty_table()
        now = ordered(con, now)
        con.register("lw_patched_loan_class", now.set_column(now.schema.get_field_index("pos"), "pos",
                                                             pa.nulls(len(now), pa.int64())))
        self.db = con.execute("SELECT current_database()").fetchall()[0][0].replace('"', '""')
        self.keys = [int(k) for k in keys]
        self.stored = (f'SELECT {", ".join(provisioning.COLUMNS)}, severity, pos '
                       f'FROM "{self.db}".main.summary_loan_class '
                       f'WHERE as_of IN ({", ".join(_date(m) for m in self.months) or "NULL"})')
        self.last = _date(self.months[-1]) if self.months else "NULL"
        self._view(f"{self.stored} AND NOT (as_of = {self.last} AND list_contains({self.keys}::BIGINT[], loan_key))"
                   " UNION ALL BY NAME SELECT * FROM lw_patched_loan_class")

    def _view(self, text: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW summary_loan_class AS {text}")

    def derived(self, name: str, values: dict) -> pa.Table:
        """summary_<name> for values' start..stop with the inputs: the stored rows, less what the touched loans
        added by the rules, plus what they add now (both computed over those loans only, by the same build query;
        loans, balances and the NPL terms are exact sums, so this equals building it again over every loan)."""
        mine = f"{self.stored} AND list_contains({self.keys}::BIGINT[], loan_key)"
        self._view(mine)
        before = execute(self.con, SQL, f"build_{name}", **values).to_arrow_table()
        self._view(f"{mine} AND as_of <> {self.last} UNION ALL BY NAME SELECT * FROM lw_patched_loan_class")
        after = execute(self.con, SQL, f"build_{name}", **values).to_arrow_table()
        self._view(f"{self.stored} AND NOT (as_of = {self.last} AND list_contains({self.keys}::BIGINT[], loan_key))"
                   " UNION ALL BY NAME SELECT * FROM lw_patched_loan_class")
        keys = DERIVED_KEYS[name]
        sums = [c for c in before.column_names if c not in keys]
        counts = {f.name: "::BIGINT" for f in before.schema if pa.types.is_integer(f.type) and f.name in sums}
        self.con.register("lw_before", before)
        self.con.register("lw_after", after)
        try:
            kept = "HAVING sum(loans) <> 0" if "loans" in sums else ""
            return self.con.sql(f"""
                SELECT {", ".join(keys)}, {", ".join(f"sum({c}){counts.get(c, '')} AS {c}" for c in sums)}
                FROM (SELECT {", ".join(before.column_names)} FROM "{self.db}".main.summary_{name}
                      WHERE as_of BETWEEN $start AND $stop
                      UNION ALL BY NAME SELECT * FROM lw_after
                      UNION ALL BY NAME SELECT {", ".join(keys)}, {", ".join(f"-{c} AS {c}" for c in sums)}
                      FROM lw_before)
                GROUP BY ALL {kept}""", params={"start": values["start"], "stop": values["stop"]}).to_arrow_table()
        finally:
            self.con.unregister("lw_before")
            self.con.unregister("lw_after")


def _date(d: dt.date) -> str:
    return f"DATE '{d.isoformat()}'"


def _loan_class(con, months: list[dt.date], stored: bool, inputs) -> pa.Table:
    """summary_loan_class computed now for `months` (no stored summaries), with severity and pos as stored."""
    from analytics import provisioning
    have = set(month_ends(con))
    months = [m for m in months if m in have]
    rows = provisioning.loan_class(con, months, from_summary=False, inputs=inputs) if months else \
        provisioning.empty_table()
    return ordered(con, rows)


def ordered(con: duckdb.DuckDBPyConnection, rows: pa.Table, into: str | None = None) -> pa.Table | None:
    """Per-loan rows (provisioning.COLUMNS) with severity and pos as stored in summary_loan_class: as a table, or
    written by the statement `into` ('CREATE TABLE x AS' / 'INSERT INTO x')."""
    con.register("lw_rows", rows)
    try:
        text = queries(SQL)["ordered_loan_class"]
        if into:
            con.execute(f"{into} {text}")
            return None
        return con.sql(text).to_arrow_table()
    finally:
        con.unregister("lw_rows")


def _months_between(con, start: dt.date, stop: dt.date) -> list[dt.date]:
    return [m for m in month_ends(con) if start <= m <= stop]


def _month_before(d: dt.date) -> dt.date:
    return d.replace(day=1) - dt.timedelta(days=1)
