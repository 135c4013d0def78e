"""Reading an import's input into a private in-memory DuckDB: CSV, Parquet, Excel or rows from a database.

The staging database's spill files go to a temporary folder outside LOANWATCH_HOME, removed afterwards, so
plain personal data never lands under the workspace. Every input becomes table src(_line, c0..cN) of text:
user-supplied column names never reach SQL, only these positional names do.
"""
from __future__ import annotations

import csv
import datetime as dt
import decimal
import gzip
import re
import shutil
import tempfile
import zlib
from pathlib import Path
from typing import Iterable, Iterator

import duckdb
import pyarrow as pa

import config
from data import store, validate
from data.errors import DataError

FORMATS = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}
ROW_NOTES = {
    "csv": "row = line number in the file counting the header as line 1, so the first data row is row 2 "
           "(blank lines and line breaks inside quoted values are not counted)",
    "xlsx": "row = the spreadsheet's row number (the header is row 1, the first data row is row 2)",
    "parquet": "row = position in the file (the first row is 1); '-' means the file as a whole",
    "sql": "row = position in the query result (the first row is 1); '-' means the result as a whole",
}


class Staging:
    """A private in-memory DuckDB holding one import while it is read and checked."""

    def __init__(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="loanwatch-import-")
        self.con = duckdb.connect(":memory:", config={"temp_directory": self.tmp})
        self.problems = validate.Problems(self.con)
        self.published = store.current_path() if store.has_data() else None
        if self.published is not None:
            self.con.execute("ATTACH ? AS pub (READ_ONLY)", [str(self.published)])
        else:                                   # nothing published yet: an empty schema to compare against
            self.con.execute("ATTACH ':memory:' AS pub")
            self.con.execute("USE pub")
            store.create_schema(self.con)
            self.con.execute("USE memory")

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> "Staging":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _internal(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def source_format(path: str | Path) -> str:
    """csv, parquet or xlsx from the file name; DataError for anything else."""
    name = Path(path).name.lower()
    for ext, fmt in FORMATS.items():
        if name.endswith(ext):
            return fmt
    if name.endswith(".xls"):
        raise DataError(f"{Path(path).name}: the old .xls format is not supported; save it as .xlsx or CSV")
    raise DataError(f"{Path(path).name}: unsupported file type; use .csv, .csv.gz, .parquet or .xlsx")


def check_path(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: file not found")
    if not p.is_file():
        raise DataError(f"{p}: not a file")
    if p.stat().st_size == 0:
        raise DataError(f"{p.name}: the file is empty")
    return p


def csv_header(p: Path) -> list[str]:
    opener = gzip.open if p.name.lower().endswith(".gz") else open
    try:
        with opener(p, "rt", encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as exc:
        raise DataError(f"{p.name}: not a readable gzip file ({exc})")
    except UnicodeDecodeError:
        raise DataError(f"{p.name}: not UTF-8 text (binary data or another encoding; save it as UTF-8 CSV)")
    except csv.Error as exc:
        raise DataError(f"{p.name}: not a readable CSV file ({exc})")
    if not header or all(not h.strip() for h in header):
        raise DataError(f"{p.name}: the file is empty (no header line)")
    return header


def _duckdb_read_error(name: str, exc: Exception) -> DataError:
    """One clear line out of a DuckDB reader error."""
    text = str(exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    first = lines[0] if lines else type(exc).__name__
    at = re.search(r"CSV Error on Line: (\d+)", text)
    if "GZIP stream" in text:
        return DataError(f"{name}: the gzip file is truncated or corrupt ({first})")
    if "Invalid unicode" in text or "not utf-8" in text.lower():
        return DataError(f"{name}: not UTF-8 text" + (f" at line {at.group(1)}" if at else "")
                         + " (another encoding; save it as UTF-8 CSV)")
    if at:
        detail = next((ln for ln in lines[1:] if not ln.startswith("Original Line")), first)
        return DataError(f"{name}: malformed CSV at line {at.group(1)}: {detail}")
    if "magic bytes" in text or "parquet" in text.lower():
        return DataError(f"{name}: not a valid Parquet file ({first})")
    return DataError(f"{name}: could not be read ({first})")


def stage_csv(stg: Staging, p: Path) -> list[str]:
    """Stage a CSV (or .csv.gz) as table src(_line, c0..cN) of text; returns the header as written."""
    header = csv_header(p)
    cols = _internal(len(header))
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + "}"
    try:
        stg.con.execute(
            f"CREATE TABLE src AS SELECT row_number() OVER () + 1 AS _line, * FROM read_csv(?, "
            f"columns={columns}, header=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
            f"strict_mode=true, null_padding=false)", [str(p)])
    except duckdb.Error as exc:
        raise _duckdb_read_error(p.name, exc) from None
    return header


def stage_parquet(stg: Staging, p: Path) -> list[str]:
    try:
        rel = stg.con.execute("SELECT * FROM read_parquet(?) LIMIT 0", [str(p)])
        header = [d[0] for d in rel.description]
        casts = ", ".join(f"CAST(#{i + 1} AS VARCHAR) AS c{i}" for i in range(len(header)))
        stg.con.execute(f"CREATE TABLE src AS SELECT file_row_number + 1 AS _line, {casts} "
                        f"FROM read_parquet(?, file_row_number=true)", [str(p)])
    except duckdb.Error as exc:
        raise _duckdb_read_error(p.name, exc) from None
    return header


def _text(value) -> str | None:
    """A cell or database value as the text the validator parses."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def stage_rows(stg: Staging, header: list[str], rows: Iterable[tuple[int, tuple]]) -> None:
    """Stage (line, values) rows as table src(_line, c0..cN) of text, one chunk at a time."""
    cols = _internal(len(header))
    schema = pa.schema([("_line", pa.int64())] + [(c, pa.string()) for c in cols])
    stg.con.execute("CREATE TABLE src (_line BIGINT, " + ", ".join(f"{c} VARCHAR" for c in cols) + ")")
    chunk = config.setting("import_chunk_rows")
    lines: list[int] = []
    values: list[list] = [[] for _ in cols]
    n = len(cols)

    def flush() -> None:
        batch = pa.table([pa.array(lines, pa.int64())] + [pa.array(v, pa.string()) for v in values], schema=schema)
        stg.con.register("lw_chunk", batch)
        stg.con.execute("INSERT INTO src SELECT * FROM lw_chunk")
        stg.con.unregister("lw_chunk")
        lines.clear()
        for v in values:
            v.clear()

    for line, row in rows:
        lines.append(line)
        for i in range(n):
            values[i].append(_text(row[i]) if i < len(row) else None)
        if len(lines) >= chunk:
            flush()
    if lines:
        flush()


def stage_xlsx(stg: Staging, p: Path) -> list[str]:
    """Stage the first worksheet; fully empty rows are skipped."""
    import zipfile
    from openpyxl import load_workbook
    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DataError(f"{p.name}: not a valid .xlsx workbook ({type(exc).__name__})")
    except Exception as exc:                 # openpyxl's own InvalidFileException and friends
        raise DataError(f"{p.name}: not a valid .xlsx workbook ({exc})")
    try:
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        first = next(it, None)
        if first is None or all(v is None for v in first):
            raise DataError(f"{p.name}: the first worksheet is empty (no header row)")
        header = ["" if v is None else str(v) for v in first]
        while header and not header[-1]:
            header.pop()
        width = len(header)

        def rows() -> Iterator[tuple[int, tuple]]:
            for line, row in enumerate(it, start=2):
                row = tuple(row[:width])
                if any(v is not None and v != "" for v in row):
                    yield line, row
        stage_rows(stg, header, rows())
    finally:
        wb.close()
    return header


def stage_file(stg: Staging, path) -> tuple[list[str], str]:
    """Stage a file by its extension; returns (header as written, format)."""
    p = check_path(path)
    fmt = source_format(p)
    header = {"csv": stage_csv, "parquet": stage_parquet, "xlsx": stage_xlsx}[fmt](stg, p)
    return header, fmt
