"""Early-warning signals on hand-made loans: each fires at its threshold and not just short of it.

Every case is evaluated at the month-end 2024-06-30 (the month before: 2024-05-31). `EwBook` builds the loans
(also used by test_alerts, test_reviews and test_daily_cli); each test adds a loan that sits exactly on the
threshold (fires) and one just on the other side (does not).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

import signals
from analytics.filters import PREDICATE, Filters
from data import store

MONTHS = ("2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30")
AS_OF = "2024-06"


def bucket(dpd: int) -> str:
    edges = ((0, "current"), (30, "1-30"), (60, "31-60"), (90, "61-90"), (120, "91-120"), (150, "121-150"),
             (180, "151-180"))
    return next((b for e, b in edges if dpd <= e), "180+")


class EwBook:
    """Loans with month-ends March-June 2024 and whatever bureau, account, payment and contact data a case needs."""

    def __init__(self):
        self.loans, self.perf, self.sched, self.pay = [], [], [], []
        self.bureau, self.alt, self.actions, self.scores = [], [], [], []

    def loan(self, loan_id, dpd=(0, 0, 0, 0), product="consumer", branch="E1", officer="OF1",
             origination="2023-06-15", balance=1000.0, borrower=None, terminal=None):
        """dpd per month-end in MONTHS (None: no row); terminal: the last month-end's state instead."""
        b = borrower or "B" + loan_id
        self.loans.append((loan_id, b, product, "revolving" if product == "card" else "instalment", "East", branch,
                           officer, origination))
        for m, d in zip(MONTHS, dpd):
            if d is not None:
                self.perf.append((loan_id, m, balance, d, bucket(d)))
        if terminal:
            self.perf[-1] = (loan_id, MONTHS[-1], 0.0, 0, terminal)
        return b

    def build(self, con) -> None:
        con.executemany("INSERT INTO borrowers (borrower_id, borrower_type, source) VALUES (?, 'retail', 'test') "
                        "ON CONFLICT DO NOTHING", [(x[1],) for x in self.loans])
        con.executemany("INSERT INTO loans (loan_id, borrower_id, product, product_type, region, branch, officer, "
                        "origination_date, principal, currency, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 5000, "
                        "'CNY', 'test')", self.loans)
        inserts = {
            "performance (loan_id, as_of, balance, dpd, bucket)": self.perf,
            "schedules (loan_id, instalment_no, due_date, principal_due, interest_due)": self.sched,
            "payments (payment_id, loan_id, payment_date, amount, channel, is_reversal)": self.pay,
            "bureau (borrower_id, as_of, score, inquiries_30d, delinquencies_elsewhere)": self.bureau,
            "alt_signals (borrower_id, as_of, salary_deposit, account_balance, utilisation, litigation, "
            "negative_news, phone_reachable, address_changed)": self.alt,
            "collection_actions (action_id, loan_id, action_date, channel, outcome)": self.actions,
            "scores (loan_id, as_of, target, model_version, pd, grade, reason_1)": self.scores,
        }
        for target, rows in inserts.items():
            if rows:
                n = target.count(",") + 1
                con.executemany(f"INSERT INTO {target} VALUES ({', '.join('?' * n)})", rows)

    def alt_rows(self, borrower, salary=(5000,) * 4, balance=(10000,) * 4, util=(0.3,) * 4, litigation=(False,) * 4,
                 news=(False,) * 4, reachable=(True,) * 4, moved=(False,) * 4):
        for i, m in enumerate(MONTHS):
            self.alt.append((borrower, m, salary[i], balance[i], util[i], litigation[i], news[i], reachable[i],
                             moved[i]))

    def bureau_rows(self, borrower, score=(700,) * 4, inquiries=(0,) * 4, dl=(0,) * 4):
        for i, m in enumerate(MONTHS):
            if score[i] is not None:
                self.bureau.append((borrower, m, score[i], inquiries[i], dl[i]))


def memory_con(book: EwBook) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    store.create_schema(con)
    book.build(con)
    return con


