"""What the Data page needs before an import: the upload in a private temp folder, the source's columns, and a
dry run that returns the problems as rows (no Streamlit here).

An uploaded file may carry plain personal data (a borrowers file), so it is written to a fresh folder of the
system's temporary directory, never under LOANWATCH_HOME, readable by this user only, and removed when the
import ends (also when it fails).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import config
from data import importers, validate
from data.errors import DataError, UsageError
from data.staging import Staging, check_path, csv_header, source_format, stage_file, stage_rows

PROBLEM_COLUMNS = ("row", "column", "problem", "value")


def _outside_home() -> str:
    """A temp folder root that is not inside LOANWATCH_HOME (falls back to /tmp if TMPDIR points there)."""
    home = config.home().resolve()
    for root in (tempfile.gettempdir(), "/tmp", "/var/tmp"):
        r = Path(root).resolve()
        if r.is_dir() and home not in (r, *r.parents):
            return str(r)
    raise DataError("no temporary folder outside LOANWATCH_HOME to receive the upload")


@contextmanager
def staged_upload(name: str, data: bytes) -> Iterator[Path]:
    """The uploaded bytes as a file named like the upload, in a private folder removed afterwards."""
    safe = Path(name or "upload").name.replace(os.sep, "_") or "upload"
    folder = tempfile.mkdtemp(prefix="loanwatch-upload-", dir=_outside_home())
    try:
        path = Path(folder) / safe
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def table_columns(table: str) -> list[str]:
    """The columns an input for `table` may carry (plain personal data for borrowers, not its tokens)."""
    return [c.name for c in validate.table_spec(table).input_columns()]


def file_columns(path) -> list[str]:
    """The header of a CSV, Parquet or .xlsx file, as written."""
    p = check_path(path)
    fmt = source_format(p)
    if fmt == "csv":
        return csv_header(p)
    if fmt == "parquet":
        import pyarrow.parquet as pq
        try:
            return list(pq.read_schema(p).names)
        except Exception as exc:                   # pyarrow's own ArrowInvalid and friends
            raise DataError(f"{p.name}: not a valid Parquet file ({exc})") from None
    from openpyxl import load_workbook
    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:
        raise DataError(f"{p.name}: not a valid .xlsx workbook ({type(exc).__name__})") from None
    try:
        first = next(wb.worksheets[0].iter_rows(values_only=True, max_row=1), None)
    finally:
        wb.close()
    header = ["" if v is None else str(v) for v in (first or ())]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise DataError(f"{p.name}: the first worksheet is empty (no header row)")
    return header


def _engine(url: str):
    import sqlalchemy as sa
    try:
        return sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError) as exc:
        raise UsageError(f"not a usable database URL ({type(exc).__name__}: {exc})") from None
    except ImportError as exc:
        raise UsageError(f"the database driver for this URL is not installed ({exc})") from None


@contextmanager
def _query(url: str, query: str):
    """(header, streaming result) of a query on any SQLAlchemy URL; DataError with one line when it fails."""
    import sqlalchemy as sa
    engine = _engine(url)
    try:
        with engine.connect() as c:
            result = c.execution_options(stream_results=True).exec_driver_sql(query)
            if not result.returns_rows:
                raise DataError("the query returns no rows (is it a SELECT?)")
            yield [str(k) for k in result.keys()], result
    except sa.exc.SQLAlchemyError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"the query failed ({first})") from None
    finally:
        engine.dispose()


def query_columns(url: str, query: str) -> list[str]:
    """The column names a query returns (no row is read)."""
    with _query(url, query) as (header, _result):
        return header


def default_mapping(columns: list[str], table: str) -> dict[str, str | None]:
    """source column -> canonical column of the same name (case-insensitive), else None (left as it is)."""
    wanted = set(table_columns(table))
    return {c: c.strip().lower() if c.strip().lower() in wanted else None for c in columns}


def renames(mapping: dict[str, str | None]) -> dict[str, str]:
    """The --map pairs the importers take: only columns given a different name."""
    return {src: dst for src, dst in mapping.items() if dst and dst != src.strip().lower()}


@dataclass(frozen=True)
class CheckResult:
    rows_read: int
    problems_total: int
    problems: list[dict]                         # the first problem_report_rows, as PROBLEM_COLUMNS

    @property
    def ok(self) -> bool:
        return self.problems_total == 0


def _check(stg: Staging, table: str, header: list[str], mapping: dict[str, str],
           header_line: int | None) -> CheckResult:
    spec = validate.table_spec(table)
    rows = stg.con.execute("SELECT count(*) FROM src").fetchone()[0]
    if rows == 0:
        raise DataError("no data rows (only a header)")
    colmap = importers.map_columns(stg, spec, header, mapping, header_line)
    validate.build_typed(stg.con, stg.problems, spec, "src", colmap)
    validate.check_batch(stg.con, stg.problems, [spec], "pub")
    found = [dict(zip(PROBLEM_COLUMNS, (line, col, text, value)))
             for _t, line, col, text, value in stg.problems.first(config.setting("problem_report_rows"))]
    return CheckResult(rows, stg.problems.count(), found)


def check_file(path, table: str, mapping: dict[str, str] | None = None) -> CheckResult:
    """Validate a file for `table` exactly as an import would, without writing or recording anything."""
    with Staging() as stg:
        header, fmt = stage_file(stg, path)
        return _check(stg, table, header, mapping or {}, None if fmt == "parquet" else 1)


def check_query(url: str, query: str, table: str, mapping: dict[str, str] | None = None) -> CheckResult:
    """Validate a query's rows for `table` without writing or recording anything."""
    chunk = config.setting("import_chunk_rows")
    with _query(url, query) as (header, result), Staging() as stg:
        def rows():
            line = 0
            while batch := result.fetchmany(chunk):
                for row in batch:
                    line += 1
                    yield line, tuple(row)
        stage_rows(stg, header, rows())
        return _check(stg, table, header, mapping or {}, None)


# How far an import is when the importer says this (its progress messages, in order); the Data page's bar.
_STAGES = (("reading", 0.05), ("querying", 0.05), ("read ", 0.25), ("checking types", 0.35),
           ("checking rules", 0.5), ("comparing", 0.6), ("writing", 0.75), ("checking data contracts", 0.9),
           ("nothing changed", 1.0), ("done", 1.0))


def progress_fraction(message: str, previous: float = 0.0) -> float:
    """The share of an import done when the importer reports `message` (never going backwards)."""
    for prefix, share in _STAGES:
        if message.startswith(prefix):
            return max(previous, share)
    return previous


def tables() -> list[str]:
    """The canonical tables an import can target, parents first."""
    from data import contracts
    return validate.parent_first(list(contracts.KEYS))
