"""Export: CSV/Parquet by extension, personal data masked unless revealed (audited), round trip through import."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from data import importers, pii, store, workflow
from data.errors import DataError, UsageError
from data.export import export_table
from tests.conftest import reset_caches



def _reset() -> None:
    reset_caches()


@pytest.fixture
def home(isolated_home):
    """This module's name for the per-test workspace of tests/conftest.py."""
    return isolated_home


PEOPLE = pd.DataFrame({
    "borrower_id": ["B2", "B1", "B3"], "borrower_type": ["retail", "retail", "business"],
    "name": ["李四", "Zhang San", None], "national_id": ["110101199003074578", "X1234", None],
    "phone": ["13812345678", "+86 139 0000 1111", None], "address": ["上海市浦东新区世纪大道100号", "1 Road", None],
    "birth_year": [1990, 1985, None]})


@pytest.fixture
def book(tmp_path):
    PEOPLE.to_csv(tmp_path / "people.csv", index=False)
    importers.import_file(tmp_path / "people.csv", "borrowers", {})
    (tmp_path / "loans.csv").write_text("loan_id,borrower_id,product,origination_date,principal,purpose\n"
                                        "L2,B2,consumer,2024-01-15,1000,\"=HYPERLINK(\"\"x\"\")\"\n"
                                        "L1,B1,consumer,2024-01-15,2000.5,car\n")
    importers.import_file(tmp_path / "loans.csv", "loans", {})
    (tmp_path / "perf.csv").write_text("loan_id,as_of,balance,dpd,bucket\nL2,2024-01-31,1000,0,current\n"
                                       "L1,2024-02-29,1900,35,31-60\nL1,2024-01-31,2000.5,0,current\n")
    importers.import_file(tmp_path / "perf.csv", "performance", {})
    return tmp_path


def _audit() -> list[tuple[str, str, dict]]:
    with workflow.engine().connect() as c:
        got = c.execute(sa.select(workflow.audit_log.c.action, workflow.audit_log.c.target,
                                  workflow.audit_log.c.details).order_by(workflow.audit_log.c.seq)).fetchall()
    return [(a, t, json.loads(d) if d else {}) for a, t, d in got if a.startswith("export")]


def test_performance_to_csv_and_parquet_sorted_by_key(book, tmp_path):
    assert export_table("performance", tmp_path / "p.csv") == 3
    text = (tmp_path / "p.csv").read_text().splitlines()
    assert text == ["loan_id,as_of,balance,dpd,bucket,amount_due,amount_paid,overdue_amount,credit_limit,restructured",
                    "L1,2024-01-31,2000.50,0,current,,,,,false", "L1,2024-02-29,1900.00,35,31-60,,,,,false",
                    "L2,2024-01-31,1000.00,0,current,,,,,false"]
    assert export_table("performance", tmp_path / "p.parquet") == 3
    df = pd.read_parquet(tmp_path / "p.parquet")
    assert list(df["loan_id"]) == ["L1", "L1", "L2"] and [float(x) for x in df["balance"]] == [2000.5, 1900, 1000]
    assert [d["rows"] for _, _, d in _audit()] == [3, 3]


def test_hostile_values_are_written_verbatim_and_reimport_unchanged(book, tmp_path):
    export_table("loans", tmp_path / "loans_out.csv")
    assert pd.read_csv(tmp_path / "loans_out.csv")["purpose"].tolist() == ["car", '=HYPERLINK("x")']
    s = importers.import_file(tmp_path / "loans_out.csv", "loans", {})
    assert (s["rows_unchanged"], s["rows_updated"], s["rows_inserted"]) == (2, 0, 0)


