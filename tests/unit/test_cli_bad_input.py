"""`python cli.py import/export` on bad input: exit 2 (usage) or 1 (data), one clear line, no traceback,
and the published store left exactly as it was."""
from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

from data import importers, store, workflow
from tests.conftest import reset_caches

REPO = Path(__file__).resolve().parents[2]
HEADER = "loan_id,as_of,balance,dpd,bucket\n"


def _reset() -> None:
    reset_caches()


@pytest.fixture
def home(isolated_home):
    """This module's name for the per-test workspace of tests/conftest.py."""
    return isolated_home


@pytest.fixture
def published(tmp_path):
    """A small published store: one borrower, one loan, one month-end."""
    (tmp_path / "b.csv").write_text("borrower_id,borrower_type\nB1,retail\n")
    (tmp_path / "l.csv").write_text("loan_id,borrower_id,product,origination_date,principal\n"
                                    "L1,B1,consumer,2024-01-15,1000\n")
    (tmp_path / "p.csv").write_text(HEADER + "L1,2024-01-31,1000,0,current\n")
    for name, table in (("b.csv", "borrowers"), ("l.csv", "loans"), ("p.csv", "performance")):
        importers.import_file(tmp_path / name, table, {})
    _reset()
    return store.current_path()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", *args], cwd=REPO, env=os.environ.copy(), capture_output=True,
                          text=True, timeout=300)


def _write(d: Path, name: str, data: str | bytes) -> str:
    p = d / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(p)


def _truncated_gzip(d: Path) -> str:
    blob = gzip.compress((HEADER + "L1,2024-01-31,1000,0,current\n" * 30000).encode())
    return _write(d, "t.csv.gz", blob[: len(blob) // 3])


# (name, how to build the arguments from tmp_path, expected exit code, text the error line must contain)
CASES = [
    ("missing file", lambda d: ["import", "file", str(d / "nope.csv"), "--table", "performance"], 1,
     "nope.csv: file not found"),
    ("wrong extension", lambda d: ["import", "file", _write(d, "p.json", "{}"), "--table", "performance"], 1,
     "p.json: unsupported file type; use .csv, .csv.gz, .parquet or .xlsx"),
    ("truncated gzip", lambda d: ["import", "file", _truncated_gzip(d), "--table", "performance"], 1,
     "t.csv.gz: the gzip file is truncated or corrupt"),
    ("binary garbage", lambda d: ["import", "file", _write(d, "g.csv", os.urandom(5000) + b"\xff\xfe"),
                                  "--table", "performance"], 1, "g.csv: not UTF-8 text"),
    ("empty file", lambda d: ["import", "file", _write(d, "e.csv", ""), "--table", "performance"], 1,
     "e.csv: the file is empty"),
    ("header only", lambda d: ["import", "file", _write(d, "h.csv", HEADER), "--table", "performance"], 1,
     "h.csv: no data rows (only a header)"),
    ("missing columns", lambda d: ["import", "file", _write(d, "m.csv", "loan_id,as_of\nL1,2024-02-29\n"),
                                   "--table", "performance"], 1,
     "m.csv: rejected, 3 problems (first: row 1, balance: required column missing)"),
    ("text in numeric", lambda d: ["import", "file", _write(d, "n.csv", HEADER + "L1,2024-02-29,lots,0,current\n"),
                                   "--table", "performance"], 1,
     "n.csv: rejected, 1 problem (first: row 2, balance: not a number: 'lots')"),
    ("duplicate keys", lambda d: ["import", "file", _write(d, "d.csv", HEADER + "L1,2024-02-29,1,0,current\n" * 2),
                                  "--table", "performance"], 1,
     "d.csv: rejected, 1 problem (first: row 3, loan_id, as_of: duplicate key (first seen on row 2)"),
    ("orphan", lambda d: ["import", "file", _write(d, "o.csv", HEADER + "L9,2024-02-29,1,0,current\n"),
                          "--table", "performance"], 1, "row 2, loan_id: not found in loans"),
    ("unknown table", lambda d: ["import", "file", _write(d, "u.csv", HEADER), "--table", "loanz"], 2,
     "unknown table 'loanz'; valid tables: borrowers, loans, schedules"),
    ("bad --map", lambda d: ["import", "file", _write(d, "u.csv", HEADER), "--table", "performance",
                             "--map", "nocolon"], 2, "--map expects SRC:DST, got 'nocolon'"),
    ("bad sql url", lambda d: ["import", "sql", "not a url", "--query", "SELECT 1", "--table", "macro"], 2,
     "not a usable database URL"),
    ("sql query fails", lambda d: ["import", "sql", f"sqlite:///{d / 'x.sqlite'}", "--query", "SELECT * FROM nope",
                                   "--table", "macro"], 1, "the query failed"),
    ("taiwan wrong file", lambda d: ["import", "taiwan", _write(d, "tw.csv", HEADER + "L1,2024-02-29,1,0,current\n")],
     1, "tw.csv: rejected, 25 problems (first: row 1, AGE: required column missing)"),
    ("lendingclub wrong file", lambda d: ["import", "lendingclub", _write(d, "lc.csv", "a,b\n1,2\n")], 1,
     "lc.csv: not a LendingClub file this adapter knows"),
    ("export extension", lambda d: ["export", "loans", "--out", str(d / "x.xlsx")], 2,
     "cannot export to 'x.xlsx': the file name must end in .csv or .parquet"),
    ("export unknown table", lambda d: ["export", "lones", "--out", str(d / "x.csv")], 2, "unknown table 'lones'"),
    ("export missing folder", lambda d: ["export", "loans", "--out", str(d / "no" / "x.csv")], 1, "does not exist"),
]


@pytest.mark.parametrize("name,make,code,text", CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_cleanly_and_publishes_nothing(published, tmp_path, name, make, code, text):
    before = sorted(p.name for p in store.store_dir().iterdir())
    proc = cli(*make(tmp_path))
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert text in errors[0], errors[0]
    assert proc.stdout == ""
    _reset()
    assert store.current_path() == published
    assert sorted(p.name for p in store.store_dir().iterdir()) == before


def test_rejected_file_prints_the_report_after_the_error_line(published, tmp_path):
    f = _write(tmp_path, "bad.csv", HEADER + "L1,2024-02-29,x,0,current\nL1,2024-03-31,1,-4,current\n")
    proc = cli("import", "file", f, "--table", "performance")
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("error:"))
    assert lines[start + 1] == "Import of bad.csv rejected: 2 problems; nothing was written."
    assert [ln.split()[:3] for ln in lines[start + 5:]] == [["bad.csv", "2", "balance"], ["bad.csv", "3", "dpd"]]


def test_good_import_and_export_through_the_cli(published, tmp_path):
    f = _write(tmp_path, "ok.csv", HEADER + "L1,2024-02-29,900,0,current\n")
    proc = cli("import", "file", f, "--table", "performance")
    assert proc.returncode == 0, proc.stderr
    assert '"rows_inserted": 1' in proc.stdout
    proc = cli("export", "performance", "--out", str(tmp_path / "out.csv"))
    assert proc.returncode == 0 and "wrote 2 rows of performance" in proc.stderr
