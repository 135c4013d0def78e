"""The real data sets for the cross-checks (tests/unit/test_analytics_real*.py): each imported once per test session
through the project's importer into its own workspace, and read back straight from the source file with pandas as
the adapter's docstring defines the mapping (never through project code), so the two sides are independent.

Import the fixtures by name in a test module: `from tests.unit.real_books import lc, tw`.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import store

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
TAIWAN = REAL / "taiwan_credit_card_default" / "UCI_Credit_Card.csv.gz"
LC = REAL / "lendingclub_accepted_sample_1k" / "lending_club_sample.csv.gz"
OPENINTRO = REAL / "lendingclub_openintro_loans_full_schema" / "loans_full_schema.csv.gz"
needs_real = pytest.mark.skipif(not REAL.exists(), reason=f"real data sets not found at {REAL}")
BUCKETS = ["current", "1-30", "31-60", "61-90", "91-120", "121-150", "151-180", "180+"]
TW_MONTHS = [("2005-04-30", 6), ("2005-05-31", 5), ("2005-06-30", 4), ("2005-07-31", 3), ("2005-08-31", 2),
             ("2005-09-30", 1)]
LC_STATUS = {"Current": ("current", 0), "In Grace Period": ("1-30", 15), "Late (16-30 days)": ("1-30", 30),
             "Late (31-120 days)": ("31-60", 60), "Default": ("121-150", 121), "Charged Off": ("charged_off", 150),
             "Fully Paid": ("paid_off", 0)}       # status -> bucket, representative DPD (data/adapters/lendingclub.py)


def bucket_of(dpd: pd.Series) -> pd.Series:
    return pd.cut(dpd, [-1, 0, 30, 60, 90, 120, 150, 180, np.inf], labels=BUCKETS).astype(str)


@lru_cache(maxsize=None)
def _taiwan_rows() -> pd.DataFrame:
    src = pd.read_csv(TAIWAN)
    parts = []
    for as_of, k in TW_MONTHS:
        status = src["PAY_0" if k == 1 else f"PAY_{k}"]
        parts.append(pd.DataFrame({"id": src["ID"], "as_of": as_of, "dpd": 30 * status.clip(lower=0),
                                   "balance": src[f"BILL_AMT{k}"].clip(lower=0), "limit": src["LIMIT_BAL"],
                                   "paid": src[f"PAY_AMT{k}"].astype(float)}))
    parts.append(pd.DataFrame({"id": src["ID"], "as_of": "2005-10-31", "dpd": 30 * src["default.payment.next.month"],
                               "balance": src["BILL_AMT1"].clip(lower=0), "limit": src["LIMIT_BAL"],
                               "paid": np.nan}))
    df = pd.concat(parts, ignore_index=True)
    df["bucket"] = bucket_of(df["dpd"])
    return df


def taiwan_rows() -> pd.DataFrame:
    """One row per client and month-end, straight from the CSV, as the adapter's docstring defines it: id, as_of
    ('YYYY-MM-DD'), dpd, balance (bill clipped at 0), limit (LIMIT_BAL), paid (PAY_AMT of the month; NaN in
    October), bucket."""
    return _taiwan_rows().copy()


@lru_cache(maxsize=None)
def _lendingclub_rows() -> pd.DataFrame:
    src = pd.read_csv(LC, low_memory=False)
    status = src.loan_status.str.replace(r"^Does not meet the credit policy\. *Status: *", "", regex=True)
    issue = pd.to_datetime(src.issue_d, format="%b-%Y") + pd.offsets.MonthEnd(0)
    last = pd.to_datetime(src.last_pymnt_d, format="%b-%Y") + pd.offsets.MonthEnd(0)
    settle = pd.to_datetime(src.settlement_date, format="%b-%Y") + pd.offsets.MonthEnd(0)
    snapshot = last.fillna(issue)
    co = status.eq("Charged Off")
    return pd.DataFrame({"loan_id": "LC-" + src["id"].astype(str), "status": status, "cohort": issue,
                         "snapshot": snapshot, "charged_off": co, "funded": src.funded_amnt,
                         "co_amount": np.where(co, (src.funded_amnt - src.total_rec_prncp).clip(lower=0), 0.0),
                         "recoveries": src.recoveries.fillna(0),
                         "recovery_date": np.maximum(snapshot, settle.fillna(snapshot)),
                         "grade": src.grade, "state": src.addr_state, "term": src.term.str.extract(r"(\d+)")[0]
                         .astype(int), "int_rate": src.int_rate})


def lendingclub_rows() -> pd.DataFrame:
    """Per loan from the accepted-loans sample: loan_id, status, cohort (issue month-end), snapshot month-end,
    charged_off, funded, co_amount (charged-off amount), recoveries and their date, grade, state, term, int_rate."""
    return _lendingclub_rows().copy()


@lru_cache(maxsize=None)
def _openintro_rows() -> pd.DataFrame:
    src = pd.read_csv(OPENINTRO, low_memory=False)
    status = src.loan_status.str.strip()
    bucket = status.map(lambda s: LC_STATUS[s][0])
    balance = np.where(bucket == "charged_off", (src.loan_amount - src.paid_principal.fillna(0)).clip(lower=0),
                       np.where(bucket == "paid_off", 0.0, src.balance.fillna(0).clip(lower=0)))
    issue = pd.to_datetime(src.issue_month, format="%b-%Y")
    return pd.DataFrame({"loan_id": [f"LCOI-{i + 1:06d}" for i in range(len(src))], "status": status,
                         "bucket": bucket, "dpd": status.map(lambda s: LC_STATUS[s][1]), "balance": balance,
                         "state": src.state, "grade": src.grade, "cohort": issue.dt.strftime("%Y-%m"),
                         "quarter": issue.dt.year.astype(str) + "-Q" + issue.dt.quarter.astype(str),
                         "principal": src.loan_amount, "term": src.term})


def openintro_rows() -> pd.DataFrame:
    """Per loan from OpenIntro's loans_full_schema, all at the 2018-06-30 snapshot: loan_id (LCOI- + data row
    number), status, bucket, dpd, balance (outstanding; the charged-off amount on a charged-off row; 0 when paid
    off), state, grade, cohort ('YYYY-MM'), quarter ('YYYY-Qn'), principal, term."""
    return _openintro_rows().copy()


def _imported(tmp_path_factory, name: str, load) -> Path:
    """A workspace of its own with one file imported (the import also builds the summaries); the environment
    points at it only while importing."""
    from tests.conftest import TEST_KEY, reset_caches
    base = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LOANWATCH_HOME", str(base / "home"))
        mp.setenv("LOANWATCH_SECRET_KEY", TEST_KEY)
        mp.setenv("LOANWATCH_SECRETS_FILE", str(base / "secrets.toml"))
        mp.delenv("LOANWATCH_WORKFLOW_URL", raising=False)
        reset_caches()
        try:
            load()
        finally:
            reset_caches()
    return base / "home"


def _reader(home: Path, monkeypatch):
    monkeypatch.setenv("LOANWATCH_HOME", str(home))
    return store.reader(home).cursor()


@pytest.fixture(scope="session")
def taiwan(tmp_path_factory):
    """The Taiwan credit-card file imported once per session (its workspace directory)."""
    from data.adapters.taiwan import import_taiwan
    return _imported(tmp_path_factory, "taiwan", lambda: import_taiwan(TAIWAN))


@pytest.fixture(scope="session")
def lendingclub(tmp_path_factory):
    """The LendingClub accepted-loans sample imported once per session."""
    from data.adapters.lendingclub import import_lendingclub
    return _imported(tmp_path_factory, "lendingclub", lambda: import_lendingclub(LC))


@pytest.fixture(scope="session")
def openintro(tmp_path_factory):
    """OpenIntro's LendingClub loans_full_schema imported once per session."""
    from data.adapters.lendingclub import import_lendingclub
    return _imported(tmp_path_factory, "openintro", lambda: import_lendingclub(OPENINTRO))


@pytest.fixture
def tw(taiwan, monkeypatch):
    """A cursor on the Taiwan workspace (LOANWATCH_HOME points at it for the test, so settings come from it)."""
    return _reader(taiwan, monkeypatch)


@pytest.fixture
def lc(lendingclub, monkeypatch):
    """A cursor on the LendingClub accepted-sample workspace."""
    return _reader(lendingclub, monkeypatch)


@pytest.fixture
def oi(openintro, monkeypatch):
    """A cursor on the OpenIntro LendingClub workspace."""
    return _reader(openintro, monkeypatch)
