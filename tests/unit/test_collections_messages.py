"""Message templates: validation (only known placeholders, nothing evaluated), segment override, language by
locale, exact rendered text, preview, and an idempotent outbox."""
from __future__ import annotations

import datetime as dt

import pytest

from collection import messages
from data.errors import DataError


@pytest.fixture
def book(isolated_home):
    from data import store
    # At 2024-03-31: M1 (en_US) and M2 (zh_CN) in 1-30 at 2 DPD (missed due date 03-29), overdue 123.4 and 2000;
    # no history, so risk 0.5 (medium), balance small -> default segment 'early_small', champion arm for both
    # (draws 0.81 and 0.60, share 0.2): path 'light' opens with an sms on day 1, due now, sent the day after the
    # month-end (04-01), pay by 04-08.
    with store.new_generation() as con:
        for loan, locale, overdue, balance in (("M1", "en_US", 123.4, 1500), ("M2", "zh_CN", 2000, 4000.5)):
            con.execute("INSERT INTO borrowers (borrower_id, borrower_type, locale, source) "
                        "VALUES (?, 'retail', ?, 'test')", [f"B{loan}", locale])
            con.execute("INSERT INTO loans (loan_id, borrower_id, product, region, origination_date, principal, "
                        "currency, source) VALUES (?, ?, 'consumer', 'R', DATE '2023-06-15', 5000, 'CNY', 'test')",
                        [loan, f"B{loan}"])
            con.execute("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket, overdue_amount) VALUES "
                        "(?, DATE '2024-03-31', ?, 2, '1-30', ?)", [loan, balance, overdue])
    yield store.reader().cursor()


@pytest.mark.parametrize("body, words", [
    ("Pay $amount_due by $deadline", "unknown placeholder $deadline"),
    ("${__class__} here", "unknown placeholder $__class__"),
    ("costs 5$ now", "must start a placeholder"),
    ("", "empty"),
])
def test_bad_templates_are_refused(isolated_home, body, words):
    with pytest.raises(DataError, match="template refused") as err:
        messages.save_template("*", "sms", "en", body)
    assert words in str(err.value)


def test_render_fills_amounts_and_dates_once():
    row = {"loan_id": "L$balance", "overdue_amount": 1234.5, "balance": 10000, "dpd": 12,
           "d0": dt.date(2024, 3, 19), "segment": "early"}
    vals = messages.values(row, dt.date(2024, 4, 1), "CNY")
    assert messages.render("$loan_id owes $amount_due $currency since $due_date, pay by $pay_by ($$)", vals) == \
        "L$balance owes 1,234.50 CNY since 2024-03-19, pay by 2024-04-08 ($)"


def test_outbox_preview_language_and_segment_override(book):
    assert messages.preview(book, "2024-03", "M1")["body"] == (
        "Loan M1: 123.40 CNY is 2 days overdue (due 2024-03-29). Please pay by 2024-04-08 to avoid further charges.")
    messages.save_template("early_small", "sms", "zh", "贷款$loan_id逾期$amount_due元，请于$pay_by前还款。", actor="tester")
    p2 = messages.preview(book, "2024-03", "M2")
    assert (p2["language"], p2["send_on"], p2["body"]) == ("zh", dt.date(2024, 4, 1),
                                                            "贷款M2逾期2,000.00元，请于2024-04-08前还款。")
    first = messages.write_outbox(book, "2024-03")
    again = messages.write_outbox(book, "2024-03")
    assert (first["queued"], again["queued"], again["already_queued"]) == (2, 0, 2)
    box = messages.outbox(dt.date(2024, 3, 31)).set_index("loan_id")
    assert box.loc["M2", "body"] == p2["body"] and box.loc["M1", "status"] == "queued"
    assert set(box["channel"]) == {"sms"} and box.loc["M1", "borrower_id"] == "BM1"
