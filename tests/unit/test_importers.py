"""Importers: validation before anything is written (rows, columns, problems pinned), upsert, PII at rest."""
from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from data import importers, pii, store, workflow
from data.errors import DataError, UsageError
from tests.conftest import reset_caches

REPO = Path(__file__).resolve().parents[2]


def _reset() -> None:
    reset_caches()


@pytest.fixture
def home(isolated_home):
    """This module's name for the per-test workspace of tests/conftest.py."""
    return isolated_home


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip())
    return path


BORROWERS = """\
    borrower_id,borrower_type,birth_year
    B1,retail,1980
    B2,business,
    """
LOANS = """\
    loan_id,borrower_id,product,origination_date,principal,annual_rate
    L1,B1,consumer,2024-01-15,10000,0.12
    L2,B2,sme,2024-02-03,50000,
    """
PERFORMANCE = """\
    loan_id,as_of,balance,dpd,bucket
    L1,2024-01-31,10000,0,current
    L1,2024-02-29,9500.5,12,1-30
    L2,2024-02-29,50000,0,current
    """


@pytest.fixture
def book(tmp_path):
    """Borrowers, loans and performance imported from three small CSV files."""
    for name, text, table in (("b.csv", BORROWERS, "borrowers"), ("l.csv", LOANS, "loans"),
                              ("p.csv", PERFORMANCE, "performance")):
        importers.import_file(write(tmp_path / name, text), table, {})
    return tmp_path


def rows(sql: str, params=None) -> list[tuple]:
    return store.reader().cursor().execute(sql, params or []).fetchall()


# ------------------------------------------------------------------------------------------------ happy path
def test_import_writes_typed_rows_and_reports_counts(tmp_path):
    s = importers.import_file(write(tmp_path / "b.csv", BORROWERS), "borrowers", {})
    assert {k: s[k] for k in ("table", "rows_read", "rows_inserted", "rows_updated", "rows_unchanged")} == \
        {"table": "borrowers", "rows_read": 2, "rows_inserted": 2, "rows_updated": 0, "rows_unchanged": 0}
    assert s["generation"] == store.current_path().name
    importers.import_file(write(tmp_path / "l.csv", LOANS), "loans", {})
    importers.import_file(write(tmp_path / "p.csv", PERFORMANCE), "performance", {})
    assert rows("SELECT loan_id, as_of::VARCHAR, balance::VARCHAR, dpd, bucket, restructured FROM performance "
                "ORDER BY ALL") == [("L1", "2024-01-31", "10000.00", 0, "current", False),
                                    ("L1", "2024-02-29", "9500.50", 12, "1-30", False),
                                    ("L2", "2024-02-29", "50000.00", 0, "current", False)]
    # defaults from the schema fill absent columns; blanks are NULL
    assert rows("SELECT loan_id, product_type, currency, source, annual_rate FROM loans ORDER BY 1") == \
        [("L1", "instalment", "CNY", "import", 0.12), ("L2", "instalment", "CNY", "import", None)]


def test_reimporting_the_same_file_changes_nothing(book):
    before = store.current_path()
    s = importers.import_file(book / "p.csv", "performance", {})
    assert (s["rows_read"], s["rows_inserted"], s["rows_updated"], s["rows_unchanged"]) == (3, 0, 0, 3)
    assert store.current_path() == before and s["generation"] == before.name
    s = importers.import_file(book / "b.csv", "borrowers", {})
    assert (s["rows_inserted"], s["rows_updated"], s["rows_unchanged"]) == (0, 0, 2)
    assert store.current_path() == before


def test_changed_and_new_rows_are_upserted_by_key(book, tmp_path):
    f = write(tmp_path / "p2.csv", """\
        loan_id,as_of,balance,dpd,bucket
        L1,2024-02-29,9400,12,1-30
        L2,2024-02-29,50000,0,current
        L2,2024-03-31,49000,0,current
        """)
    s = importers.import_file(f, "performance", {})
    assert (s["rows_inserted"], s["rows_updated"], s["rows_unchanged"]) == (1, 1, 1)
    assert rows("SELECT loan_id, as_of::VARCHAR, balance::DOUBLE FROM performance ORDER BY ALL") == [
        ("L1", "2024-01-31", 10000.0), ("L1", "2024-02-29", 9400.0), ("L2", "2024-02-29", 50000.0),
        ("L2", "2024-03-31", 49000.0)]


