"""Import speed: validate + publish a generated performance CSV (default 1M rows) into a scratch workspace.

    python bench/bench_import.py [--rows 1000000] [--months 10]

Prints seconds for the borrowers/loans set-up, the first import, a re-import of the same file (nothing
changes), a rejected file (one bad row at the end) and an export of the table. Uses a temporary
LOANWATCH_HOME, never the developer's ./var.
"""
from __future__ import annotations

import argparse
import base64
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _write_files(root: Path, loans: int, months: int) -> tuple[Path, Path, Path, Path]:
    import duckdb
    con = duckdb.connect()
    b, ln, p, bad = (root / n for n in ("borrowers.csv", "loans.csv", "performance.csv", "bad.csv"))
    con.execute(f"COPY (SELECT 'B' || i AS borrower_id, 'retail' AS borrower_type FROM range({loans}) t(i)) "
                "TO ? (HEADER)", [str(b)])
    con.execute(f"COPY (SELECT 'L' || i AS loan_id, 'B' || i AS borrower_id, 'consumer' AS product, "
                f"DATE '2023-01-15' AS origination_date, 10000 AS principal FROM range({loans}) t(i)) "
                "TO ? (HEADER)", [str(ln)])
    perf = (f"SELECT 'L' || i AS loan_id, last_day(DATE '2023-01-01' + to_months(m)) AS as_of, "
            f"round(10000 - 100 * m - i % 97, 2) AS balance, (i * 7 + m) % 3 * 10 AS dpd, "
            f"CASE WHEN (i * 7 + m) % 3 = 0 THEN 'current' ELSE '1-30' END AS bucket "
            f"FROM range({loans}) t(i), range({months}) s(m)")
    con.execute(f"COPY ({perf}) TO ? (HEADER)", [str(p)])
    con.execute(f"COPY (SELECT * FROM ({perf}) UNION ALL SELECT 'L0', DATE '2030-01-31', 1, -5, 'current') "
                "TO ? (HEADER)", [str(bad)])
    return b, ln, p, bad


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=10)
    args = ap.parse_args()
    loans = args.rows // args.months
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ.update(LOANWATCH_HOME=str(root / "home"), LOANWATCH_SECRETS_FILE=str(root / "secrets.toml"),
                          LOANWATCH_SECRET_KEY=base64.urlsafe_b64encode(b"b" * 32).decode())
        from data.errors import DataError
        from data.export import export_table
        from data.importers import import_file
        b, ln, p, bad = _write_files(root, loans, args.months)
        t = time.perf_counter()
        import_file(b, "borrowers", {})
        import_file(ln, "loans", {})
        print(f"set-up: {loans:,} borrowers + {loans:,} loans imported in {time.perf_counter() - t:.1f} s")
        for label in ("first import", "re-import (unchanged)"):
            t = time.perf_counter()
            s = import_file(p, "performance", {})
            print(f"{label}: {s['rows_read']:,} rows in {time.perf_counter() - t:.1f} s "
                  f"(inserted {s['rows_inserted']:,}, unchanged {s['rows_unchanged']:,})")
        t = time.perf_counter()
        try:
            import_file(bad, "performance", {})
        except DataError as exc:
            print(f"rejected file ({exc.problems} problems) in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        n = export_table("performance", root / "out.csv")
        print(f"export of {n:,} rows to CSV in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
