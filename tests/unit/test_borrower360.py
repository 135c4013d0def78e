"""Borrower 360's series (data/borrower360.py) on hand-made loans: alternative data, scores and reasons,
classification history, and the loan's alerts and reviews from the workflow store."""
import datetime as dt

import pytest

from data import borrower360, workflow
from models import catalog
from tests.unit.test_signals import EwBook, memory_con

JUNE = dt.date(2024, 6, 30)


@pytest.fixture
def con():
    b = EwBook()
    borrower = b.loan("L1", dpd=(0, 0, 12, 35))
    b.loan("OTHER", dpd=(0, 0, 0, 0))
    b.alt_rows(borrower, salary=(5000, 5000, 0, 0), balance=(9000, 8000, 3000, 1000))
    b.alt_rows("BOTHER")
    code = next(iter(catalog.REASONS))
    b.scores += [("L1", "2024-05-31", "behaviour", "v1", 0.04, "G4", None),
                 ("L1", "2024-06-30", "early_warning", "v1", 0.30, "G8", None),
                 ("L1", "2024-06-30", "behaviour", "v1", 0.12, "G7", code)]
    c = memory_con(b)
    c.execute("CREATE TABLE summary_loan_class AS SELECT * FROM (VALUES "
              "('L1', DATE '2024-05-31', 'special_mention', 'dpd', 1, 0.04, 20.0), "
              "('L1', DATE '2024-06-30', 'special_mention', 'dpd', 2, 0.12, 60.0), "
              "('OTHER', DATE '2024-06-30', 'normal', 'performing', 1, 0.01, 5.0)) "
              "t(loan_id, as_of, tier, rule, stage, pd, ecl)")
    return c, code


def test_alt_series_of_the_loans_borrower_up_to_the_month_end(con):
    c, _ = con
    alt = borrower360.alt_series(c, "L1", dt.date(2024, 5, 31))
    # March-May rows of borrower BL1 only (not BOTHER's): salary stops in May, balance 9000 -> 3000
    assert alt["salary_deposit"].tolist() == [5000, 5000, 0]
    assert alt["account_balance"].tolist() == [9000, 8000, 3000]


def test_scores_and_latest_reasons_prefer_behaviour(con):
    c, code = con
    scores = borrower360.score_series(c, "L1", JUNE)
    assert len(scores) == 3
    latest = borrower360.latest_reasons(scores, "zh")
    # June has early_warning 0.30 and behaviour 0.12: behaviour is shown, its stored reason in Chinese
    assert (latest["target"], latest["pd"], latest["grade"]) == ("behaviour", pytest.approx(0.12), "G7")
    assert latest["reasons"] == [catalog.reason_text(code, "zh")]
    assert borrower360.latest_reasons(scores.iloc[0:0]) is None


def test_class_history_of_one_loan(con):
    c, _ = con
    hist = borrower360.class_history(c, "L1", JUNE)
    assert hist[["tier", "stage"]].values.tolist() == [["special_mention", 1], ["special_mention", 2]]
    assert borrower360.class_history(c, "L1", dt.date(2024, 5, 31))["ecl"].tolist() == [20.0]


def test_alerts_and_reviews_of_the_loans():
    eng = workflow.engine()
    now = workflow.now()
    with eng.begin() as c:
        for i, (loan, signal) in enumerate((("L1", "dpd_rising"), ("L2", "litigation"), ("L1", "partial_payment"))):
            c.execute(workflow.alerts.insert().values(loan_id=loan, signal=signal, severity="high", status="open",
                                                      raised_at=dt.date(2024, 6, 1 + i), due_date=JUNE,
                                                      created_at=now, updated_at=now))
        c.execute(workflow.loan_reviews.insert().values(loan_id="L1", kind="periodic", reason="policy:low",
                                                        due_date=JUNE, status="due", created_at=now))
    alerts = borrower360.loan_alerts(("L1",))
    assert alerts["signal"].tolist() == ["partial_payment", "dpd_rising"]          # newest first
    assert borrower360.loan_reviews(("L1", "L2"))["kind"].tolist() == ["periodic"]