def test_column_mapping_and_case_insensitive_headers(book, tmp_path):
    f = write(tmp_path / "m.csv", """\
        Account,AS_OF,Outstanding,DPD,Bucket
        L2,2024-03-31,48000,0,current
        """)
    s = importers.import_file(f, "performance", {"Account": "loan_id", "outstanding": "balance"})
    assert s["rows_inserted"] == 1
    assert rows("SELECT balance::DOUBLE FROM performance WHERE as_of = DATE '2024-03-31'") == [(48000.0,)]


def test_parquet_and_excel_files(book, tmp_path):
    df = pd.DataFrame({"loan_id": ["L2", "L2"], "as_of": pd.to_datetime(["2024-03-31", "2024-04-30"]),
                       "balance": [49000.0, 48000.0], "dpd": [0, 5], "bucket": ["current", "1-30"]})
    df.to_parquet(tmp_path / "p.parquet")
    assert importers.import_file(tmp_path / "p.parquet", "performance", {})["rows_inserted"] == 2
    df.assign(balance=[47000.0, 46000.0]).to_excel(tmp_path / "p.xlsx", index=False)
    s = importers.import_file(tmp_path / "p.xlsx", "performance", {})
    assert (s["rows_updated"], s["rows_inserted"]) == (2, 0)
    assert rows("SELECT balance::DOUBLE FROM performance WHERE loan_id = 'L2' ORDER BY as_of") == \
        [(50000.0,), (47000.0,), (46000.0,)]


def test_excel_problem_rows_are_spreadsheet_rows(book, tmp_path):
    pd.DataFrame({"loan_id": ["L2", "L2"], "as_of": ["2024-03-31", "2024-04-30"], "balance": [1, "lots"],
                  "dpd": [0, 0], "bucket": ["current", "current"]}).to_excel(tmp_path / "bad.xlsx", index=False)
    with pytest.raises(DataError) as e:
        importers.import_file(tmp_path / "bad.xlsx", "performance", {})
    assert e.value.problems == 1
    assert "row 3, balance: not a number: 'lots'" in str(e.value)


def test_import_sql_in_chunks(book, tmp_path, monkeypatch):
    monkeypatch.setenv("LOANWATCH_IMPORT_CHUNK_ROWS", "2")
    url = f"sqlite:///{tmp_path / 'src.sqlite'}"
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE perf (acct TEXT, month_end TEXT, bal REAL, days INTEGER, b TEXT)")
        c.exec_driver_sql("INSERT INTO perf VALUES ('L2','2024-03-31',49000,0,'current'),"
                          "('L2','2024-04-30',48000,0,'current'),('L2','2024-05-31',47000,40,'31-60'),"
                          "('L1','2024-03-31',9000.25,0,'current'),('L1','2024-04-30',8000,0,'current')")
    eng.dispose()
    mapping = {"acct": "loan_id", "month_end": "as_of", "bal": "balance", "days": "dpd", "b": "bucket"}
    s = importers.import_sql(url, "SELECT * FROM perf", "performance", mapping)
    assert (s["rows_read"], s["rows_inserted"]) == (5, 5)
    assert rows("SELECT count(*), sum(balance)::DOUBLE FROM performance WHERE as_of >= DATE '2024-03-31'") == \
        [(5, 161000.25)]
    with pytest.raises(DataError, match="the query failed"):
        importers.import_sql(url, "SELECT * FROM no_such_table", "performance", mapping)
    with pytest.raises(UsageError, match="not a usable database URL"):
        importers.import_sql("nonsense://", "SELECT 1", "performance", {})


