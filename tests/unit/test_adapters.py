"""Real-data adapters: Taiwan credit-card panel and LendingClub, on hand-made files and on the real files."""
from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from data import store, workflow
from data.adapters.lendingclub import import_lendingclub
from data.adapters.taiwan import import_taiwan
from data.errors import DataError
from tests.conftest import reset_caches

REPO = Path(__file__).resolve().parents[2]
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
needs_real = pytest.mark.skipif(not REAL.exists(), reason=f"real data sets not found at {REAL}")


def _reset() -> None:
    reset_caches()


@pytest.fixture
def home(isolated_home):
    """This module's name for the per-test workspace of tests/conftest.py."""
    return isolated_home


def rows(sql: str) -> list[tuple]:
    return store.reader().cursor().execute(sql).fetchall()


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip())
    return path


TW_HEADER = ("ID,LIMIT_BAL,SEX,EDUCATION,MARRIAGE,AGE,PAY_0,PAY_2,PAY_3,PAY_4,PAY_5,PAY_6,"
             "BILL_AMT1,BILL_AMT2,BILL_AMT3,BILL_AMT4,BILL_AMT5,BILL_AMT6,"
             "PAY_AMT1,PAY_AMT2,PAY_AMT3,PAY_AMT4,PAY_AMT5,PAY_AMT6,default.payment.next.month\n")
TW_ROWS = ("1,20000,2,2,1,24,2,2,-1,-1,-2,-2,3913,3102,689,0,0,0,0,689,0,0,0,0,1\n"
           "2,120000,1,5,0,40,8,7,0,1,-1,0,-500,1000,2000,3000,4000,5000,100,0,200,0,300,0,0\n"
           "3,50000,2,3,3,79,0,0,0,0,0,0,100,100,100,100,100,100,10,10,10,10,10,10,0\n")


# ------------------------------------------------------------------------------------------------ Taiwan
def test_taiwan_small_file_maps_every_field(tmp_path):
    f = tmp_path / "tw.csv"
    f.write_text(TW_HEADER + TW_ROWS)
    s = import_taiwan(f)
    assert s["rows_read"] == 3
    assert {t: v["rows_inserted"] for t, v in s["tables"].items()} == \
        {"borrowers": 3, "loans": 3, "performance": 21, "payments": 3 + 6 + 1}
    assert rows("SELECT as_of::VARCHAR, balance::INTEGER, dpd, bucket, amount_paid::INTEGER, credit_limit::INTEGER "
                "FROM performance WHERE loan_id = 'TW-2' ORDER BY as_of") == [
        ("2005-04-30", 5000, 0, "current", 0, 120000), ("2005-05-31", 4000, 0, "current", 300, 120000),
        ("2005-06-30", 3000, 30, "1-30", 0, 120000), ("2005-07-31", 2000, 0, "current", 200, 120000),
        ("2005-08-31", 1000, 210, "180+", 0, 120000), ("2005-09-30", 0, 240, "180+", 100, 120000),
        ("2005-10-31", 0, 0, "current", None, 120000)]           # Sep BILL_AMT1 -500 clipped, carried
    assert rows("SELECT as_of::VARCHAR, balance::INTEGER, dpd, bucket FROM performance "
                "WHERE loan_id = 'TW-1' AND as_of >= DATE '2005-08-31' ORDER BY as_of") == [
        ("2005-08-31", 3102, 60, "31-60"), ("2005-09-30", 3913, 60, "31-60"), ("2005-10-31", 3913, 30, "1-30")]
    assert rows("SELECT payment_id, loan_id, payment_date::VARCHAR, amount::INTEGER, channel FROM payments "
                "WHERE loan_id IN ('TW-1', 'TW-2') ORDER BY 1") == [
        ("TW-1-2005-08", "TW-1", "2005-08-31", 689, "unknown"), ("TW-2-2005-05", "TW-2", "2005-05-31", 300, "unknown"),
        ("TW-2-2005-07", "TW-2", "2005-07-31", 200, "unknown"), ("TW-2-2005-09", "TW-2", "2005-09-30", 100, "unknown")]
    assert rows("SELECT loan_id, borrower_id, product, product_type, origination_date::VARCHAR, principal::INTEGER, "
                "credit_limit::INTEGER, currency, source FROM loans WHERE loan_id = 'TW-3'") == [
        ("TW-3", "TW-3", "card", "revolving", "2005-04-01", 0, 50000, "TWD", "taiwan")]
    assert rows("SELECT borrower_id, borrower_type, gender, birth_year, education, marital_status, name_enc, "
                "national_id_hash FROM borrowers ORDER BY 1") == [
        ("TW-1", "retail", "female", 1981, "university", "married", None, None),
        ("TW-2", "retail", "male", 1965, "unknown", "unknown", None, None),
        ("TW-3", "retail", "female", 1926, "high_school", "other", None, None)]


