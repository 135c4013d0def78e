"""Export a canonical table of the published store as CSV or Parquet (by the file's extension), streamed.

Borrowers are exported with plain `name, national_id, phone, address` columns in place of the tokens and the
blind index: decrypted and masked (pii.mask), or in clear with reveal=True, which is audited before anything
is written. Every export is audited. The file is written beside its destination under a temporary name and
renamed into place when complete, so a failed export never leaves a half-written file behind. Values are
written exactly as stored (a text starting with '=' stays as it is: open exports in a spreadsheet with care).
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

import config
from data import pii, store, validate, workflow
from data.errors import DataError, UsageError

FORMATS = {".csv": "csv", ".parquet": "parquet"}


def _format(out: Path) -> str:
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise UsageError(f"cannot export to {out.name!r}: the file name must end in .csv or .parquet")
    return fmt


def _cursor():
    try:
        return store.reader().cursor()
    except store.StoreError as exc:
        raise DataError(str(exc)) from None


def _copy(cur, table: str, order: str, tmp: Path, fmt: str) -> int:
    """Non-personal tables: DuckDB's own COPY, streamed and parallel."""
    options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"
    cur.execute(f"COPY (SELECT * FROM {table} ORDER BY {order}) TO ? ({options})", [str(tmp)])
    return cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _borrowers(cur, tmp: Path, fmt: str, reveal: bool) -> int:
    """Borrowers in chunks: tokens decrypted in memory, masked unless revealed, written as plain columns."""
    spec = validate.table_spec("borrowers")
    rest = [c for c in spec.column_names if c not in validate.COMPUTED_BORROWER_COLUMNS]
    out_cols = rest[:2] + list(pii.PII_FIELDS) + rest[2:]
    reader = cur.sql(f"SELECT {', '.join(rest)}, {', '.join(f + '_enc' for f in pii.PII_FIELDS)} "
                     f"FROM borrowers ORDER BY borrower_id").to_arrow_reader(config.setting("import_chunk_rows"))
    writer, rows = None, 0
    try:
        for batch in reader:
            arrays = {c: batch.column(c) for c in rest}
            for f in pii.PII_FIELDS:
                tokens = batch.column(f"{f}_enc").to_pylist()
                plain = pii.decrypt_many(tokens) if any(t is not None for t in tokens) else tokens
                arrays[f] = pa.array(plain if reveal else [pii.mask(f, v) for v in plain], pa.string())
            table = pa.table({c: arrays[c] for c in out_cols})
            if writer is None:
                writer = (pacsv.CSVWriter(str(tmp), table.schema) if fmt == "csv"
                          else pq.ParquetWriter(str(tmp), table.schema, compression="zstd"))
            writer.write_table(table)
            rows += table.num_rows
        if writer is None:                  # no borrowers: still write the header / schema
            empty = pa.table({c: pa.array([], pa.string()) for c in out_cols})
            (pacsv.write_csv(empty, str(tmp)) if fmt == "csv" else pq.write_table(empty, str(tmp)))
    finally:
        if writer is not None:
            writer.close()
    return rows


def export_table(table: str, out, reveal: bool = False) -> int:
    """Write `table` of the published store to `out` (.csv or .parquet); returns the number of rows.

    reveal=True writes borrowers' personal data in clear (audited as export_reveal); other tables hold no
    personal data, so it changes nothing for them."""
    spec = validate.table_spec(table)
    out = Path(out)
    fmt = _format(out)
    if not out.parent.exists():
        raise DataError(f"cannot export to {out}: folder {out.parent} does not exist")
    reveal = bool(reveal) and table == "borrowers"
    cur = _cursor()
    generation = store.reader().path.name if store.reader().path else None
    if reveal:
        workflow.audit("export_reveal", target=table, details={"out": str(out.resolve()), "generation": generation})
    tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        if table == "borrowers":
            rows = _borrowers(cur, tmp, fmt, reveal)
        else:
            rows = _copy(cur, table, ", ".join(spec.key), tmp, fmt)
        os.replace(tmp, out)
    except OSError as exc:
        raise DataError(f"cannot write {out}: {exc.strerror or exc}") from None
    except duckdb.IOException as exc:
        raise DataError(f"cannot write {out}: {str(exc).splitlines()[0]}") from None
    finally:
        tmp.unlink(missing_ok=True)
        cur.close()
    workflow.audit("export", target=table, details={"out": str(out.resolve()), "rows": rows, "format": fmt,
                                                    "reveal": reveal, "generation": generation})
    return rows