def test_borrowers_are_masked_unless_revealed(book, tmp_path):
    assert export_table("borrowers", tmp_path / "b.csv") == 3
    df = pd.read_csv(tmp_path / "b.csv", dtype=str, keep_default_na=False)
    assert list(df.columns) == ["borrower_id", "borrower_type", "name", "national_id", "phone", "address", "gender",
                                "birth_year", "education", "marital_status", "region", "city", "monthly_income",
                                "locale", "source"]
    assert df[["borrower_id", "name", "national_id", "phone", "address"]].values.tolist() == [
        ["B1", "Z********", "****", "861****1111", "1 Road****"],
        ["B2", "李*", "1101**********4578", "138****5678", "上海市浦东新****"],
        ["B3", "", "", "", ""]]
    raw = (tmp_path / "b.csv").read_bytes()
    for secret in ("13812345678", "110101199003074578", "Zhang San", "世纪大道"):
        assert secret.encode() not in raw
    assert [a for a, _, _ in _audit()] == ["export"]
    assert _audit()[0][2]["reveal"] is False


def test_reveal_writes_clear_values_and_is_audited(book, tmp_path):
    assert export_table("borrowers", tmp_path / "b.parquet", reveal=True) == 3
    df = pd.read_parquet(tmp_path / "b.parquet").astype(object)
    df = df.where(df.notna(), None)
    assert df[["borrower_id", "name", "phone"]].values.tolist() == [
        ["B1", "Zhang San", "+86 139 0000 1111"], ["B2", "李四", "13812345678"], ["B3", None, None]]
    assert "name_enc" not in df.columns and "national_id_hash" not in df.columns
    audit = _audit()
    assert [(a, t) for a, t, _ in audit] == [("export_reveal", "borrowers"), ("export", "borrowers")]
    assert audit[0][2]["out"] == str((tmp_path / "b.parquet").resolve()) and audit[1][2]["reveal"] is True
    assert workflow.verify_audit()[0]


def test_revealed_export_imports_back_into_a_fresh_workspace(book, tmp_path, monkeypatch):
    export_table("borrowers", tmp_path / "b.csv", reveal=True)
    s = importers.import_file(tmp_path / "b.csv", "borrowers", {})       # same workspace: nothing changes
    assert (s["rows_unchanged"], s["rows_updated"]) == (3, 0)
    monkeypatch.setenv("LOANWATCH_HOME", str(tmp_path / "other"))
    _reset()
    importers.import_file(tmp_path / "b.csv", "borrowers", {})
    got = store.reader().cursor().execute("SELECT borrower_id, name_enc, phone_enc, birth_year FROM borrowers "
                                          "ORDER BY 1").fetchall()
    assert [(b, *pii.decrypt_many([n, p]), y) for b, n, p, y in got] == [
        ("B1", "Zhang San", "+86 139 0000 1111", 1985), ("B2", "李四", "13812345678", 1990), ("B3", None, None, None)]


def test_borrowers_export_streams_in_chunks(book, tmp_path, monkeypatch):
    monkeypatch.setenv("LOANWATCH_IMPORT_CHUNK_ROWS", "1")
    assert export_table("borrowers", tmp_path / "b.csv") == 3
    assert len((tmp_path / "b.csv").read_text().splitlines()) == 4          # one header, even across chunks


def test_every_canonical_table_exports(book, tmp_path):
    for table in ("borrowers", "loans", "performance", "payments", "dispositions", "macro"):
        out = tmp_path / f"{table}.parquet"
        n = export_table(table, out)
        assert len(pd.read_parquet(out)) == n


def test_usage_and_data_errors(book, tmp_path, monkeypatch):
    with pytest.raises(UsageError, match="must end in .csv or .parquet"):
        export_table("loans", tmp_path / "x.xlsx")
    with pytest.raises(UsageError, match="unknown table 'lones'; valid tables: borrowers, loans"):
        export_table("lones", tmp_path / "x.csv")
    with pytest.raises(DataError, match="does not exist"):
        export_table("loans", tmp_path / "no" / "x.csv")
    quoted = tmp_path / "it's; DROP TABLE loans.csv"
    assert export_table("loans", quoted) == 2 and quoted.exists()
    assert not list(tmp_path.glob(".*partial"))
    monkeypatch.setenv("LOANWATCH_HOME", str(tmp_path / "empty"))
    _reset()
    with pytest.raises(DataError, match="no data has been published yet"):
        export_table("loans", tmp_path / "y.csv")