def test_taiwan_reimport_changes_nothing(tmp_path):
    f = tmp_path / "tw.csv.gz"
    f.write_bytes(gzip.compress((TW_HEADER + TW_ROWS).encode()))
    import_taiwan(f)
    before = store.current_path()
    s = import_taiwan(f)
    assert (s["rows_inserted"], s["rows_updated"], s["rows_unchanged"]) == (0, 0, 3 + 3 + 21 + 10)
    assert store.current_path() == before


def test_taiwan_bad_values_are_reported_by_source_row_and_column(tmp_path):
    f = tmp_path / "tw.csv"
    bad = TW_ROWS.replace("2,120000,1,5,0,40,8,", "2,120000,1,5,0,40,x,").replace(",0,0\n3,", ",0,2\n3,")
    f.write_text(TW_HEADER + bad)
    with pytest.raises(DataError) as e:
        import_taiwan(f)
    assert e.value.problems == 2
    body = e.value.report.splitlines()[4:]
    assert body[0].split()[1:] == ["3", "PAY_0", "not", "a", "whole", "number:", "'x'"]
    assert body[1].split()[1:3] == ["3", "default.payment.next.month"] and "must be 0 or 1" in body[1]
    assert not store.has_data()


def test_taiwan_missing_column_and_duplicate_client(tmp_path):
    f = tmp_path / "tw.csv"
    f.write_text(TW_HEADER.replace("BILL_AMT3,", "BILL_AMT_3,") + TW_ROWS)
    with pytest.raises(DataError, match="BILL_AMT3: required column missing"):
        import_taiwan(f)
    f.write_text(TW_HEADER + TW_ROWS + TW_ROWS.splitlines(keepends=True)[0])
    with pytest.raises(DataError) as e:
        import_taiwan(f)
    body = e.value.report.splitlines()[4:]
    # client 1 repeated on row 5: its borrower, loan, 7 performance rows and 1 payment repeat a key
    assert e.value.problems == 1 + 1 + 7 + 1
    assert {ln.split()[1] for ln in body} == {"5"}
    assert any("loans.loan_id" in ln and "first seen on row 2" in ln for ln in body)


def _expected_taiwan_transitions(path: Path) -> dict[tuple[str, str], int]:
    """Transition counts computed straight from the file, independently of the adapter."""
    df = pd.read_csv(path)
    months = ["PAY_6", "PAY_5", "PAY_4", "PAY_3", "PAY_2", "PAY_0"]           # April ... September 2005
    names = ["current", "1-30", "31-60", "61-90", "91-120", "121-150", "151-180", "180+"]

    def bucket(s: pd.Series) -> pd.Series:
        return s.clip(lower=0).clip(upper=7).map(lambda k: names[int(k)])   # DPD 30*s -> one bucket per s
    pairs = pd.concat([pd.DataFrame({"f": bucket(df[a]), "t": bucket(df[b])}) for a, b in zip(months, months[1:])])
    return {k: int(v) for k, v in pairs.value_counts().items()}


@needs_real
def test_real_taiwan_file_roll_rates_match_the_raw_file(home, tmp_path):
    path = REAL / "taiwan_credit_card_default" / "UCI_Credit_Card.csv.gz"
    env = {**os.environ}
    run = lambda *a: subprocess.run([sys.executable, "cli.py", *a], cwd=REPO, env=env, capture_output=True,
                                    text=True, timeout=600)
    imp = run("import", "taiwan", str(path))
    assert imp.returncode == 0, imp.stderr
    rep = run("report", "roll-rates", "--from", "2005-04", "--to", "2005-09", "--weight", "count")
    assert rep.returncode == 0, rep.stderr
    got = pd.read_csv(io.StringIO(rep.stdout))
    assert list(got.columns) == ["from_bucket", "to_bucket", "loans", "balance", "share"]
    expected = _expected_taiwan_transitions(path)
    assert {(r.from_bucket, r.to_bucket): int(r.loans) for r in got.itertuples()} == expected
    assert got["loans"].sum() == 5 * 30_000
    # pinned from the real file (hand-checked against pandas once): the largest and a few rare cells
    pinned = {("current", "current"): 123_723, ("current", "31-60"): 6_209, ("current", "1-30"): 1_860,
              ("31-60", "current"): 4_130, ("31-60", "31-60"): 9_460, ("1-30", "1-30"): 34,
              ("151-180", "180+"): 45, ("180+", "180+"): 153}
    assert {k: expected[k] for k in pinned} == pinned
    for frm, grp in got.groupby("from_bucket"):
        assert grp["share"].sum() == pytest.approx(1.0)
    _reset()
    assert rows("SELECT count(*), count(DISTINCT loan_id), min(as_of)::VARCHAR, max(as_of)::VARCHAR "
                "FROM performance") == [(210_000, 30_000, "2005-04-30", "2005-10-31")]
    assert rows("SELECT count(*) FROM performance WHERE as_of = DATE '2005-10-31' AND dpd = 30") == [(6_636,)]