def fired(con, name, as_of=AS_OF, **kw) -> dict[str, dict]:
    df = signals.evaluate(con, name, as_of, **kw)
    return {r["loan_id"]: r for r in df.to_dict("records")}


def test_catalog_is_complete_and_described():
    assert len(signals.SIGNALS) == 15
    sql = Path(signals.SQL).read_text()
    for s in signals.SIGNALS:
        assert s.severity in signals.SEVERITIES and s.en and s.zh and f"-- name: {s.name}\n" in sql
        assert set(s.events) <= set(signals.EVENT_KINDS)
    normal = " ".join(sql.split())
    assert normal.count("$products::VARCHAR[]") == 2 * normal.count(" ".join(PREDICATE.split())) == 30
    for other in ("reviews.sql", "quality.sql"):      # the review policy and the backtest filter alike
        text = " ".join((Path(signals.SQL).parent / other).read_text().split())
        assert text.count("$products::VARCHAR[]") == 2 * text.count(" ".join(PREDICATE.split())) == 2, other


def test_first_missed_payment():
    b = EwBook()
    b.loan("FIRE", dpd=(0, 0, 0, 1))           # 1 day overdue now, current in May: fires at the 1-day edge
    b.loan("WAS", dpd=(0, 0, 3, 33))           # already overdue in May: not a first miss
    b.loan("NEW", dpd=(None, None, None, 5))   # no May row (new loan): counts as current before
    b.loan("OK", dpd=(0, 0, 0, 0))
    b.loan("PAID", dpd=(0, 0, 0, 0), terminal="paid_off")
    con = memory_con(b)
    got = fired(con, "first_missed_payment")
    assert set(got) == {"FIRE", "NEW"} and (got["FIRE"]["dpd"], got["FIRE"]["prev_dpd"]) == (1, 0)
    assert set(fired(con, "first_missed_payment", overrides={"ew_first_missed_min_dpd": 2})) == {"NEW"}


def test_partial_payment_share_edge():
    b = EwBook()
    for lid, paid in (("P949", 949.0), ("P950", 950.0), ("P0", None)):
        b.loan(lid)
        b.sched.append((lid, 1, "2024-06-10", 800.0, 200.0))          # 1,000 due in June
        b.sched.append((lid, 2, "2024-05-31", 800.0, 200.0))          # May's due: outside June
        if paid is not None:
            b.pay.append((f"p-{lid}", lid, "2024-06-12", paid, "app", False))
    b.pay.append(("p-old", "P950", "2024-05-31", -950.0, "app", True))   # May: outside the window
    got = fired(memory_con(b), "partial_payment")
    # 949 < 0.95 x 1,000 = 950 fires; 950 does not; nothing paid is a missed payment, not a partial one
    assert set(got) == {"P949"} and got["P949"]["amount_due"] == pytest.approx(1000)


def test_payment_reversed_in_the_month_only():
    b = EwBook()
    b.loan("R1")
    b.loan("R2")
    b.pay += [("a", "R1", "2024-06-01", 500.0, "app", False), ("b", "R1", "2024-06-01", -500.0, "app", True),
              ("c", "R2", "2024-05-31", -300.0, "app", True)]        # the last day of May: not June's
    got = fired(memory_con(b), "payment_reversed")
    assert set(got) == {"R1"} and got["R1"]["reversed_amount"] == pytest.approx(500)


def test_dpd_rising_two_months_running():
    b = EwBook()
    b.loan("UP", dpd=(0, 0, 5, 36))
    b.loan("FLAT", dpd=(0, 5, 5, 36))           # rose once only
    b.loan("DOWN", dpd=(0, 40, 70, 10))
    got = fired(memory_con(b), "dpd_rising")
    assert set(got) == {"UP"} and (got["UP"]["dpd_2m_ago"], got["UP"]["dpd_1m_ago"], got["UP"]["dpd"]) == (0, 5, 36)


