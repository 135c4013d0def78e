"""No phone number or national ID in plain text anywhere under LOANWATCH_HOME: files, database contents, backups.

A small demo build, an import of a borrowers file with plain personal data (and a rejected one), an export with
--reveal to a folder outside the workspace, an officer's reveal on the borrower view and a backup; then every
byte under LOANWATCH_HOME is searched (UTF-8), every text value of every DuckDB and SQLite database is read back,
and every member of every backup archive is unpacked and searched too.
"""
from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from data import backup, importers, people, pii, store
from data.demo import build_demo
from data.errors import DataError
from tests.conftest import REPO, reset_caches

RUN = re.compile(rb"[0-9A-Z]{11,}")          # phone numbers, ID card numbers and credit codes are runs like these


class Needles:
    """The plain values to look for, matched inside any run of digits and capitals."""

    def __init__(self, values):
        self.values = {v.upper() for v in values if v}
        self.lengths = sorted({len(v) for v in self.values})

    def found_in(self, blob: bytes) -> set[str]:
        hits = set()
        for m in RUN.finditer(blob.upper()):
            run = m.group().decode()
            for n in self.lengths:
                hits.update(run[i:i + n] for i in range(len(run) - n + 1) if run[i:i + n] in self.values)
        return hits


def _duckdb_text(path: Path) -> bytes:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE data_type = 'VARCHAR' "
                           "AND schema_name = 'main'").fetchall()
        out = []
        for table, column in cols:
            out += [v for (v,) in con.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')
                    .fetchall()]
        return "\n".join(out).encode()
    finally:
        con.close()


def _sqlite_text(path: Path) -> bytes:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out = []
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for row in con.execute(f'SELECT * FROM "{table}"'):
                out += [str(v) for v in row if v is not None]
        return "\n".join(out).encode()
    finally:
        con.close()


def _contents(path: Path) -> list[tuple[str, bytes]]:
    """(what, bytes) to search for one file: its raw bytes, and what a database or an archive holds."""
    raw = path.read_bytes()
    found = [(str(path), raw)]
    if raw.startswith(b"SQLite format 3"):
        found.append((f"{path} (rows)", _sqlite_text(path)))
    elif path.suffix == ".duckdb" and raw[8:12] == b"DUCK":
        found.append((f"{path} (rows)", _duckdb_text(path)))
    elif path.name.endswith(".tar.gz"):
        with tarfile.open(path, "r:gz") as tar:
            for m in tar.getmembers():
                blob = tar.extractfile(m).read()
                found.append((f"{path}!{m.name}", blob))
                tmp = path.parent / f".scan-{os.getpid()}-{Path(m.name).name}"
                if m.name.endswith((".duckdb", ".sqlite")):
                    tmp.write_bytes(blob)
                    try:
                        found.append((f"{path}!{m.name} (rows)",
                                      _duckdb_text(tmp) if m.name.endswith(".duckdb") else _sqlite_text(tmp)))
                    finally:
                        tmp.unlink()
    return found


def _leaks(home: Path, needles: Needles) -> dict[str, set[str]]:
    leaks = {}
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        for what, blob in _contents(path):
            if hits := needles.found_in(blob):
                leaks[what] = hits
    return leaks


def _borrowers_file(path: Path, n: int = 40) -> pd.DataFrame:
    """Borrowers with plain personal data, as a bank would send them (ID numbers with a final X included)."""
    df = pd.DataFrame({
        "borrower_id": [f"IMP{i:05d}" for i in range(n)], "borrower_type": "retail",
        "name": [f"导入客户{i}" for i in range(n)],
        "national_id": [f"44010619{80 + i % 20:02d}0{1 + i % 9}1{i % 10}{(i * 37) % 1000:03d}{'X' if i % 3 else i % 10}"
                        for i in range(n)],
        "phone": [f"1{58 + i % 2}{(i * 7919) % 10**8:08d}" for i in range(n)],
        "address": [f"广州市天河区体育西路{i}号" for i in range(n)]})
    df.to_csv(path, index=False)
    return df


def test_no_plain_phone_or_national_id_under_home(isolated_home, tmp_path):
    home = isolated_home
    build_demo(n_loans=300, months=6)
    reset_caches()
    con = store.reader().cursor()
    demo = con.execute("SELECT national_id_enc, phone_enc FROM borrowers").fetchall()
    plain_demo = [v for row in demo for v in pii.decrypt_many(row)]
    imported = _borrowers_file(tmp_path / "people.csv")
    importers.import_file(tmp_path / "people.csv", "borrowers")
    dup = pd.concat([imported.head(2), imported.head(1)])          # a rejected file must not leave them behind
    dup.to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(DataError):
        importers.import_file(tmp_path / "dup.csv", "borrowers")
    misplaced = imported[["borrower_id", "borrower_type"]].assign(birth_year=imported["national_id"])
    misplaced.to_csv(tmp_path / "misplaced.csv", index=False)     # IDs in a number column: quoted in the report
    with pytest.raises(DataError, match="birth_year: not a whole number: '4401"):
        importers.import_file(tmp_path / "misplaced.csv", "borrowers")
    needles = Needles(plain_demo + list(imported["national_id"]) + list(imported["phone"]))
    assert len(needles.values) > 300 + 80

    out = tmp_path / "outside" / "borrowers.csv"                   # an export in clear, outside the workspace
    out.parent.mkdir()
    env = {**os.environ, "LOANWATCH_ACTOR": "test"}
    proc = subprocess.run([sys.executable, "cli.py", "export", "borrowers", "--out", str(out), "--reveal"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert needles.found_in(out.read_bytes()) == needles.values    # the search does find them where they are
    assert not needles.found_in((proc.stdout + proc.stderr).encode())

    reset_caches()
    con = store.reader().cursor()
    loan, officer = con.execute("SELECT loan_id, officer FROM loans ORDER BY loan_id LIMIT 1").fetchone()
    who = people.Viewer("officer", ("credit_officer",), officer)
    view = people.borrower_view(con, loan, who)
    assert view.revealed and needles.found_in(view.personal["phone"].encode())
    people.audit_view(view, who, origin="web:10.0.0.5")
    backup.create_backup()                                         # under LOANWATCH_HOME/backups

    files = sorted(p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file())
    assert any(f.endswith(".duckdb") for f in files) and "workflow.sqlite" in files
    assert any(f.startswith("backups/") and f.endswith(".tar.gz") for f in files)
    assert _leaks(home, needles) == {}


def test_the_search_reads_inside_databases_and_backups(tmp_path):
    needles = Needles(["13812345678", "11010119850512002X"])
    d = tmp_path / "ws"
    d.mkdir()
    con = duckdb.connect(str(d / "x.duckdb"))
    con.execute("CREATE TABLE t (v VARCHAR)")
    con.execute("INSERT INTO t SELECT 'tel 13812345678 ok' FROM range(5000)")      # compressed on disk
    con.close()
    with sqlite3.connect(d / "w.sqlite") as c:
        c.execute("CREATE TABLE a (details TEXT)")
        c.execute("INSERT INTO a VALUES ('{\"id\": \"11010119850512002x\"}')")
    with tarfile.open(d / "b.tar.gz", "w:gz") as tar:
        blob = b"phone=13812345678"
        info = tarfile.TarInfo("inner.txt")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    leaks = _leaks(d, needles)
    assert leaks[f"{d / 'x.duckdb'} (rows)"] == {"13812345678"}
    assert leaks[f"{d / 'w.sqlite'} (rows)"] == {"11010119850512002X"}
    assert leaks[f"{d / 'b.tar.gz'}!inner.txt"] == {"13812345678"}