# ------------------------------------------------------------------------------------------------ rejection
def test_five_row_file_with_three_problems_lists_exactly_those(book, tmp_path):
    f = write(tmp_path / "bad.csv", """\
        loan_id,as_of,balance,dpd,bucket
        L1,2024-03-31,9000,0,current
        L1,2024-04-30,8000,abc,current
        L2,2024-03-31,100,0,current
        L2,2024-04-30,100,0,M9
        L1,2024-03-31,9000,0,current
        """)
    before = store.current_path()
    with pytest.raises(DataError) as e:
        importers.import_file(f, "performance", {})
    err = e.value
    assert err.problems == 3
    assert str(err).startswith("bad.csv: rejected, 3 problems (first: row 3, dpd: not a whole number: 'abc')")
    lines = err.report.splitlines()
    assert lines[0] == "Import of bad.csv rejected: 3 problems; nothing was written."
    assert "counting the header as line 1" in lines[1]
    table = [ln.split(None, 3) for ln in lines[4:]]
    assert [(t[1], t[2]) for t in table] == [("3", "dpd"), ("5", "bucket"), ("6", "loan_id,")]
    assert "must be one of: current, 1-30" in lines[5]
    assert lines[6].endswith("as_of  duplicate key (first seen on row 2): 'L1, 2024-03-31'")
    assert store.current_path() == before
    last = workflow.import_history(1)[0]
    assert (last["status"], last["problems"], last["rows_read"], last["rows_written"]) == ("rejected", 3, 5, 0)


def test_every_problem_is_listed_when_under_the_cap(book, tmp_path):
    f = tmp_path / "many.csv"
    f.write_text("loan_id,as_of,balance,dpd,bucket\n" +
                 "".join(f"L1,2024-{m:02d}-28,1,-1,current\n" for m in range(1, 13)) +
                 "L1,2024-01-31,5,0,current\n" * 5)
    with pytest.raises(DataError) as e:
        importers.import_file(f, "performance", {})
    # 12 rows not on a month-end + 12 with dpd < 0 + 2024-01-28 before L1's origination month ends
    # + 4 repeats of the key first seen on row 14
    assert e.value.problems == 12 + 12 + 1 + 4
    listed = [ln for ln in e.value.report.splitlines() if ln.startswith("many.csv")]
    assert len(listed) == 29 and "more problem" not in e.value.report


def test_report_caps_at_problem_report_rows(book, tmp_path):
    f = tmp_path / "many.csv"
    f.write_text("loan_id,as_of,balance,dpd,bucket\n" +
                 "".join(f"L{i},2024-01-31,1,0,current\n" for i in range(100, 160)))
    with pytest.raises(DataError) as e:
        importers.import_file(f, "performance", {})
    assert e.value.problems == 60
    listed = [ln for ln in e.value.report.splitlines() if ln.startswith("many.csv")]
    assert len(listed) == 50
    assert listed[0].split()[1:3] == ["2", "loan_id"] and "not found in loans" in listed[0]
    assert e.value.report.splitlines()[-1] == "... and 10 more problems (only the first 50 are listed)"


def test_header_problems_unknown_missing_and_mapping(book, tmp_path):
    f = write(tmp_path / "h.csv", """\
        loan_id,as_of,balance,bucket,colour
        L1,2024-03-31,1,current,red
        """)
    with pytest.raises(DataError) as e:
        importers.import_file(f, "performance", {"nothere": "dpd"})
    got = [ln.split(None, 3)[1:] for ln in e.value.report.splitlines()[4:]]
    assert got == [["1", "colour", "unknown column of performance (rename it with --map SRC:DST or remove it)"],
                   ["1", "dpd", "required column missing"],
                   ["1", "nothere", "mapped column not found in the input"]]


def test_orphans_are_checked_against_the_file_and_the_store(book, tmp_path):
    f = write(tmp_path / "l.csv", """\
        loan_id,borrower_id,product,origination_date,principal
        L3,B1,consumer,2024-03-01,100
        L4,B9,consumer,2024-03-01,100
        """)
    with pytest.raises(DataError) as e:
        importers.import_file(f, "loans", {})
    assert e.value.problems == 1
    assert "row 3, borrower_id: not found in borrowers (neither in this import nor in the published data): " \
           "'B9'" in str(e.value)