def test_bureau_score_drop_50_points_in_3_months():
    b = EwBook()
    b.bureau_rows(b.loan("D50"), score=(720, 700, 690, 670))     # highest of Mar-May 720, now 670: 50 down
    b.bureau_rows(b.loan("D49"), score=(719, 700, 690, 670))     # 49 down
    b.bureau_rows(b.loan("STALE"), score=(720, 700, 660, None))  # no June pull: nothing new to judge
    got = fired(memory_con(b), "bureau_score_drop")
    assert set(got) == {"D50"} and (got["D50"]["score_before"], got["D50"]["score_drop"]) == (720, 50)


def test_credit_inquiries_and_new_delinquency_elsewhere():
    b = EwBook()
    b.bureau_rows(b.loan("I3"), inquiries=(0, 0, 0, 3), dl=(1, 1, 1, 1))
    b.bureau_rows(b.loan("I2"), inquiries=(0, 0, 5, 2), dl=(0, 0, 1, 2))
    con = memory_con(b)
    assert set(fired(con, "credit_inquiries")) == {"I3"}
    got = fired(con, "delinquency_elsewhere")
    assert set(got) == {"I2"} and (got["I2"]["delinquencies_before"], got["I2"]["delinquencies_now"]) == (1, 2)


def test_salary_stopped_two_months():
    b = EwBook()
    b.alt_rows(b.loan("S2"), salary=(5000, 5000, 0, 0))
    b.alt_rows(b.loan("S1"), salary=(5000, 5000, 5000, 0))       # one month without: not yet
    b.alt_rows(b.loan("NEVER"), salary=(0, 0, 0, 0))             # never had a salary here
    got = fired(memory_con(b), "salary_stopped")
    assert set(got) == {"S2"} and got["S2"]["last_salary"] == pytest.approx(5000)


def test_balance_drain_more_than_70_percent():
    b = EwBook()
    b.alt_rows(b.loan("D71"), balance=(5000, 10000, 8000, 2999))   # 10,000 -> 2,999: drained 70.01%
    b.alt_rows(b.loan("D70"), balance=(5000, 10000, 8000, 3000))   # exactly 70%: not more than
    b.alt_rows(b.loan("SMALL"), balance=(1900, 1500, 1000, 10))    # highest below 2,000: too small to matter
    got = fired(memory_con(b), "balance_drain")
    assert set(got) == {"D71"} and got["D71"]["drained_share"] == pytest.approx(0.7001)


def test_utilisation_above_90_percent():
    b = EwBook()
    b.alt_rows(b.loan("U91", product="card"), util=(0.3, 0.3, 0.3, 0.9001))
    b.alt_rows(b.loan("U90", product="card"), util=(0.3, 0.3, 0.3, 0.90))
    assert set(fired(memory_con(b), "utilisation_high")) == {"U91"}


def test_litigation_new_news_and_address():
    b = EwBook()
    b.alt_rows(b.loan("LIT"), litigation=(False, False, False, True), moved=(False, False, False, True))
    b.alt_rows(b.loan("OLD"), litigation=(False, True, True, True), news=(False, False, True, False))
    b.alt_rows(b.loan("NEWS"), news=(False, False, False, True))
    con = memory_con(b)
    assert set(fired(con, "litigation")) == {"LIT"}             # flagged since April: not new
    assert set(fired(con, "negative_news")) == {"NEWS"}         # May's news is not June's
    assert set(fired(con, "address_changed")) == {"LIT"}


def test_phone_unreachable_after_three_attempts():
    b = EwBook()
    b.alt_rows(b.loan("U3"), reachable=(True, True, True, False))   # the feed's June check: 1 failed attempt
    b.alt_rows(b.loan("U2"))
    b.loan("RESET")
    b.actions += [("a1", "U3", "2024-06-05", "robo_call", "no_answer"),
                  ("a2", "U3", "2024-06-10", "agent_call", "wrong_number"),
                  ("b1", "U2", "2024-06-05", "robo_call", "no_answer"), ("b2", "U2", "2024-06-10", "sms", "sent"),
                  ("b3", "U2", "2024-06-11", "agent_call", "no_answer"),
                  ("c1", "RESET", "2024-06-01", "agent_call", "no_answer"),
                  ("c2", "RESET", "2024-06-02", "agent_call", "no_answer"),
                  ("c3", "RESET", "2024-06-03", "agent_call", "contacted"),   # reached: earlier failures reset
                  ("c4", "RESET", "2024-06-04", "agent_call", "no_answer"),
                  ("c5", "RESET", "2024-06-05", "agent_call", "no_answer")]
    got = fired(memory_con(b), "phone_unreachable")
    assert set(got) == {"U3"} and got["U3"]["failed_attempts"] == 3   # U2: an SMS is not an attempt to reach


