"""Validation of staged import data inside DuckDB: every problem with its row and column, before anything is written.

Rules come from the canonical schema itself (types, NOT NULL, defaults and CHECK constraints are read from
DuckDB's catalog) and from data/contracts.py (keys, foreign keys, month-ends, bucket agreeing with dpd), so the
importer and the publish-time contract check cannot drift apart. Table and column names that reach SQL are
always names of the schema (a whitelist); values are only ever read from the staged tables, never spliced in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import duckdb

import config
from data import contracts, store
from data.errors import UsageError
from data.pii import PII_FIELDS

TERMINAL_SQL = "('charged_off', 'paid_off')"
# Computed by the importer from the plain personal-data columns; a file must not carry them.
COMPUTED_BORROWER_COLUMNS = tuple(f"{f}_enc" for f in PII_FIELDS) + ("national_id_hash",)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool
    default: str | None          # SQL expression from the schema, or None

    @property
    def required(self) -> bool:
        return self.not_null and self.default is None


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]            # the stored columns, in schema order
    key: tuple[str, ...]
    checks: tuple[tuple[str, tuple[str, ...]], ...]   # (SQL expression, columns it reads)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def input_columns(self) -> tuple[Column, ...]:
        """Columns an import file may carry: for borrowers the plain personal data instead of tokens/hash."""
        if self.name != "borrowers":
            return self.columns
        kept = tuple(c for c in self.columns if c.name not in COMPUTED_BORROWER_COLUMNS)
        return kept + tuple(Column(f, "VARCHAR", False, None) for f in PII_FIELDS)


@lru_cache(maxsize=None)
def _catalog() -> dict[str, TableSpec]:
    con = duckdb.connect()
    try:
        store.create_schema(con)
        cols: dict[str, list[Column]] = {}
        for table, name, dtype, nullable, default in con.execute(
                "SELECT table_name, column_name, data_type, is_nullable, column_default FROM duckdb_columns() "
                "WHERE schema_name = 'main' ORDER BY table_name, column_index").fetchall():
            cols.setdefault(table, []).append(Column(name, dtype, not nullable, default))
        checks: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for table, expr, names in con.execute(
                "SELECT table_name, expression, constraint_column_names FROM duckdb_constraints() "
                "WHERE constraint_type = 'CHECK' AND schema_name = 'main' "
                "ORDER BY table_name, constraint_index").fetchall():
            checks.setdefault(table, []).append((expr, tuple(dict.fromkeys(names))))
    finally:
        con.close()
    return {t: TableSpec(t, tuple(cols[t]), contracts.KEYS[t], tuple(checks.get(t, ()))) for t in contracts.KEYS}


def table_spec(table: str) -> TableSpec:
    """The schema of a canonical table; UsageError naming the valid tables otherwise."""
    specs = _catalog()
    if table not in specs:
        raise UsageError(f"unknown table {table!r}; valid tables: {', '.join(specs)}")
    return specs[table]


def parent_first(names) -> list[str]:
    """Tables ordered so that a parent is written before its children."""
    order = ["borrowers", "loans"] + [t for t in contracts.KEYS if t not in ("borrowers", "loans")]
    return [t for t in order if t in names]


# ---------------------------------------------------------------------------------------------- casting
def cast_sql(x: str, sqltype: str) -> tuple[str, str]:
    """(SQL giving the typed value of staged column x, NULL when it is blank or does not parse; problem text).

    DuckDB's casts from text already ignore surrounding spaces and give NULL for ''; no trim() on the
    fast path, which matters at ten million rows."""
    t = sqltype.upper()
    if t == "VARCHAR":
        return f"nullif(CAST({x} AS VARCHAR), '')", "not text"
    if t in ("INTEGER", "BIGINT", "SMALLINT"):       # '3' and '3.0' are whole numbers, '3.5' is not
        return (f"CASE WHEN TRY_CAST({x} AS DOUBLE) = round(TRY_CAST({x} AS DOUBLE)) "
                f"THEN TRY_CAST({x} AS {t}) END", "not a whole number")
    if t.startswith("DECIMAL"):                      # 'nan', 'inf' and out-of-range values give NULL
        return f"TRY_CAST({x} AS {t})", "not a number"
    if t == "DOUBLE":
        return f"CASE WHEN isfinite(TRY_CAST({x} AS DOUBLE)) THEN TRY_CAST({x} AS DOUBLE) END", "not a number"
    if t == "DATE":
        return f"TRY_CAST({x} AS DATE)", "not a date (expected YYYY-MM-DD)"
    if t == "BOOLEAN":
        return f"TRY_CAST({x} AS BOOLEAN)", "not true/false"
    raise ValueError(f"no import cast for type {sqltype}")


def _blank(x: str) -> str:
    return f"(nullif(trim(CAST({x} AS VARCHAR)), '') IS NULL)"


def _lit(text: str) -> str:
    """A SQL string literal of a trusted constant (schema names and our own messages only)."""
    return "'" + text.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------- problems
class Problems:
    """The problems table of a staging connection: (tbl, line, col, problem, value)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        con.execute("CREATE TABLE IF NOT EXISTS problems (tbl VARCHAR, line BIGINT, col VARCHAR, "
                    "problem VARCHAR, value VARCHAR)")

    def add(self, table: str, line: int | None, column: str | None, problem: str, value: str | None = None):
        self.con.execute("INSERT INTO problems VALUES (?, ?, ?, ?, ?)", [table, line, column, problem, value])

    def add_sql(self, select_sql: str, params: list | None = None) -> None:
        """Append the rows of a SELECT giving (tbl, line, col, problem, value)."""
        self.con.execute(f"INSERT INTO problems {select_sql}", params or [])

    def count(self) -> int:
        return self.con.execute("SELECT count(*) FROM problems").fetchone()[0]

    def first(self, n: int) -> list[tuple]:
        return self.con.execute("SELECT tbl, line, col, problem, value FROM problems "
                                "ORDER BY line NULLS FIRST, tbl, col LIMIT ?", [n]).fetchall()


