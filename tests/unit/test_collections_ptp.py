"""Promises to pay judged on hand-made accounts at the edges: exactly at tolerance, a reversal after the payment,
the grace day, pending, a payment before the promise, an unlinked reversal; and `report ptp`."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from collection import ptp

# Settings used throughout: ptp_grace_days 2, ptp_tolerance 0.01 (the defaults). Every promise is made on 03-05
# for 03-10 (deadline 03-12) unless said otherwise; the promised amount is 100 unless said otherwise.
PROMISES = {   # loan -> (made on, promise date, amount)
    "P1": ("2024-03-05", "2024-03-10", 100), "P2": ("2024-03-05", "2024-03-10", 100),
    "P3": ("2024-03-05", "2024-03-10", 200), "P4": ("2024-03-05", "2024-03-10", 100),
    "P5": ("2024-03-05", "2024-03-10", 100), "P6": ("2024-03-25", "2024-03-30", 100),
    "P7": ("2024-03-05", "2024-03-10", 100), "P8": ("2024-03-05", "2024-03-10", 100),
}
PAYMENTS = [   # (id, loan, date, amount, is_reversal, reverses)
    ("X1", "P1", "2024-03-08", 99.00, False, None),     # 100 x (1 - 0.01) = 99.00 exactly: kept
    ("X2", "P2", "2024-03-08", 98.99, False, None),     # one cent short, deadline passed: broken
    ("X3", "P3", "2024-03-06", 200.00, False, None),    # paid in full ...
    ("R3", "P3", "2024-03-20", -200.00, True, "X3"),    # ... then reversed after the window: counts nothing
    ("X4", "P4", "2024-03-12", 100.00, False, None),    # on the grace day (03-10 + 2): kept
    ("X5", "P5", "2024-03-13", 100.00, False, None),    # a day after the grace: broken
    ("X7", "P7", "2024-03-04", 100.00, False, None),    # the day before the promise was made: broken
    ("X8", "P8", "2024-03-06", 150.00, False, None),    # 150 ...
    ("R8", "P8", "2024-03-07", -60.00, True, None),     # ... less an unlinked reversal in the window = 90: broken
]
# P6: made 03-25 for 03-30, deadline 04-01 after the judging date 03-31, nothing paid: pending.


@pytest.fixture
def book(isolated_home):
    from data import store
    with store.new_generation() as con:
        for i, (loan, (made, date, amount)) in enumerate(PROMISES.items()):
            con.execute("INSERT INTO borrowers (borrower_id, borrower_type, source) VALUES (?, 'retail', 'test')",
                        [f"B{loan}"])
            con.execute("INSERT INTO loans (loan_id, borrower_id, product, origination_date, principal, currency, "
                        "source) VALUES (?, ?, 'consumer', DATE '2023-06-15', 5000, 'CNY', 'test')", [loan, f"B{loan}"])
            con.execute("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket) VALUES "
                        "(?, DATE '2024-03-31', 1000, 10, '1-30')", [loan])
            con.execute("INSERT INTO collection_actions (action_id, loan_id, action_date, channel, agent, outcome, "
                        "promise_amount, promise_date) VALUES (?, ?, ?, 'agent_call', 'AG1', 'promise_to_pay', ?, ?)",
                        [f"C{i}", loan, made, amount, date])
        con.executemany("INSERT INTO payments (payment_id, loan_id, payment_date, amount, channel, is_reversal, "
                        "reverses_payment_id) VALUES (?, ?, ?, ?, 'app', ?, ?)", PAYMENTS)
    yield store.reader().cursor()


def test_each_promise_judged_at_the_edges(book):
    df = ptp.promises(book, "2024-03").set_index("loan_id")
    assert df["status"].to_dict() == {"P1": "kept", "P2": "broken", "P3": "broken", "P4": "kept", "P5": "broken",
                                      "P6": "pending", "P7": "broken", "P8": "broken"}
    assert df.loc["P1", "paid"] == pytest.approx(99.00)
    assert df.loc["P3", "paid"] == pytest.approx(0.0)
    assert df.loc["P8", "paid"] == pytest.approx(90.0)
    assert df.loc["P4", "deadline"] == dt.date(2024, 3, 12)


def test_reversal_not_yet_known_and_tolerance_settings(book):
    mid = ptp.promises(book, dt.date(2024, 3, 15), start=dt.date(2024, 3, 1)).set_index("loan_id")
    assert mid.loc["P3", "status"] == "kept"          # the 03-20 reversal is not known on 03-15
    assert "P6" not in mid.index                      # made after the judging date
    strict = ptp.promises(book, "2024-03", tolerance=0.0).set_index("loan_id")
    assert strict.loc["P1", "status"] == "broken"     # 99.00 < 100 without tolerance
    no_grace = ptp.promises(book, "2024-03", grace_days=0).set_index("loan_id")
    assert no_grace.loc["P4", "status"] == "broken"   # 03-12 is after 03-10
    assert no_grace.loc["P6", "status"] == "broken"   # its date 03-30 has passed on 03-31 without a payment


def test_summary_and_report(book, capsys):
    s = ptp.ptp_summary(ptp.promises(book, "2024-03"))
    # kept P1, P4; broken P2, P3, P5, P7, P8; pending P6: kept_rate = 2 / (2 + 5)
    assert (s["promises"], s["kept"], s["broken"], s["pending"]) == (8, 2, 5, 1)
    assert s["kept_rate"] == pytest.approx(2 / 7, abs=1e-6)
    import cli
    assert cli.main(["report", "ptp", "--as-of", "2024-03", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("promises", "kept", "broken", "pending")} == \
        {"promises": 8, "kept": 2, "broken": 5, "pending": 1}
    assert out["kept_rate"] == pytest.approx(0.285714, abs=1e-6)


def test_export_collection_actions_and_payments(book, tmp_path):
    import csv
    from data.export import export_table
    assert export_table("collection_actions", tmp_path / "a.csv") == 8
    with open(tmp_path / "a.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {"loan_id", "action_date", "channel", "outcome", "promise_amount", "promise_date"} <= set(rows[0])
    p1 = next(r for r in rows if r["loan_id"] == "P1")
    assert (p1["outcome"], float(p1["promise_amount"]), p1["promise_date"]) == ("promise_to_pay", 100.0, "2024-03-10")
    assert export_table("payments", tmp_path / "p.csv") == len(PAYMENTS)
    with open(tmp_path / "p.csv") as fh:
        pays = {r["payment_id"]: r for r in csv.DictReader(fh)}
    assert (pays["R3"]["loan_id"], pays["R3"]["payment_date"], float(pays["R3"]["amount"])) == \
        ("P3", "2024-03-20", -200.0)
