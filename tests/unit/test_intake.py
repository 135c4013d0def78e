"""The Data page's core: uploads kept outside LOANWATCH_HOME and removed, source columns, dry-run checks, progress."""
from __future__ import annotations

import sqlite3
import tempfile

import pandas as pd
import pytest

from data import importers, intake, store, workflow
from data.errors import DataError, UsageError

HEADER = "loan_id,as_of,balance,dpd,bucket\n"


@pytest.fixture
def loans(isolated_home, tmp_path):
    (tmp_path / "b.csv").write_text("borrower_id,borrower_type\nB1,retail\n")
    (tmp_path / "l.csv").write_text("loan_id,borrower_id,product,origination_date,principal\n"
                                    "L1,B1,consumer,2024-01-15,1000\n")
    importers.import_file(tmp_path / "b.csv", "borrowers")
    importers.import_file(tmp_path / "l.csv", "loans")
    return isolated_home


def test_upload_lives_outside_home_privately_and_is_removed(isolated_home, monkeypatch, tmp_path):
    with intake.staged_upload("../../people.csv", b"borrower_id,phone\nB1,13812345678\n") as path:
        assert path.name == "people.csv" and path.read_bytes().startswith(b"borrower_id")
        assert isolated_home.resolve() not in path.resolve().parents
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        folder = path.parent
    assert not folder.exists()
    monkeypatch.setenv("TMPDIR", str(isolated_home / "tmp"))       # a temp dir inside the workspace is avoided
    (isolated_home / "tmp").mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", None)
    with pytest.raises(RuntimeError):
        with intake.staged_upload("x.csv", b"1") as path:
            assert isolated_home.resolve() not in path.resolve().parents
            raise RuntimeError("the import failed")
    assert not path.parent.exists()


def test_columns_of_csv_parquet_xlsx_and_a_query(isolated_home, tmp_path):
    df = pd.DataFrame({"Loan_ID": ["L1"], "as_of": ["2024-01-31"], "Balance": [1.5]})
    df.to_csv(tmp_path / "p.csv", index=False)
    df.to_parquet(tmp_path / "p.parquet")
    df.to_excel(tmp_path / "p.xlsx", index=False)
    for name in ("p.csv", "p.parquet", "p.xlsx"):
        assert intake.file_columns(tmp_path / name) == ["Loan_ID", "as_of", "Balance"]
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match="not a valid Parquet file"):
        intake.file_columns(tmp_path / "bad.parquet")
    (tmp_path / "p.json").write_text("{}")
    with pytest.raises(DataError, match="unsupported file type"):
        intake.file_columns(tmp_path / "p.json")
    db = tmp_path / "src.sqlite"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE m (month TEXT, idx REAL)")
        c.execute("INSERT INTO m VALUES ('2024-01-31', 101.5)")
    assert intake.query_columns(f"sqlite:///{db}", "SELECT month AS as_of, idx FROM m") == ["as_of", "idx"]
    with pytest.raises(DataError, match="the query failed"):
        intake.query_columns(f"sqlite:///{db}", "SELECT * FROM nope")
    with pytest.raises(UsageError, match="not a usable database URL"):
        intake.query_columns("nonsense", "SELECT 1")


def test_default_mapping_and_renames():
    mapping = intake.default_mapping(["Loan_ID", "as_of", "Balance", "days_late", "phone"], "performance")
    assert mapping == {"Loan_ID": "loan_id", "as_of": "as_of", "Balance": "balance", "days_late": None,
                       "phone": None}
    mapping["days_late"] = "dpd"
    assert intake.renames(mapping) == {"days_late": "dpd"}
    assert "phone" in intake.table_columns("borrowers") and "phone_enc" not in intake.table_columns("borrowers")
    assert intake.tables()[:2] == ["borrowers", "loans"] and "performance" in intake.tables()


def test_check_file_reports_problems_as_rows_and_writes_nothing(loans, tmp_path):
    (tmp_path / "p.csv").write_text("Loan,as_of,balance,days_late,bucket\nL1,2024-01-31,abc,0,current\n"
                                    "L9,2024-02-29,5,0,current\n")
    before, history = store.current_path(), workflow.import_history()
    bad = intake.check_file(tmp_path / "p.csv", "performance", {"Loan": "loan_id"})
    assert not bad.ok and bad.rows_read == 2
    rows = [(p["row"], p["column"], p["problem"]) for p in bad.problems]
    assert (1, "days_late", "unknown column of performance (rename it with --map SRC:DST or remove it)") in rows
    assert (1, "dpd", "required column missing") in rows
    assert (2, "balance", "not a number") in rows
    assert (3, "loan_id", "not found in loans (neither in this import nor in the published data)") in rows
    assert bad.problems_total == len(bad.problems) == 4
    good = intake.check_file(tmp_path / "p.csv", "performance", {"Loan": "loan_id", "days_late": "dpd"})
    assert [(p["row"], p["column"]) for p in good.problems] == [(2, "balance"), (3, "loan_id")]
    (tmp_path / "ok.csv").write_text(HEADER + "L1,2024-01-31,1000,0,current\n")
    assert intake.check_file(tmp_path / "ok.csv", "performance").ok
    assert store.current_path() == before and workflow.import_history() == history


def test_check_query(loans, tmp_path):
    db = tmp_path / "src.sqlite"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE p (loan TEXT, as_of TEXT, balance TEXT, dpd INT, bucket TEXT)")
        c.executemany("INSERT INTO p VALUES (?, ?, ?, ?, ?)", [("L1", "2024-01-31", "10", 0, "current"),
                                                              ("L1", "2024-02-29", "10", 40, "current")])
    result = intake.check_query(f"sqlite:///{db}", "SELECT * FROM p", "performance", {"loan": "loan_id"})
    assert result.rows_read == 2 and [p["row"] for p in result.problems] == [2]
    assert "bucket" in (result.problems[0]["column"] or "") + result.problems[0]["problem"]


def test_check_limits_the_listed_problems(loans, tmp_path, monkeypatch):
    monkeypatch.setenv("LOANWATCH_PROBLEM_REPORT_ROWS", "3")
    ends = pd.date_range("2024-01-31", periods=10, freq="ME").strftime("%Y-%m-%d")
    (tmp_path / "p.csv").write_text(HEADER + "".join(f"L1,{d},x{i},0,current\n" for i, d in enumerate(ends)))
    result = intake.check_file(tmp_path / "p.csv", "performance")
    assert (len(result.problems), result.problems_total) == (3, 10)          # ten bad balances, three listed


def test_progress_fraction_follows_the_importer():
    steps, done = [], 0.0
    for message in ("reading p.csv", "read 2 rows; checking", "checking types of performance",
                    "checking rules, keys and references", "comparing performance with the published data",
                    "writing 2 new and 0 changed rows to performance", "something else",
                    "checking data contracts of the new generation", "done: 2 inserted, 0 updated, 0 unchanged"):
        done = intake.progress_fraction(message, done)
        steps.append(done)
    assert steps == [0.05, 0.25, 0.35, 0.5, 0.6, 0.75, 0.75, 0.9, 1.0]
    assert intake.progress_fraction("reading again", 0.6) == 0.6            # never backwards