def test_bucket_must_agree_with_dpd_and_dates_be_month_ends(book, tmp_path):
    f = write(tmp_path / "p.csv", """\
        loan_id,as_of,balance,dpd,bucket
        L1,2024-03-30,1,0,current
        L1,2024-04-30,1,45,1-30
        L1,31/05/2024,1,0,current
        """)
    with pytest.raises(DataError) as e:
        importers.import_file(f, "performance", {})
    body = e.value.report.splitlines()[4:]
    assert [ln.split(None, 3)[1:3] for ln in body] == [["2", "as_of"], ["3", "bucket"], ["4", "as_of"]]
    assert body[0].endswith("not a month-end (that month ends on 2024-03-31): '2024-03-30'")
    assert body[1].endswith("does not agree with dpd 45 (expected 31-60): '1-30'")
    assert body[2].endswith("not a date (expected YYYY-MM-DD): '31/05/2024'")


def test_rows_after_a_terminal_state_and_before_origination_are_rejected(book, tmp_path):
    f = write(tmp_path / "p.csv", """\
        loan_id,as_of,balance,dpd,bucket
        L1,2024-03-31,0,0,paid_off
        L1,2024-04-30,0,0,current
        L2,2024-01-31,1,0,current
        """)
    with pytest.raises(DataError) as e:
        importers.import_file(f, "performance", {})
    body = e.value.report.splitlines()[4:]
    assert len(body) == 2
    assert body[0].split()[1] == "3"
    assert "loan L1 has a row on 2024-04-30 after it was paid_off on 2024-03-31" in body[0]
    assert body[1].split()[1] == "4" and "before the end of the origination month of loan L2" in body[1]


def test_unknown_table_is_a_usage_error_listing_the_tables(tmp_path):
    with pytest.raises(UsageError) as e:
        importers.import_file(tmp_path / "x.csv", "loanz", {})
    assert str(e.value) == ("unknown table 'loanz'; valid tables: borrowers, loans, schedules, payments, "
                            "performance, bureau, alt_signals, macro, collection_actions, reviews, alerts, "
                            "dispositions, scores")


