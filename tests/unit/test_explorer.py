"""Portfolio explorer (analytics/explorer.py) on a hand-checked book: segment figures by every dimension, from the
summaries and from the raw rows alike, the paged loan list, one loan's history and the top exposures."""
from __future__ import annotations

import datetime as dt

import pytest

from analytics import explorer
from analytics.filters import Filters
from tests.unit.analytics_books import path

FEB, MAR = dt.date(2024, 2, 29), dt.date(2024, 3, 31)

# The explorer book (balances in yuan). Loans: id, borrower, product, region, branch, officer, origination, grade.
LOANS = [
    ("A1", "B1", "consumer", "East", "E1", "O1", "2023-01-10", "A"),
    ("A2", "B1", "card", "East", "E1", "O1", "2023-02-20", "B"),
    ("A3", "B2", "consumer", "East", "E2", "O2", "2023-04-05", "B"),
    ("A4", "B3", "sme", "North", "N1", "O3", "2023-05-15", "C"),
    ("A5", "B4", "consumer", "North", "N1", "O3", "2023-05-30", "C"),
    ("A6", "B5", "consumer", "North", "N1", "O3", "2023-06-01", "A"),
    ("A7", "B3", "sme", "North", "N1", "O3", "2023-02-01", "C"),
    ("A8", "B6", "consumer", "East", "E2", None, "2023-07-07", None),
]
# (loan, month-end, balance, dpd, bucket). Open at 2024-03-31: A1 1000, A2 400 (45), A3 3000, A4 5000 (100),
# A5 2000 (10), A7 1500, A8 600 (35) = 13,500 in 7 loans; A6 paid off. More than 30 DPD: A2 + A4 + A8 = 6,000.
PERFORMANCE = [
    ("A1", FEB, 1100, 0, "current"), ("A1", MAR, 1000, 0, "current"),
    ("A2", FEB, 420, 15, "1-30"), ("A2", MAR, 400, 45, "31-60"),
    ("A3", FEB, 3100, 0, "current"), ("A3", MAR, 3000, 0, "current"),
    ("A4", FEB, 5000, 70, "61-90"), ("A4", MAR, 5000, 100, "91-120"),
    ("A5", FEB, 2000, 0, "current"), ("A5", MAR, 2000, 10, "1-30"),
    ("A6", FEB, 300, 0, "current"), ("A6", MAR, 0, 0, "paid_off"),
    ("A7", FEB, 1600, 0, "current"), ("A7", MAR, 1500, 0, "current"),
    ("A8", FEB, 650, 5, "1-30"), ("A8", MAR, 600, 35, "31-60"),
]
# behaviour scores at 2024-03-31 only: A1 G1, A3 G2, A5 G10, A7 G2 (A2, A4, A8 not scored)
SCORES = [("A1", "G1", 0.01), ("A3", "G2", 0.02), ("A5", "G10", 0.4), ("A7", "G2", 0.03)]


def publish_explorer_book(summaries: bool = True, scores: bool = True):
    from analytics import summaries as s
    from data import store
    with store.new_generation(start_empty=True) as con:
        for b in sorted({x[1] for x in LOANS}):
            con.execute("INSERT INTO borrowers (borrower_id, borrower_type, source) VALUES (?, ?, 'test')",
                        [b, "business" if b == "B3" else "retail"])
        con.executemany("INSERT INTO loans (loan_id, borrower_id, product, region, branch, officer, origination_date, "
                        "grade, principal, currency, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 5000, 'CNY', 'test')",
                        LOANS)
        con.executemany("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket) VALUES (?, ?, ?, ?, ?)",
                        PERFORMANCE)
        con.executemany("INSERT INTO payments (payment_id, loan_id, payment_date, amount, channel) "
                        "VALUES (?, 'A2', ?, ?, 'app')",
                        [("P1", "2024-02-10", 50), ("P2", "2024-03-05", 30), ("P3", "2024-04-02", 20)])
        con.executemany("INSERT INTO bureau (borrower_id, as_of, score) VALUES ('B1', ?, ?)",
                        [("2024-01-31", 700), ("2024-02-29", 680), ("2024-03-31", 650)])
        con.execute("INSERT INTO collection_actions (action_id, loan_id, action_date, channel, agent, outcome) "
                    "VALUES ('C1', 'A2', '2024-03-10', 'sms', NULL, 'sent')")
        con.execute("INSERT INTO collection_actions VALUES ('C2', 'A2', '2024-03-20', 'agent_call', 'K1', "
                    "'promise_to_pay', 100, '2024-03-28')")
        if scores:
            con.executemany("INSERT INTO scores (loan_id, as_of, target, model_version, pd, grade) "
                            "VALUES (?, DATE '2024-03-31', 'behaviour', 'v1', ?, ?)",
                            [(x[0], x[2], x[1]) for x in SCORES])
        if summaries:
            s.build(con)
    return store.reader().cursor()