# ------------------------------------------------------------------------------------------------ LendingClub
LC_ACCEPTED = """\
    id,loan_status,issue_d,funded_amnt,total_rec_prncp,out_prncp,term,int_rate,installment,grade,purpose,addr_state,annual_inc,last_pymnt_d,last_pymnt_amnt,recoveries,collection_recovery_fee,settlement_date,settlement_amount,settlement_status,settlement_percentage,settlement_term,emp_title
    11,Fully Paid,Mar-2017,20000,20000,0, 36 months,13.99,683.46,C,debt_consolidation,NY,60000,Jul-2018,5000,0,0,,,,,,clerk
    12,Charged Off,Aug-2016,16000,6034.62,0, 60 months,13.56%,400,D,other,CA,48000,Dec-2017,400,200,36,Jul-2018,4701.56,BROKEN,45.0,18,
    13,Current,Jan-2018,10000,1000,9000, 36 months,10.00,322.67,B,car,TX,,Jun-2018,322.67,0,0,,,,,,
    14,Late (31-120 days),Jan-2018,5000,500,4500, 36 months,20.5,190,E,other,TX,30000,Mar-2018,190,0,0,,,,,,
    15,Does not meet the credit policy. Status:Fully Paid,Jan-2010,3000,3000,0, 36 months,9,96,A,car,OH,24000,Jan-2013,96,0,0,,,,,,
    16,In Grace Period,Feb-2018,8000,300,7700, 36 months,7,250,A,car,OH,24000,May-2018,250,0,0,,,,,,
    17,Late (16-30 days),Feb-2018,8000,300,7700, 36 months,7,250,A,car,OH,24000,May-2018,250,0,0,,,,,,
    """


def test_lendingclub_accepted_small_file(tmp_path):
    s = import_lendingclub(write(tmp_path / "lc.csv", LC_ACCEPTED))
    assert {t: v["rows_inserted"] for t, v in s["tables"].items()} == \
        {"borrowers": 7, "loans": 7, "performance": 7, "dispositions": 4}
    assert rows("SELECT loan_id, as_of::VARCHAR, balance, dpd, bucket FROM performance ORDER BY 1") == [
        ("LC-11", "2018-07-31", Decimal("0.00"), 0, "paid_off"),
        ("LC-12", "2017-12-31", Decimal("9965.38"), 150, "charged_off"),
        ("LC-13", "2018-06-30", Decimal("9000.00"), 0, "current"),
        ("LC-14", "2018-03-31", Decimal("4500.00"), 60, "31-60"),
        ("LC-15", "2013-01-31", Decimal("0.00"), 0, "paid_off"),
        ("LC-16", "2018-05-31", Decimal("7700.00"), 15, "1-30"),
        ("LC-17", "2018-05-31", Decimal("7700.00"), 30, "1-30")]
    assert rows("SELECT disposition_id, disposition_date::VARCHAR, kind, amount, details FROM dispositions "
                "ORDER BY 1") == [
        ("LC-12-charge_off", "2017-12-31", "charge_off", Decimal("9965.38"), "funded less principal received"),
        ("LC-12-collection_fee", "2018-07-31", "collection_fee", Decimal("36.00"),
         "collection agency fee on recoveries"),
        ("LC-12-recovery", "2018-07-31", "recovery", Decimal("200.00"), "gross recoveries after charge-off"),
        ("LC-12-settlement", "2018-07-31", "settlement", Decimal("4701.56"),
         "settlement broken, 45.0% of balance, 18 months")]
    assert rows("SELECT loan_id, origination_date::VARCHAR, maturity_date::VARCHAR, principal, annual_rate, "
                "term_months, instalment, grade, purpose, region, product, product_type, currency "
                "FROM loans WHERE loan_id = 'LC-12'") == [
        ("LC-12", "2016-08-01", "2021-08-01", Decimal("16000.00"), pytest.approx(0.1356), 60, Decimal("400.00"),
         "D", "other", "CA", "consumer", "instalment", "USD")]
    assert rows("SELECT borrower_id, region, monthly_income FROM borrowers WHERE borrower_id IN ('LC-11', 'LC-13') "
                "ORDER BY 1") == [("LC-11", "NY", Decimal("5000.00")), ("LC-13", "TX", None)]


