"""Shared machinery of the real-data adapters: stage a source file, check its columns, build canonical tables.

An adapter declares the source columns it reads (name in the file, alias used in its SQL, kind of value) and
a .sql file of named queries, each giving one canonical table (plus `_line`, the source row it came from).
The canonical tables then go through exactly the validation and upsert of data/importers.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from data import contracts, importers, staging, validate
from data.errors import DataError
from data.importers import Outcome, Progress, _say
from data.staging import Staging


@dataclass(frozen=True)
class SourceColumn:
    name: str            # as written in the source file (matched case-insensitively)
    alias: str           # name used by the adapter's SQL (a fixed identifier)
    kind: str            # text, int, number, percent, months, mon_yyyy
    required: bool = True  # the column must be in the file
    not_null: bool = False  # every row must have a value


def _kind_sql(x: str, kind: str) -> tuple[str, str]:
    """(typed SQL of staged text column x, problem text)."""
    v = f"nullif(trim(CAST({x} AS VARCHAR)), '')"
    if kind == "text":
        return v, ""
    if kind == "int":
        return validate.cast_sql(x, "BIGINT")
    if kind == "number":
        return validate.cast_sql(x, "DOUBLE")
    if kind == "percent":              # '13.56' or ' 13.56%' -> 13.56 (percent units)
        return f"TRY_CAST(trim(replace({v}, '%', '')) AS DOUBLE)", "not a percentage"
    if kind == "months":               # '36', '36.0' or ' 36 months' -> 36
        return (f"TRY_CAST(TRY_CAST(regexp_extract({v}, '^(\\d+)(\\.0*)?( months)?$', 1) AS DOUBLE) AS INTEGER)",
                "not a number of months")
    if kind == "mon_yyyy":             # 'Mar-2017' -> 2017-03-01
        return f"CAST(try_strptime({v}, '%b-%Y') AS DATE)", "not a month like 'Mar-2017'"
    raise ValueError(kind)


def stage_source(stg: Staging, path, columns: list[SourceColumn], source: str) -> tuple[list[str], str]:
    """Stage the file as table `raw` (_line + typed aliases); returns (header, row note). Rejects bad input."""
    header, fmt = staging.stage_file(stg, path)
    row_note = staging.ROW_NOTES[fmt]
    header_line = None if fmt == "parquet" else 1
    index = {h.strip().lower(): i for i, h in enumerate(header)}
    parts, typed_checks = ["_line"], []
    for col in columns:
        i = index.get(col.name.lower())
        if i is None:
            if col.required:
                stg.problems.add("", header_line, col.name, "required column missing")
            parts.append(f"NULL AS {col.alias}")
            continue
        typed, msg = _kind_sql(f"c{i}", col.kind)
        parts.append(f"{typed} AS {col.alias}")
        if col.not_null:
            typed_checks.append((f"SELECT '', _line, ?, 'missing value', NULL FROM src "
                                 f"WHERE nullif(trim(c{i}), '') IS NULL", [header[i]]))
        if col.kind != "text":
            typed_checks.append((f"SELECT '', _line, ?, ?, left(CAST(c{i} AS VARCHAR), 60) FROM src "
                                 f"WHERE nullif(trim(c{i}), '') IS NOT NULL AND ({typed}) IS NULL", [header[i], msg]))
    if stg.problems.count():           # missing columns: no point looking at the rows
        importers.reject_if_problems(stg, source, row_note)
    for sql, params in typed_checks:   # bad values are reported together with the adapter's own row checks
        stg.problems.add_sql(sql, params)
    if stg.con.execute("SELECT count(*) FROM src").fetchone()[0] == 0:
        raise DataError(f"{source}: no data rows (only a header)", problems=1)
    stg.con.execute(f"CREATE TABLE raw AS SELECT {', '.join(parts)} FROM src")
    stg.con.execute("DROP TABLE src")
    return header, row_note


def load_queries(path: Path) -> dict[str, str]:
    """Named queries of a .sql file: blocks that start with a line `-- name: <name>`."""
    queries: dict[str, str] = {}
    for block in re.split(r"^-- name: *", path.read_text(), flags=re.M)[1:]:
        name, _, body = block.partition("\n")
        queries[name.strip()] = body.strip().rstrip(";")
    return queries


def build_tables(stg: Staging, queries: dict[str, str], names: list[str]) -> None:
    """CREATE TABLE <name> AS <query> for each name, in order (later queries may read earlier tables)."""
    stg.con.execute(f"CREATE OR REPLACE MACRO bucket_of_dpd(dpd) AS ({contracts.BUCKET_OF_DPD_SQL})")
    for name in names:
        stg.con.execute(f"CREATE TABLE {name} AS {queries[name]}")


def run_adapter(kind: str, path, build: Callable[[Staging], tuple[list[str], str]], progress: Progress) -> dict:
    """build(stg) stages the source and makes in_<table> tables, returning (tables, row note); validate; publish."""
    source = Path(path).name

    def work(stg: Staging, outcome: Outcome) -> None:
        _say(progress, f"reading {source}")
        tables, row_note = build(stg)
        outcome.rows_read = stg.con.execute("SELECT count(*) FROM raw").fetchone()[0]
        _say(progress, f"read {outcome.rows_read:,} rows; built {', '.join(tables)}")
        inputs = []
        for table in tables:
            spec = validate.table_spec(table)
            have = {d[0] for d in stg.con.execute(f"SELECT * FROM in_{table} LIMIT 0").description}
            inputs.append((spec, f"in_{table}", {c.name: c.name for c in spec.input_columns() if c.name in have}))
        importers.check_inputs(stg, inputs, source, row_note + "; the row is the source row each record came from",
                               progress)
        importers.publish_checked(stg, outcome, [s for s, _, _ in inputs], progress)

    return importers.run_import(kind, str(path), None, work, progress)