@pytest.fixture
def book():
    return publish_explorer_book()


def table(df) -> list:
    return [(r.segment, r.loans, pytest.approx(r.balance), pytest.approx(r.dpd30_balance)) for r in df.itertuples()]


@pytest.mark.parametrize("kind", ["summary", "raw"])
def test_segments_by_every_dimension(book, kind):
    with path(kind):
        def seg(dim, **kw):
            return table(explorer.segment_table(book, MAR, dim, **kw))
        # product: consumer A1+A3+A5+A8 = 6,600 (30+: A8 600); sme A4+A7 = 6,500 (30+: A4); card A2 400 (30+)
        assert seg("product") == [("consumer", 4, 6600, 600), ("sme", 2, 6500, 5000), ("card", 1, 400, 400)]
        assert seg("region") == [("North", 3, 8500, 5000), ("East", 4, 5000, 1000)]
        assert seg("branch") == [("N1", 3, 8500, 5000), ("E2", 2, 3600, 600), ("E1", 2, 1400, 400)]
        # officer: O3 A4+A5+A7; O2 A3; O1 A1+A2; A8 has none ('' = not recorded)
        assert seg("officer") == [("O3", 3, 8500, 5000), ("O2", 1, 3000, 0), ("O1", 2, 1400, 400), ("", 1, 600, 600)]
        # cohorts in time order: Jan A1; Feb A2+A7; Apr A3; May A4+A5; Jul A8 (A6, June, is paid off)
        assert seg("cohort") == [("2023-01", 1, 1000, 0), ("2023-02", 2, 1900, 400), ("2023-04", 1, 3000, 0),
                                 ("2023-05", 2, 7000, 5000), ("2023-07", 1, 600, 600)]
        assert seg("cohort", cohort_by="quarter") == [("2023-Q1", 3, 2900, 400), ("2023-Q2", 3, 10000, 5000),
                                                      ("2023-Q3", 1, 600, 600)]
        # no scores at February: origination grade A (A1, A6) B (A2, A3) C (A4, A5, A7), A8 none
        feb = table(explorer.segment_table(book, FEB, "grade"))
        assert feb == [("A", 2, 1400, 0), ("B", 2, 3520, 0), ("C", 3, 8600, 5000), ("", 1, 650, 0)]
        # filters apply: East only -> consumer A1+A3+A8 = 4,600, card 400
        assert seg("product", filters=Filters(regions=("East",))) == [("consumer", 3, 4600, 600), ("card", 1, 400, 400)]


def test_rates_and_shares(book):
    df = explorer.segment_table(book, MAR, "product").set_index("segment")
    assert df.at["sme", "dpd30_rate"] == pytest.approx(5000 / 6500)          # 0.769
    assert df.at["consumer", "dpd30_rate_count"] == pytest.approx(1 / 4)
    assert df.at["consumer", "balance_share"] == pytest.approx(6600 / 13500)
    assert df["balance_share"].sum() == pytest.approx(1.0)


def test_risk_grade_from_the_model_when_it_scored_the_month(book):
    assert explorer.grade_source(book, MAR) == explorer.GradeSource("model", "behaviour", 4)
    assert explorer.grade_source(book, FEB) == explorer.GradeSource("origination", "", 7)
    # G1 A1; G2 A3+A7 = 4,500; G10 A5 (after G2); not scored A2+A4+A8 = 6,000, all more than 30 DPD
    assert table(explorer.segment_table(book, MAR, "grade")) == [
        ("G1", 1, 1000, 0), ("G2", 2, 4500, 0), ("G10", 1, 2000, 0), ("", 3, 6000, 6000)]


def test_risk_grade_falls_back_to_the_bucket(tiny_store):
    # the tiny book has no scores and no origination grade: the bucket at 2024-03-31 (L1 800 and L6 600 current,
    # L2 2000 at 31-60, L4 2900 at 1-30)
    assert explorer.grade_source(tiny_store, "2024-03") == explorer.GradeSource("bucket")
    assert table(explorer.segment_table(tiny_store, "2024-03", "grade")) == [
        ("current", 2, 1400, 0), ("1-30", 1, 2900, 0), ("31-60", 1, 2000, 2000)]