def describe(problem: tuple) -> str:
    _tbl, line, col, text, value = problem
    where = f"row {line}" if line is not None else "file"
    what = f"{col}: {text}" if col else text
    if value is not None:
        shown = value if len(value) <= 40 else value[:40] + "..."
        what += f": {shown!r}"
    return f"{where}, {what}"


def report(problems: Problems, source: str, row_note: str, multi_table: bool = False) -> tuple[int, str, str]:
    """(problem count, report text, one-line summary of the first problem)."""
    total = problems.count()
    limit = config.setting("problem_report_rows")
    rows = problems.first(limit)
    lines = [f"Import of {source} rejected: {total:,} problem{'s' if total != 1 else ''}; nothing was written.",
             f"Rows: {row_note}.", ""]
    header = ("file", "row", "column", "problem")
    table = []
    for tbl, line, col, text, value in rows:
        column = f"{tbl}.{col}" if multi_table and tbl and col else (col or "")
        shown = text
        if value is not None:
            v = value if len(value) <= 40 else value[:40] + "..."
            shown += f": {v!r}"
        table.append((source, "-" if line is None else str(line), column, shown))
    widths = [max(len(h), *(len(r[i]) for r in table)) if table else len(h) for i, h in enumerate(header[:3])]
    for r in [header, *table]:
        lines.append("  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3])
    if total > len(rows):
        lines.append(f"... and {total - len(rows):,} more problem{'s' if total - len(rows) != 1 else ''} "
                     f"(only the first {limit} are listed)")
    return total, "\n".join(lines), describe(rows[0]) if rows else ""


# ---------------------------------------------------------------------------------------------- typing
def build_typed(con: duckdb.DuckDBPyConnection, problems: Problems, spec: TableSpec, source: str,
                colmap: dict[str, str]) -> str:
    """Create typed_<table> from staged table `source` (column colmap[target] holds target's values).

    One pass types every column and sets a bit in _bad for each value that is there but does not parse;
    only the (few) flagged rows are then looked at again to tell blanks from bad values. Absent columns get
    the schema default; required columns with no value are reported."""
    parts, bits, present, absent = ["_line"], [], [], []
    for c in spec.input_columns():
        if c.name not in colmap:               # added by a view: constant columns cost time to materialise
            absent.append(f"CAST({c.default or 'NULL'} AS {c.type}) AS {c.name}")
            continue
        x = colmap[c.name]
        typed, msg = cast_sql(x, c.type)
        present.append((c, x, msg, len(bits) if c.type.upper() != "VARCHAR" else None))
        if c.type.upper() != "VARCHAR":
            bits.append(f"CASE WHEN {x} IS NOT NULL AND ({typed}) IS NULL THEN {1 << len(bits)} ELSE 0 END")
        if c.not_null and c.default is not None:
            typed = f"coalesce({typed}, {c.default})"
        parts.append(f"CAST({typed} AS {c.type}) AS {c.name}")
    parts.append(f"CAST({' + '.join(bits) or '0'} AS BIGINT) AS _bad")
    typed_table = f"typed_{spec.name}"
    con.execute(f"CREATE OR REPLACE TABLE {typed_table}_data AS SELECT {', '.join(parts)} FROM {source}")
    con.execute(f"CREATE OR REPLACE VIEW {typed_table} AS SELECT {', '.join(['*'] + absent)} "
                f"FROM {typed_table}_data")
    flagged = con.execute(f"SELECT bit_or(_bad) FROM {typed_table}").fetchone()[0] or 0
    for c, x, msg, bit in present:
        if bit is not None and flagged & (1 << bit):
            keep = "" if c.required else f"AND NOT {_blank('s.' + x)}"
            problems.add_sql(
                f"SELECT {_lit(spec.name)}, s._line, {_lit(c.name)}, CASE WHEN {_blank('s.' + x)} "
                f"THEN 'missing value' ELSE {_lit(msg)} END, CASE WHEN {_blank('s.' + x)} THEN NULL "
                f"ELSE left(CAST(s.{x} AS VARCHAR), 60) END FROM {source} s "
                f"SEMI JOIN (SELECT _line FROM {typed_table} WHERE _bad & {1 << bit} <> 0) t USING (_line) "
                f"WHERE TRUE {keep}")
        if c.required:
            flag = f"AND _bad & {1 << bit} = 0" if bit is not None else ""
            problems.add_sql(f"SELECT {_lit(spec.name)}, _line, {_lit(c.name)}, 'missing value', NULL "
                             f"FROM {typed_table} WHERE {c.name} IS NULL {flag}")
    return typed_table


# ---------------------------------------------------------------------------------------------- row rules
def _strip_outer(text: str) -> str:
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, ch in enumerate(text):
            depth += (ch == "(") - (ch == ")")
            if depth == 0 and i < len(text) - 1:
                return text
        text = text[1:-1]
    return text


def _rule_text(expr: str) -> str:
    """'((dpd IS NULL) OR (dpd >= 0))' -> 'breaks the rule dpd >= 0'; an IN list -> 'must be one of: a, b'."""
    text = _strip_outer(re.sub(r"^\(\((\w+) IS NULL\) OR (.*)\)$", r"\2", expr))
    m = re.fullmatch(r"(\w+) IN \((.*)\)", text)
    if m:
        return "must be one of: " + m.group(2).replace("'", "")
    return "breaks the rule " + text


def check_rules(problems: Problems, spec: TableSpec) -> None:
    """Schema CHECK constraints and month-end dates, evaluated on typed_<table>."""
    typed = f"typed_{spec.name}"
    for expr, names in spec.checks:
        value = f"CAST({names[0]} AS VARCHAR)" if len(names) == 1 else "NULL"
        problems.add_sql(f"SELECT {_lit(spec.name)}, _line, {_lit(', '.join(names))}, "
                         f"{_lit(_rule_text(expr))}, {value} FROM {typed} WHERE NOT ({expr})")
    for table, col in contracts.MONTH_END_COLUMNS:
        if table == spec.name:
            problems.add_sql(f"SELECT {_lit(table)}, _line, {_lit(col)}, "
                             f"'not a month-end (that month ends on ' || last_day({col}) || ')', "
                             f"CAST({col} AS VARCHAR) FROM {typed} WHERE {col} <> last_day({col})")
    if spec.name == "performance":
        problems.add_sql(
            f"SELECT 'performance', _line, 'bucket', 'does not agree with dpd ' || dpd || ' (expected ' || "
            f"({contracts.BUCKET_OF_DPD_SQL}) || ')', bucket FROM {typed} "
            f"WHERE dpd >= 0 AND bucket NOT IN {TERMINAL_SQL} AND bucket <> ({contracts.BUCKET_OF_DPD_SQL}) "
            f"AND bucket IN ('current','1-30','31-60','61-90','91-120','121-150','151-180','180+')")


def check_duplicates(con: duckdb.DuckDBPyConnection, problems: Problems, spec: TableSpec) -> None:
    """Rows repeating a key already seen earlier in the same input."""
    typed, key = f"typed_{spec.name}", ", ".join(spec.key)
    not_null = " AND ".join(f"{k} IS NOT NULL" for k in spec.key)
    # a 64-bit hash of the key groups far faster than the strings; a collision only costs the exact pass
    dups = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {typed} WHERE {not_null} "
                       f"GROUP BY hash({key}) HAVING count(*) > 1)").fetchone()[0]
    if not dups:
        return
    shown = " || ', ' || ".join(f"CAST({k} AS VARCHAR)" for k in spec.key)
    problems.add_sql(f"SELECT {_lit(spec.name)}, _line, {_lit(key)}, "
                     f"'duplicate key (first seen on row ' || first_line || ')', key_text FROM "
                     f"(SELECT _line, {shown} AS key_text, min(_line) OVER (PARTITION BY {key}) AS first_line "
                     f" FROM {typed} WHERE {not_null}) WHERE _line <> first_line")