def test_model_pd_threshold_or_doubled():
    b = EwBook()
    for lid, prev, now in (("T30", 0.05, 0.30), ("T29", 0.20, 0.29), ("X2", 0.02, 0.04), ("X19", 0.019, 0.05)):
        b.loan(lid)
        b.scores += [(lid, "2024-05-31", "early_warning", "v1", prev, "G5", None),
                     (lid, "2024-06-30", "early_warning", "v1", now, "G6", "dpd_now")]
    b.loan("B1")
    b.scores.append(("B1", "2024-06-30", "behaviour", "v1", 0.9, "G9", None))   # another target: ignored
    got = fired(memory_con(b), "ew_model_pd")
    # 0.30 at the threshold; 0.04 = 2 x 0.02 doubled; 0.05 from 0.019 is below the 0.02 floor for doubling
    assert set(got) == {"T30", "X2"} and got["T30"]["reason_1"] == "dpd_now"


def test_filters_and_loan_restriction():
    b = EwBook()
    b.loan("E", dpd=(0, 0, 0, 9), branch="E1")
    b.loan("W", dpd=(0, 0, 0, 9), branch="W1")
    con = memory_con(b)
    assert set(fired(con, "first_missed_payment", filters=Filters(branches=("W1",)))) == {"W"}
    assert set(fired(con, "first_missed_payment", loans=["E"])) == {"E"}
    assert len(signals.evaluate_all(con, AS_OF)) == 15


def test_event_date_windows_end_at_the_event():
    """Evaluated at 2024-07-15 (an event's date) over June's book: July's pull is the newest."""
    b = EwBook()
    bor = b.loan("EV")
    b.bureau_rows(bor, score=(700, 700, 700, 700))
    b.bureau.append((bor, "2024-07-15", 640, 0, 0))
    con = memory_con(b)
    assert set(fired(con, "bureau_score_drop")) == set()
    assert set(fired(con, "bureau_score_drop", at=dt.date(2024, 7, 15))) == {"EV"}


def test_signal_quality_hand_checked():
    """Backtest over March-May with a one-month horizon (each month-end's outcome is the next month-end).

    Population (open, at most 60 DPD): A, B and C at each of March, April, May = 9 loan-months; D is always more
    than 60 DPD, so never in it. Bad next month: A in May (70 DPD in June), C in May (charged off in June): 2,
    base rate 2 / 9. first_missed_payment fires for A in April and B in May, neither bad: 2 hits, precision 0.
    dpd_rising fires for A in May (0 < 5 < 36), bad: 1 hit, precision 1, lift 1 / (2 / 9) = 4.5 (D's rising
    DPD is outside the population)."""
    from signals.quality import signal_quality
    b = EwBook()
    b.loan("A", dpd=(0, 5, 36, 70))
    b.loan("B", dpd=(0, 0, 10, 0))
    b.loan("C", dpd=(0, 0, 0, 0), terminal="charged_off")
    b.loan("D", dpd=(90, 120, 150, 170))
    df = signal_quality(memory_con(b), horizon=1, names=["first_missed_payment", "dpd_rising"]).set_index("signal")
    assert df.loc["first_missed_payment", ["hits", "bad_hits", "population", "bad"]].tolist() == [2, 0, 9, 2]
    assert df.loc["first_missed_payment", "precision"] == 0
    assert df.loc["dpd_rising", ["hits", "bad_hits"]].tolist() == [1, 1]
    assert df.loc["dpd_rising", "base_rate"] == pytest.approx(2 / 9)
    assert df.loc["dpd_rising", "lift"] == pytest.approx(4.5)
