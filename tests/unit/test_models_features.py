"""Point-in-time features: values pinned on a hand-made loan, and proof that nothing dated after the observation
month-end reaches a feature (future rows changed or appended in a new generation leave the features identical)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import store
from models.catalog import CATEGORICAL, FEATURES, NAMES, REASONS
from models.features import build_features, month_ends
from tests.workspace import workspace_env

T = "2024-07-31"


@pytest.fixture
def one_loan(isolated_home):
    """Loan P, January to July 2024 (and rows after July that must not count)."""
    months = month_ends("2024-01", "2024-08")
    dpd = [0, 0, 20, 50, 0, 10, 0, 90]
    paid = [100, 100, 0, 0, 300, 50, 100, 0]
    balance = [1100, 1000, 1000, 1000, 800, 760, 700, 700]
    bucket = {0: "current", 10: "1-30", 20: "1-30", 50: "31-60", 90: "61-90"}
    with store.new_generation() as con:
        con.execute("INSERT INTO borrowers (borrower_id, borrower_type, birth_year, monthly_income) "
                    "VALUES ('BP', 'retail', 1990, 1000)")
        con.execute("INSERT INTO loans (loan_id, borrower_id, product, origination_date, principal, term_months, "
                    "instalment, grade) VALUES ('P', 'BP', 'consumer', DATE '2023-12-15', 1200, 12, 100, 'B')")
        for m, d, p, b in zip(months, dpd, paid, balance):
            con.execute("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket, amount_due, amount_paid) "
                        "VALUES ('P', ?, ?, ?, ?, 100, ?)", [m, b, d, bucket[d], p])
        for i, day in enumerate(("2024-01-20", "2024-03-10", "2024-08-05")):
            con.execute("INSERT INTO payments (payment_id, loan_id, payment_date, amount, channel, is_reversal) "
                        "VALUES (?, 'P', ?, -100, 'app', TRUE)", [f"R{i}", day])
        for m, score, salary in zip(months[1:], [700, 700, 690, 650, 640, 600, 300],
                                    [1000, 1000, 1000, 1000, 1000, 0, 0]):
            con.execute("INSERT INTO bureau (borrower_id, as_of, score, inquiries_30d) VALUES ('BP', ?, ?, 1)",
                        [m, score])
            con.execute("INSERT INTO alt_signals (borrower_id, as_of, salary_deposit, account_balance) "
                        "VALUES ('BP', ?, ?, 500)", [m, salary])
        con.execute("INSERT INTO macro VALUES (DATE '2024-04-30', 100), (DATE '2024-07-31', 97), "
                    "(DATE '2024-08-31', 50)")
    yield store.reader().cursor()


def test_features_of_a_hand_made_loan(one_loan):
    f = build_features(one_loan, [T]).iloc[0]
    expected = {
        "dpd": 0, "dpd_change_1m": -10, "worst_dpd_3m": 10, "worst_dpd_6m": 50, "worst_dpd_12m": 50,
        "delinquent_months_12m": 3, "months_since_delinquent": 1,
        "dpd_slope_6m": -240 / 105,           # least squares over February..July, x = -5..0
        "pay_to_due_1m": 1.0, "pay_to_due_3m": 450 / 300, "pay_to_due_6m": 550 / 600,
        "paid_to_balance_1m": 100 / 760, "balance_ratio_1m": 700 / 760, "balance_ratio_3m": 0.7,
        "balance_to_principal": 700 / 1200, "reversals_6m": 1, "months_observed_12m": 7,
        "months_on_book": 7, "months_remaining": 5, "borrower_age": 34, "instalment_to_income": 0.1,
        "bureau_score": 600, "bureau_score_change_3m": 600 - 690, "bureau_score_below_max_6m": -100,
        "bureau_inquiries_3m": 3, "bureau_age_months": 0,
        "salary_deposit": 0, "salary_stopped": 1, "salary_months_3m": 2, "salary_to_income_3m": 2 / 3,
        "macro_index": 97, "macro_change_3m": -3,
    }
    for name, value in expected.items():
        assert f[name] == pytest.approx(value, rel=1e-6), name
    assert f["grade"] == "B" and f["product"] == "consumer"
    assert pd.isna(f["utilisation"])                    # an instalment loan has no limit


def test_loan_above_90_dpd_is_not_in_the_population(one_loan):
    assert build_features(one_loan, ["2024-04-30"]).shape[0] == 1      # 50 DPD: in
    with store.new_generation() as con:
        con.execute("UPDATE performance SET dpd = 95, bucket = '91-120' WHERE as_of = DATE '2024-04-30'")
    assert build_features(store.reader().cursor(), ["2024-04-30"]).empty


def test_catalog_covers_every_feature_column(one_loan):
    df = build_features(one_loan, [T])
    assert list(df.columns) == ["loan_id", "as_of", *NAMES]
    assert set(CATEGORICAL) == {c for c in df.columns if str(df[c].dtype) == "category"} - {"loan_id"}
    assert all(f.reason in REASONS for f in FEATURES)
    assert all(f.en and f.zh for f in FEATURES)
    assert "gender" not in NAMES                        # a protected attribute is not a model feature


# ----------------------------------------------------------------------------- a demo book, built once
@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    root = tmp_path_factory.mktemp("models-demo")
    with pytest.MonkeyPatch.context() as mp:
        for k, v in workspace_env(root).items():
            mp.setenv(k, v)
        from data.demo import build_demo
        build_demo(n_loans=3000, months=24, seed=5, end_month="2026-10", home=root / "home")
    return root


@pytest.fixture
def book(demo_home, monkeypatch):
    """The module's demo book, copied into this test's own workspace (so a test may change it)."""
    import shutil
    from tests.conftest import reset_caches
    env = workspace_env(demo_home)
    home = Path(env["LOANWATCH_HOME"]).parent / "copy" / f"{dt.datetime.now():%H%M%S%f}"
    shutil.copytree(Path(env["LOANWATCH_HOME"]) / "analytics", home / "analytics")
    monkeypatch.setenv("LOANWATCH_HOME", str(home))
    monkeypatch.setenv("LOANWATCH_WORKFLOW_URL", f"sqlite:///{home / 'workflow.sqlite'}")
    reset_caches()
    yield home
    reset_caches()


def _scramble_after(cutoff: str) -> None:
    """A new generation where every row dated after `cutoff` is changed and new future rows are appended."""
    c = dt.date.fromisoformat(cutoff)
    with store.new_generation(check=False) as con:
        con.execute("UPDATE performance SET dpd = dpd + 37, balance = balance * 3 + 1, amount_paid = 0, "
                    "amount_due = coalesce(amount_due, 0) * 2 + 5, overdue_amount = 999, credit_limit = 1, "
                    "restructured = NOT restructured WHERE as_of > ?", [c])
        con.execute("DELETE FROM performance WHERE as_of > ? AND hash(loan_id) % 5 = 0", [c])
        con.execute("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket) "
                    "SELECT loan_id, DATE '2026-11-30', 1, 400, '180+' FROM loans")
        con.execute("UPDATE bureau SET score = 300, inquiries_30d = inquiries_30d + 9, "
                    "delinquencies_elsewhere = 7, total_debt = total_debt * 10 WHERE as_of > ?", [c])
        con.execute("UPDATE alt_signals SET salary_deposit = 0, account_balance = 0, utilisation = 1.3, "
                    "litigation = TRUE, negative_news = TRUE, phone_reachable = FALSE, address_changed = TRUE "
                    "WHERE as_of > ?", [c])
        con.execute("UPDATE payments SET is_reversal = TRUE, amount = -amount WHERE payment_date > ?", [c])
        con.execute("INSERT INTO payments (payment_id, loan_id, payment_date, amount, channel, is_reversal) "
                    "SELECT 'X' || loan_id, loan_id, ? + 1, -1, 'app', TRUE FROM loans", [c])
        con.execute("UPDATE macro SET macro_index = 1 WHERE as_of > ?", [c])
        con.execute("INSERT INTO bureau (borrower_id, as_of, score) SELECT borrower_id, DATE '2026-11-30', 300 "
                    "FROM borrowers")


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Category columns as plain values (the category lists of two queries may differ), index reset."""
    return df.astype({c: object for c in df.columns if str(df[c].dtype) == "category"}).reset_index(drop=True)