def check_foreign_keys(problems: Problems, spec: TableSpec, batch: set[str], pub: str) -> None:
    """Child values found neither in this import nor in the published store."""
    typed = f"typed_{spec.name}"
    for child, col, parent, pcol in contracts.FOREIGN_KEYS:
        if child != spec.name:
            continue
        in_batch = (f"AND NOT EXISTS (SELECT 1 FROM typed_{parent} q WHERE q.{pcol} = c.{col})"
                    if parent in batch else "")
        problems.add_sql(
            f"SELECT {_lit(child)}, c._line, {_lit(col)}, "
            f"{_lit(f'not found in {parent} (neither in this import nor in the published data)')}, c.{col} "
            f"FROM {typed} c WHERE c.{col} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {pub}.{parent} p WHERE p.{pcol} = c.{col}) {in_batch}")


def check_performance_history(problems: Problems, batch: set[str], pub: str) -> None:
    """Rows before the loan's origination month, or after the loan paid off / was charged off."""
    loans = (f"(SELECT loan_id, origination_date FROM typed_loans UNION ALL SELECT p.loan_id, "
             f"p.origination_date FROM {pub}.loans p ANTI JOIN typed_loans t USING (loan_id))"
             if "loans" in batch else f"{pub}.loans")
    problems.add_sql(
        f"SELECT 'performance', t._line, 'as_of', 'is before the end of the origination month of loan ' || t.loan_id "
        f"|| ' (originated ' || l.origination_date || ')', CAST(t.as_of AS VARCHAR) "
        f"FROM typed_performance t JOIN {loans} l USING (loan_id) WHERE t.as_of < last_day(l.origination_date)")
    problems.add_sql(
        f"""WITH combined AS (
              SELECT _line, loan_id, as_of, bucket FROM typed_performance
              UNION ALL
              SELECT NULL, p.loan_id, p.as_of, p.bucket FROM {pub}.performance p
              ANTI JOIN typed_performance t ON p.loan_id = t.loan_id AND p.as_of = t.as_of
              WHERE p.loan_id IN (SELECT loan_id FROM typed_performance)),
            ended AS (
              SELECT loan_id, min(as_of) AS ended, arg_min(_line, as_of) AS end_line,
                     arg_min(bucket, as_of) AS end_bucket
              FROM combined WHERE bucket IN {TERMINAL_SQL} GROUP BY loan_id)
            SELECT 'performance', coalesce(c._line, e.end_line), 'as_of',
                   'loan ' || c.loan_id || ' has a row on ' || c.as_of || ' after it was ' || e.end_bucket
                   || ' on ' || e.ended || CASE WHEN c._line IS NULL THEN ' (later row in the published data)'
                   ELSE '' END, NULL
            FROM combined c JOIN ended e USING (loan_id) WHERE c.as_of > e.ended""")


def check_batch(con: duckdb.DuckDBPyConnection, problems: Problems, specs: list[TableSpec], pub: str) -> None:
    """Every row rule on the typed tables of one import (one or several tables)."""
    batch = {s.name for s in specs}
    for spec in specs:
        check_rules(problems, spec)
        check_duplicates(con, problems, spec)
        check_foreign_keys(problems, spec, batch, pub)
    if "performance" in batch:
        check_performance_history(problems, batch, pub)