def test_loan_list_pages_and_orders(book):
    page = explorer.loan_list(book, MAR, "product", "consumer")
    assert list(page.rows.loan_id) == ["A3", "A5", "A1", "A8"]                   # balance 3000, 2000, 1000, 600
    assert (page.total, page.page, page.pages) == (4, 1, 1)
    by_dpd = explorer.loan_list(book, MAR, "product", "consumer", order="dpd")
    assert list(by_dpd.rows.loan_id) == ["A8", "A5", "A3", "A1"]                # dpd 35, 10, then 0 by balance
    second = explorer.loan_list(book, MAR, "product", "consumer", page=2, page_size=3)
    assert (list(second.rows.loan_id), second.page, second.pages, second.first) == (["A8"], 2, 2, 4)
    assert explorer.loan_list(book, MAR, "product", "consumer", page=9, page_size=3).page == 2      # clamped
    none = explorer.loan_list(book, MAR, "officer", "")
    assert list(none.rows.loan_id) == ["A8"] and none.rows.iloc[0].borrower_id == "B6"
    scored = explorer.loan_list(book, MAR, "grade", "G2")
    assert list(scored.rows.loan_id) == ["A3", "A7"] and list(scored.rows.model_grade) == ["G2", "G2"]
    q2 = explorer.loan_list(book, MAR, "cohort", "2023-Q2", cohort_by="quarter", filters=Filters(products=("sme",)))
    assert list(q2.rows.loan_id) == ["A4"] and q2.total == 1
    assert "name_enc" not in page.rows.columns
    with pytest.raises(ValueError):
        explorer.loan_list(book, MAR, "borrower_name", "x")


def test_one_loans_history_up_to_the_month_end(book):
    d = explorer.loan_detail(book, "A2", MAR)
    assert d.header["borrower_id"] == "B1" and d.header["product"] == "card"
    assert list(zip(d.history.dpd, d.history.balance)) == [(15, 420), (45, 400)]
    assert list(d.payments.amount) == [50, 30]                                  # P3 (April) comes later
    assert list(d.bureau.score) == [700, 680, 650]
    assert list(d.actions.outcome) == ["sent", "promise_to_pay"] and d.actions.promise_amount.iloc[1] == 100
    feb = explorer.loan_detail(book, "A2", FEB)                                  # point in time
    assert (len(feb.history), list(feb.payments.amount), list(feb.bureau.score), len(feb.actions)) == \
        (1, [50], [700, 680], 0)
    assert explorer.loan_detail(book, "nope", MAR) is None


@pytest.mark.parametrize("kind", ["summary", "raw"])
def test_top_exposures_by_borrower(book, kind):
    with path(kind):
        top = explorer.top_exposures(book, MAR, n=20)
        # B3 A4+A7 = 6,500; B2 3,000; B4 2,000; B1 A1+A2 = 1,400; B6 600 (B5's loan is paid off); book 13,500
        assert list(zip(top.borrower_id, top.loans, top.balance)) == [
            ("B3", 2, 6500), ("B2", 1, 3000), ("B4", 1, 2000), ("B1", 2, 1400), ("B6", 1, 600)]
        assert top["share"].iloc[0] == pytest.approx(6500 / 13500)
        assert top.borrower_type.iloc[0] == "business" and list(top["rank"]) == [1, 2, 3, 4, 5]
        assert explorer.top_share(top, 10) == pytest.approx(1.0)
        assert explorer.top_share(top, 2) == pytest.approx(9500 / 13500)
        three = explorer.top_exposures(book, MAR, n=3)
        assert list(three.borrower_id) == ["B3", "B2", "B4"] and three.cum_share.iloc[-1] == pytest.approx(11500 / 13500)
        north = explorer.top_exposures(book, MAR, Filters(regions=("North",)), n=20)
        assert list(zip(north.borrower_id, north.balance)) == [("B3", 6500), ("B4", 2000)]
        assert north["share"].iloc[0] == pytest.approx(6500 / 8500)


def test_a_store_without_the_explorer_summaries_computes_them(book, monkeypatch):
    # a store published before summary_segments existed still reads its other summaries: same figures, raw path
    monkeypatch.setattr(explorer, "_has_tables", lambda con, *names: False)
    assert table(explorer.segment_table(book, MAR, "officer"))[0] == ("O3", 3, pytest.approx(8500), pytest.approx(5000))


def test_product_on_the_tiny_book(tiny_store):
    # tiny book at 2024-01-31: consumer L1 1000 + L2 2000 + L3 500 (20 DPD) + L4 3000 (50) + L6 700; card L5 1500 (170)
    df = explorer.segment_table(tiny_store, "2024-01", "product")
    assert table(df) == [("consumer", 5, 7200, 3000), ("card", 1, 1500, 1500)]