def test_no_feature_reads_anything_dated_after_the_observation_month(book):
    first, second = "2025-06-30", "2025-09-30"
    before = build_features(store.reader().cursor(), [first, second])
    _scramble_after(first)
    after = build_features(store.reader().cursor(), [first, second])
    keep_b, keep_a = before["as_of"] == pd.Timestamp(first), after["as_of"] == pd.Timestamp(first)
    assert keep_b.sum() > 1000
    pd.testing.assert_frame_equal(_plain(before[keep_b]), _plain(after[keep_a]))
    # the later month did read the changed rows: the test would notice a leak
    late_b, late_a = before[~keep_b], after[~keep_a]
    assert not late_b["dpd"].reset_index(drop=True).equals(late_a["dpd"].reset_index(drop=True))


def test_one_loan_and_a_list_give_the_bulk_rows_and_builds_repeat_exactly(book):
    con = store.reader().cursor()
    months = ["2025-06-30", "2025-09-30"]
    bulk = build_features(con, months)
    pd.testing.assert_frame_equal(bulk, build_features(con, months))      # same bits every run
    ids = bulk.loc[bulk["as_of"] == pd.Timestamp(months[1]), "loan_id"].astype(str).iloc[[0, 7, 99]].tolist()
    want = bulk[(bulk["as_of"] == pd.Timestamp(months[1])) & bulk["loan_id"].isin(ids)].reset_index(drop=True)
    listed = build_features(con, [months[1]], ids)
    pd.testing.assert_frame_equal(want.astype(object), listed.astype(object))
    one = build_features(con, [months[1]], [ids[1]])
    pd.testing.assert_frame_equal(want[want["loan_id"] == ids[1]].reset_index(drop=True).astype(object),
                                  one.astype(object))
    assert build_features(con, [months[1]], ["NO-SUCH-LOAN"]).empty
    numbers = bulk[[n for n in NAMES if n not in CATEGORICAL]].to_numpy(dtype=float)
    assert np.isfinite(numbers[~np.isnan(numbers)]).all()
