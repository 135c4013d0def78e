"""Import files (CSV, Parquet, Excel) and SQL query results into the canonical tables: validate all, then publish.

Every import goes the same way: stage the input in a private in-memory DuckDB (its spill files in a temporary
folder outside LOANWATCH_HOME, removed afterwards), type and check every row there (data/validate.py), and
reject the whole input with a report when anything is wrong. Only a clean input reaches
`store.new_generation()`, where rows are upserted by the table's key (rows whose key matches are deleted,
then the new versions inserted); rows identical to the published ones are left alone and an input that
changes nothing publishes nothing. Borrowers arrive with plain `name, national_id, phone, address`; these are
encrypted (and the national ID blind-indexed) before they leave the staging database.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import config
from data import validate, workflow
from data.errors import DataError, UsageError
from data.staging import ROW_NOTES, Staging, stage_file, stage_rows
from data.upsert import compute_delta, write_deltas
from data.validate import TableSpec

Progress = Callable[[str], None] | None


def _say(progress: Progress, message: str) -> None:
    if progress is not None:
        progress(message)


# ---------------------------------------------------------------------------------------------- mapping
def map_columns(stg: Staging, spec: TableSpec, header: list[str], mapping: dict[str, str],
                header_line: int | None) -> dict[str, str]:
    """target column -> staged column; header problems (unknown, missing, duplicate) go to the report."""
    add = stg.problems.add
    wanted = {c.name: c for c in spec.input_columns()}
    lowered = {h.strip().lower(): h for h in header}
    mapping = {str(k).strip().lower(): str(v).strip().lower() for k, v in (mapping or {}).items()}
    for src in mapping:
        if src not in lowered:
            add(spec.name, header_line, src, "mapped column not found in the input")
    colmap: dict[str, str] = {}
    for i, raw in enumerate(header):
        name = raw.strip().lower()
        if not name:
            add(spec.name, header_line, f"column {i + 1}", "the column has no name")
            continue
        target = mapping.get(name, name)
        if spec.name == "borrowers" and target in validate.COMPUTED_BORROWER_COLUMNS:
            add(spec.name, header_line, raw, "is computed by Loanwatch; supply the plain "
                "name, national_id, phone and address columns instead")
        elif target not in wanted:
            hint = ";" if ";" in raw else ("\t" if "\t" in raw else None)
            if name in mapping:
                why = f"mapped to {target!r}, which is not a column of {spec.name}"
            elif hint:
                why = (f"unknown column of {spec.name} (the file seems to be separated by {hint!r}; "
                       "Loanwatch reads comma-separated files)")
            else:
                why = f"unknown column of {spec.name} (rename it with --map SRC:DST or remove it)"
            add(spec.name, header_line, raw, why)
        elif target in colmap:
            add(spec.name, header_line, target, "more than one input column maps to this column")
        else:
            colmap[target] = f"c{i}"
    for c in spec.input_columns():
        if c.required and c.name not in colmap:
            add(spec.name, header_line, c.name, "required column missing")
    return colmap


# ---------------------------------------------------------------------------------------------- checking
@dataclass
class Outcome:
    rows_read: int = 0
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    generation: str | None = None

    def totals(self) -> dict[str, int]:
        keys = ("rows_inserted", "rows_updated", "rows_unchanged")
        return {k: sum(t[k] for t in self.tables.values()) for k in keys}


def reject_if_problems(stg: Staging, source: str, row_note: str, multi_table: bool = False) -> None:
    if stg.problems.count():
        total, text, first = validate.report(stg.problems, source, row_note, multi_table)
        raise DataError(f"{source}: rejected, {total:,} problem{'s' if total != 1 else ''} "
                        f"(first: {first}); nothing was imported", report=text, problems=total)


def check_inputs(stg: Staging, inputs: list[tuple[TableSpec, str, dict[str, str]]], source: str,
                 row_note: str, progress: Progress) -> None:
    """Type and check staged inputs [(spec, staged table, colmap)]; DataError with the report on any problem."""
    for spec, staged, colmap in inputs:
        _say(progress, f"checking types of {spec.name}")
        validate.build_typed(stg.con, stg.problems, spec, staged, colmap)
    _say(progress, "checking rules, keys and references")
    validate.check_batch(stg.con, stg.problems, [s for s, _, _ in inputs], "pub")
    reject_if_problems(stg, source, row_note, multi_table=len(inputs) > 1)


# ---------------------------------------------------------------------------------------------- running
def run_import(kind: str, source: str, target: str | None, work: Callable[[Staging, Outcome], None],
               progress: Progress = None) -> dict:
    """Run one import: workflow record, staging, work(stg, outcome) that stages/checks/writes, audit."""
    started = time.monotonic()
    import_id = workflow.start_import(kind, source, target)
    outcome = Outcome()
    status, message, problems = "failed", None, 0
    try:
        with Staging() as stg:
            work(stg, outcome)
        status = "published"
    except DataError as exc:
        status, message, problems = "rejected", str(exc), exc.problems or 1
        raise
    except BaseException as exc:
        message = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        totals = outcome.totals() if outcome.tables else {}
        written = totals.get("rows_inserted", 0) + totals.get("rows_updated", 0) if status == "published" else 0
        workflow.finish_import(import_id, status, rows_read=outcome.rows_read, rows_written=written,
                               problems=problems, message=message, generation=outcome.generation)
        workflow.audit("import", target=target or kind, details={
            "import_id": import_id, "kind": kind, "source": source, "status": status,
            "rows_read": outcome.rows_read, "problems": problems, "generation": outcome.generation,
            **({"tables": outcome.tables} if status == "published" else {})})
    summary = {"import_id": import_id, "kind": kind, "source": source}
    if target:
        summary["table"] = target
    summary.update(rows_read=outcome.rows_read, **outcome.totals())
    if len(outcome.tables) > 1 or not target:
        summary["tables"] = outcome.tables
    summary.update(generation=outcome.generation, seconds=round(time.monotonic() - started, 2))
    _say(progress, f"done: {summary['rows_inserted']:,} inserted, {summary['rows_updated']:,} updated, "
                   f"{summary['rows_unchanged']:,} unchanged")
    return summary


def publish_checked(stg: Staging, outcome: Outcome, specs: list[TableSpec], progress: Progress) -> None:
    """After check_inputs: compute deltas, write, fill the outcome."""
    for spec in specs:
        _say(progress, f"comparing {spec.name} with the published data")
        outcome.tables[spec.name] = compute_delta(stg, spec)
    outcome.generation = write_deltas(stg, specs, progress)


def _staged_rows(stg: Staging, source: str) -> int:
    n = stg.con.execute("SELECT count(*) FROM src").fetchone()[0]
    if n == 0:
        raise DataError(f"{source}: no data rows (only a header)", problems=1)
    return n


def import_file(path, table: str, mapping: dict[str, str] | None = None, progress: Progress = None) -> dict:
    """Import a CSV (.csv/.csv.gz), Parquet or .xlsx file into one canonical table, all or nothing."""
    spec = validate.table_spec(table)
    label = Path(path).name

    def work(stg: Staging, outcome: Outcome) -> None:
        _say(progress, f"reading {label}")
        header, fmt = stage_file(stg, path)
        outcome.rows_read = _staged_rows(stg, label)
        _say(progress, f"read {outcome.rows_read:,} rows; checking")
        colmap = map_columns(stg, spec, header, mapping or {}, None if fmt == "parquet" else 1)
        check_inputs(stg, [(spec, "src", colmap)], label, ROW_NOTES[fmt], progress)
        publish_checked(stg, outcome, [spec], progress)

    return run_import("file", str(path), table, work, progress)


def import_sql(url: str, query: str, table: str, mapping: dict[str, str] | None = None,
               progress: Progress = None) -> dict:
    """Import the rows of a query on any SQLAlchemy URL into one canonical table, read in chunks."""
    import sqlalchemy as sa
    spec = validate.table_spec(table)
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError) as exc:
        raise UsageError(f"not a usable database URL ({type(exc).__name__}: {exc})")
    except ImportError as exc:
        raise UsageError(f"the database driver for this URL is not installed ({exc})")
    label = engine.url.render_as_string(hide_password=True)

    def work(stg: Staging, outcome: Outcome) -> None:
        _say(progress, f"querying {label}")
        chunk = config.setting("import_chunk_rows")
        try:
            with engine.connect() as c:
                result = c.execution_options(stream_results=True).exec_driver_sql(query)
                if not result.returns_rows:
                    raise DataError(f"{label}: the query returns no rows (is it a SELECT?)")
                header = [str(k) for k in result.keys()]

                def rows() -> Iterator[tuple[int, tuple]]:
                    line = 0
                    while batch := result.fetchmany(chunk):
                        for row in batch:
                            line += 1
                            yield line, tuple(row)
                        _say(progress, f"read {line:,} rows")
                stage_rows(stg, header, rows())
        except sa.exc.SQLAlchemyError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"{label}: the query failed ({first})") from None
        finally:
            engine.dispose()
        outcome.rows_read = _staged_rows(stg, "the query")
        colmap = map_columns(stg, spec, header, mapping or {}, None)
        check_inputs(stg, [(spec, "src", colmap)], "query", ROW_NOTES["sql"], progress)
        publish_checked(stg, outcome, [spec], progress)

    return run_import("sql", f"{label} :: {query}", table, work, progress)