LC_OPENINTRO = """\
    emp_title,state,annual_income,loan_purpose,loan_amount,term,interest_rate,installment,grade,issue_month,loan_status,balance,paid_total,paid_principal
    a,NJ,90000.0,moving,28000,60.0,14.07,652.53,C,Mar-2018,Current,27015.86,1999.33,984.14
    b,HI,40000.0,debt_consolidation,5000,36.0,12.61,167.54,C,Feb-2018,Late (16-30 days),4651.37,499.12,348.63
    c,CA,50000.0,other,7500,36.0,20.00,280.00,E,Jan-2018,Charged Off,0.0,500.00,324.15
    """


def test_lendingclub_openintro_small_file(tmp_path):
    s = import_lendingclub(write(tmp_path / "loans_full_schema.csv", LC_OPENINTRO))
    assert s["tables"]["dispositions"]["rows_inserted"] == 1
    assert rows("SELECT loan_id, as_of::VARCHAR, balance, dpd, bucket FROM performance ORDER BY 1") == [
        ("LCOI-000001", "2018-06-30", Decimal("27015.86"), 0, "current"),
        ("LCOI-000002", "2018-06-30", Decimal("4651.37"), 30, "1-30"),
        ("LCOI-000003", "2018-06-30", Decimal("7175.85"), 150, "charged_off")]
    assert rows("SELECT loan_id, annual_rate, term_months, origination_date::VARCHAR FROM loans ORDER BY 1") == [
        ("LCOI-000001", pytest.approx(0.1407), 60, "2018-03-01"), ("LCOI-000002", pytest.approx(0.1261), 36,
                                                                  "2018-02-01"),
        ("LCOI-000003", pytest.approx(0.20), 36, "2018-01-01")]
    assert rows("SELECT disposition_id, kind, amount FROM dispositions") == [
        ("LCOI-000003-charge_off", "charge_off", Decimal("7175.85"))]


def test_lendingclub_unknown_layout_and_unknown_status(tmp_path):
    with pytest.raises(DataError, match="not a LendingClub file this adapter knows"):
        import_lendingclub(write(tmp_path / "x.csv", "a,b\n1,2\n"))
    bad = LC_ACCEPTED.replace("13,Current,", "13,Zombie,")
    with pytest.raises(DataError) as e:
        import_lendingclub(write(tmp_path / "lc.csv", bad))
    assert e.value.problems == 1
    assert "row 4, loan_status: not a LendingClub status this adapter knows: 'Zombie'" in str(e.value)
    assert not store.has_data()


@needs_real
def test_real_lendingclub_files():
    s = import_lendingclub(REAL / "lendingclub_accepted_sample_1k" / "lending_club_sample.csv.gz")
    assert s["rows_read"] == 1000
    assert rows("SELECT bucket, count(*) FROM performance GROUP BY 1 ORDER BY 1") == \
        [("charged_off", 208), ("paid_off", 792)]
    assert rows("SELECT kind, count(*) FROM dispositions GROUP BY 1 ORDER BY 1") == \
        [("charge_off", 208), ("collection_fee", 132), ("recovery", 139), ("settlement", 30)]
    assert rows("SELECT min(annual_rate) > 0.05 AND max(annual_rate) < 0.31 FROM loans") == [(True,)]
    s = import_lendingclub(REAL / "lendingclub_openintro_loans_full_schema" / "loans_full_schema.csv.gz")
    assert s["rows_read"] == 10_000
    assert rows("SELECT bucket, dpd, count(*) FROM performance WHERE loan_id LIKE 'LCOI-%' "
                "AND as_of = DATE '2018-06-30' GROUP BY ALL ORDER BY ALL") == [("1-30", 15, 67), ("1-30", 30, 38), ("31-60", 60, 66),
                                                 ("charged_off", 150, 7), ("current", 0, 9375),
                                                 ("paid_off", 0, 447)]
    again = import_lendingclub(REAL / "lendingclub_openintro_loans_full_schema" / "loans_full_schema.csv.gz")
    assert again["rows_unchanged"] == again["rows_read"] * 3 + 7