def _gzip_truncated(p: Path) -> Path:
    blob = gzip.compress(("loan_id,as_of,balance,dpd,bucket\n" + "L1,2024-01-31,1,0,current\n" * 20000).encode())
    p.write_bytes(blob[: len(blob) // 2])
    return p


MALFORMED = {
    "missing": (lambda d: d / "nope.csv", "nope.csv: file not found"),
    "extension": (lambda d: write(d / "x.txt", "a\n1\n"), "x.txt: unsupported file type"),
    "xls": (lambda d: write(d / "x.xls", "a\n1\n"), "the old .xls format is not supported"),
    "truncated gzip": (lambda d: _gzip_truncated(d / "t.csv.gz"), "t.csv.gz: the gzip file is truncated or corrupt"),
    "not gzip": (lambda d: write(d / "n.csv.gz", "a,b\n1,2\n"), "n.csv.gz: not a readable gzip file"),
    "binary": (lambda d: (d / "g.csv").write_bytes(bytes(range(256)) * 40) and d / "g.csv",
               "g.csv: not UTF-8 text (binary data or another encoding"),
    "empty": (lambda d: write(d / "e.csv", ""), "e.csv: the file is empty"),
    "header only": (lambda d: write(d / "h.csv", "loan_id,as_of,balance,dpd,bucket\n"),
                    "h.csv: no data rows (only a header)"),
    "ragged": (lambda d: write(d / "r.csv", "loan_id,as_of,balance,dpd,bucket\nL1,2024-01-31,1\n"),
               "r.csv: malformed CSV at line 2: Expected Number of Columns: 5 Found: 3"),
    "latin1 late": (lambda d: (d / "l.csv").write_bytes(b"loan_id,as_of,balance,dpd,bucket\n" + b"L1,2024-01-31,1,0,"
                                                     b"current\n" * 5000 + b"L\xe9,2024-01-31,1,0,current\n")
                    and d / "l.csv", "l.csv: not UTF-8 text at line 5002"),
    "bad parquet": (lambda d: write(d / "b.parquet", "not parquet at all"), "b.parquet: not a valid Parquet file"),
    "bad xlsx": (lambda d: write(d / "b.xlsx", "not a workbook"), "b.xlsx: not a valid .xlsx workbook"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_input_gives_one_clear_line_and_publishes_nothing(book, tmp_path, case):
    make, message = MALFORMED[case]
    path = make(tmp_path)
    before = store.current_path()
    with pytest.raises(DataError) as e:
        importers.import_file(path, "performance", {})
    assert message in str(e.value)
    assert "\n" not in str(e.value)
    assert store.current_path() == before
    assert workflow.import_history(1)[0]["status"] == "rejected"


def test_hostile_strings_are_stored_as_data(book, tmp_path):
    hostile = ['Robert"); DROP TABLE loans;--', "=cmd|' /C calc'!A0", "x" * 20000, "nul\x00byte", "a,b\nc"]
    df = pd.DataFrame({"loan_id": [f"H{i}" for i in range(len(hostile))], "borrower_id": "B1",
                       "product": "consumer", "origination_date": "2024-01-01", "principal": 1, "purpose": hostile})
    df.to_csv(tmp_path / "h.csv", index=False)
    s = importers.import_file(tmp_path / "h.csv", "loans", {})
    assert s["rows_inserted"] == 5
    got = dict(rows("SELECT loan_id, purpose FROM loans WHERE loan_id LIKE 'H%'"))
    assert [got[f"H{i}"] for i in range(len(hostile))] == hostile
    assert rows("SELECT count(*) FROM loans")[0][0] == 7


# ------------------------------------------------------------------------------------------------ PII at rest
def test_plain_personal_data_never_reaches_loanwatch_home(home, tmp_path):
    people = pd.DataFrame({"borrower_id": ["P1", "P2"], "borrower_type": ["retail", "retail"],
                           "name": ["张三丰", "Alice Wonderland"], "national_id": ["110101199003074578", "X9988776655"],
                           "phone": ["13812345678", "+44 7700 900123"],
                           "address": ["上海市浦东新区世纪大道100号", "221B Baker Street"]})
    people.to_csv(tmp_path / "people.csv", index=False)
    importers.import_file(tmp_path / "people.csv", "borrowers", {})
    s = importers.import_file(tmp_path / "people.csv", "borrowers", {})          # compare path: decrypts
    assert s["rows_unchanged"] == 2
    changed = people.assign(phone=["13900000000", "+44 7700 900123"])
    changed.to_csv(tmp_path / "people2.csv", index=False)
    s = importers.import_file(tmp_path / "people2.csv", "borrowers", {})
    assert (s["rows_updated"], s["rows_unchanged"]) == (1, 1)
    bad = changed.assign(borrower_type=["retail", "alien"])                     # rejected: reported, not stored
    bad.to_csv(tmp_path / "people3.csv", index=False)
    with pytest.raises(DataError):
        importers.import_file(tmp_path / "people3.csv", "borrowers", {})

    secrets = [v for col in ("name", "national_id", "phone", "address") for v in changed[col]]
    secrets += ["13812345678"]
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in files)
    for p in files:
        blob = p.read_bytes()
        for value in secrets:
            assert value.encode() not in blob, f"plain {value!r} found in {p}"
            assert value.encode("utf-16-le") not in blob
    got = rows("SELECT borrower_id, name_enc, national_id_enc, phone_enc, address_enc, national_id_hash "
               "FROM borrowers ORDER BY 1")
    assert [pii.decrypt_many(r[1:5]) for r in got] == [
        ["张三丰", "110101199003074578", "13900000000", "上海市浦东新区世纪大道100号"],
        ["Alice Wonderland", "X9988776655", "+44 7700 900123", "221B Baker Street"]]
    assert [r[5] for r in got] == pii.blind_index_many(["110101199003074578", "X9988776655"])


def test_borrowers_file_must_not_carry_tokens(tmp_path):
    f = write(tmp_path / "b.csv", "borrower_id,borrower_type,phone_enc\nB1,retail,v1:abc\n")
    with pytest.raises(DataError) as e:
        importers.import_file(f, "borrowers", {})
    assert "phone_enc: is computed by Loanwatch" in str(e.value)


# ------------------------------------------------------------------------------------------------ workflow, failure
def test_imports_are_recorded_and_audited(book):
    hist = workflow.import_history(10)
    assert [(h["kind"], h["target_table"], h["status"], h["rows_read"], h["rows_written"]) for h in hist[::-1]] == [
        ("file", "borrowers", "published", 2, 2), ("file", "loans", "published", 2, 2),
        ("file", "performance", "published", 3, 3)]
    with workflow.engine().connect() as c:
        actions = c.execute(sa.select(workflow.audit_log.c.action, workflow.audit_log.c.target)).fetchall()
    assert [tuple(a) for a in actions] == [("import", "borrowers"), ("import", "loans"), ("import", "performance")]
    assert workflow.verify_audit()[0]


def test_an_exception_while_writing_publishes_nothing(book, tmp_path, monkeypatch):
    before = store.current_path()
    f = write(tmp_path / "p.csv", "loan_id,as_of,balance,dpd,bucket\nL2,2024-03-31,1,0,current\n")

    def boom(*a, **k):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(importers.validate, "parent_first", boom)     # called inside new_generation()
    with pytest.raises(RuntimeError):
        importers.import_file(f, "performance", {})
    assert store.current_path() == before
    assert not list(store.store_dir().glob("*.building*"))
    last = workflow.import_history(1)[0]
    assert (last["status"], last["message"]) == ("failed", "RuntimeError: disk on fire")


def test_sigkill_while_writing_publishes_nothing(book, tmp_path):
    before = store.current_path()
    f = write(tmp_path / "p.csv", "loan_id,as_of,balance,dpd,bucket\nL2,2024-03-31,1,0,current\n")
    code = textwrap.dedent(f"""
        import os, signal
        from data.importers import import_file
        def progress(msg):
            if msg.startswith("writing"):
                os.kill(os.getpid(), signal.SIGKILL)
        import_file({str(f)!r}, "performance", {{}}, progress=progress)
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=os.environ.copy(), timeout=120)
    assert proc.returncode == -signal.SIGKILL
    _reset()
    assert store.current_path() == before
    assert rows("SELECT count(*) FROM performance") == [(3,)]
    assert importers.import_file(f, "performance", {})["rows_inserted"] == 1    # the next writer cleans up
    assert not list(store.store_dir().glob("*.building*"))


@pytest.mark.pg
def test_import_sql_from_postgresql(book):
    url = os.environ.get("LOANWATCH_TEST_PG_URL")
    if not url:
        pytest.skip("LOANWATCH_TEST_PG_URL is not set (.ci/run starts a PostgreSQL server and sets it)")
    table = f"lw_import_src_{os.getpid()}"              # a name we made, not user input
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.exec_driver_sql(f"CREATE TABLE {table} (acct text, as_of date, balance numeric(18,2), dpd integer, "
                          f"bucket text, restructured boolean)")
        c.exec_driver_sql(f"INSERT INTO {table} VALUES ('L2', '2024-03-31', 49000.10, 0, 'current', false), "
                          f"('L2', '2024-04-30', 48000, 20, '1-30', true)")
    try:
        s = importers.import_sql(url, f"SELECT * FROM {table} ORDER BY as_of", "performance", {"acct": "loan_id"})
    finally:
        with eng.begin() as c:
            c.exec_driver_sql(f"DROP TABLE {table}")
        eng.dispose()
    assert (s["rows_read"], s["rows_inserted"]) == (2, 2)
    password = sa.engine.make_url(url).password
    assert not password or password not in s["source"]          # recorded and audited without the password
    assert rows("SELECT as_of::VARCHAR, balance::VARCHAR, dpd, bucket, restructured FROM performance "
                "WHERE loan_id = 'L2' AND as_of > DATE '2024-02-29' ORDER BY 1") == [
        ("2024-03-31", "49000.10", 0, "current", False), ("2024-04-30", "48000.00", 20, "1-30", True)]
