"""The figures behind the shell and the home pages, pinned on the hand-checked tiny book (tests/conftest.py):
filter choices, bucket and 30+/90+ trends, the behaviour-model population, officers' books and collectors' queues."""
import datetime as dt

import pytest

from analytics import delinquency, population, portfolio, worklists
from analytics.filters import Filters
from analytics.worklists import Scope
from tests.conftest import build_tiny_book

JAN, FEB, MAR = dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31)

# The tiny book placed in branches, with officers, one more loan and some collection actions:
#   branch A (region East):  L1, L2 (officer OA1), L6 (officer OA2)
#   branch B (region North): L3, L4, L5, L7 (officer OB1)
#   L7 (consumer) 61-90 (85 DPD) 400 in January -> charged_off 400 in February
#   actions: L2 AG-1 2024-02-10, AG-2 2024-03-05; L4 AG-1 2024-03-20, AG-2 2024-04-02 (after March)
PLACES = {"L1": ("A", "East", "OA1"), "L2": ("A", "East", "OA1"), "L6": ("A", "East", "OA2"),
          "L3": ("B", "North", "OB1"), "L4": ("B", "North", "OB1"), "L5": ("B", "North", "OB1"),
          "L7": ("B", "North", "OB1")}
ACTIONS = [("X1", "L2", "2024-02-10", "sms", "AG-1", "sent"),
           ("X2", "L2", "2024-03-05", "agent_call", "AG-2", "no_answer"),
           ("X3", "L4", "2024-03-20", "agent_call", "AG-1", "contacted"),
           ("X4", "L4", "2024-04-02", "letter", "AG-2", "sent")]


@pytest.fixture
def placed_store(isolated_home):
    from data import store
    with store.new_generation() as con:
        build_tiny_book(con)
        con.execute("INSERT INTO borrowers (borrower_id, borrower_type, source) VALUES ('B7', 'retail', 'test')")
        con.execute("INSERT INTO loans (loan_id, borrower_id, product, origination_date, principal, currency, source) "
                    "VALUES ('L7', 'B7', 'consumer', DATE '2023-06-15', 500, 'CNY', 'test')")
        con.executemany("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket) VALUES (?, ?, ?, ?, ?)",
                        [("L7", "2024-01-31", 400, 85, "61-90"), ("L7", "2024-02-29", 400, 0, "charged_off")])
        for loan, (branch, region, officer) in PLACES.items():
            con.execute("UPDATE loans SET branch = ?, region = ?, officer = ? WHERE loan_id = ?",
                        [branch, region, officer, loan])
        con.executemany("INSERT INTO collection_actions (action_id, loan_id, action_date, channel, agent, outcome) "
                        "VALUES (?, ?, ?, ?, ?, ?)", ACTIONS)
    yield store.reader().cursor()


# ---- filter choices --------------------------------------------------------------------------------------

def test_filter_options(placed_store):
    assert portfolio.filter_options(placed_store) == {
        "products": ["card", "consumer"], "regions": ["East", "North"], "branches": ["A", "B"]}


def test_filter_options_skip_missing_values(tiny_store):
    assert portfolio.filter_options(tiny_store) == {"products": ["card", "consumer"], "regions": [], "branches": []}


# ---- bucket and rate trends ------------------------------------------------------------------------------

def test_bucket_trend_every_month_and_bucket(tiny_store):
    df = delinquency.bucket_trend(tiny_store)
    assert len(df) == 3 * 8 and list(df.columns) == ["as_of", "bucket", "loans", "balance", "loan_share",
                                                     "balance_share"]
    got = {(r.as_of, r.bucket): (r.loans, r.balance) for r in df.itertuples() if r.loans}
    assert got == {
        (JAN, "current"): (3, pytest.approx(3700)), (JAN, "1-30"): (1, pytest.approx(500)),
        (JAN, "31-60"): (1, pytest.approx(3000)), (JAN, "151-180"): (1, pytest.approx(1500)),
        (FEB, "current"): (2, pytest.approx(1350)), (FEB, "1-30"): (1, pytest.approx(2000)),
        (FEB, "61-90"): (1, pytest.approx(3000)),
        (MAR, "current"): (2, pytest.approx(1400)), (MAR, "1-30"): (1, pytest.approx(2900)),
        (MAR, "31-60"): (1, pytest.approx(2000)),
    }
    jan = df[df.as_of == JAN].set_index("bucket")
    assert jan.loc["current", "balance_share"] == pytest.approx(3700 / 8700)
    assert jan.loc["current", "loan_share"] == pytest.approx(3 / 6)
    assert df.groupby("as_of").balance_share.sum().tolist() == pytest.approx([1, 1, 1])


def test_bucket_trend_stops_at_the_as_of_and_keeps_empty_months(tiny_store):
    assert sorted(set(delinquency.bucket_trend(tiny_store, "2024-02").as_of)) == [JAN, FEB]
    cards = delinquency.bucket_trend(tiny_store, filters=Filters(products=("card",)))   # L5, charged off in Feb
    assert cards[cards.loans > 0][["as_of", "bucket", "balance_share"]].values.tolist() == [[JAN, "151-180", 1.0]]
    assert len(cards) == 24 and cards[cards.as_of == MAR].balance_share.sum() == 0


def test_delinquency_trend(tiny_store):
    df = delinquency.delinquency_trend(tiny_store).set_index("as_of")
    assert df.open_loans.tolist() == [6, 4, 4]
    assert df.balance.tolist() == pytest.approx([8700, 6350, 6300])
    assert df.dpd30_loans.tolist() == [2, 1, 1]                     # Jan L4 (50) and L5 (170); Feb L4 (80); Mar L2 (45)
    assert df.dpd30_rate_balance.tolist() == pytest.approx([4500 / 8700, 3000 / 6350, 2000 / 6300])
    assert df.dpd90_rate_balance.tolist() == pytest.approx([1500 / 8700, 0, 0])
    assert df.dpd90_rate_count.tolist() == pytest.approx([1 / 6, 0, 0])


def test_delinquency_trend_lists_months_without_matching_loans(tiny_store):
    df = delinquency.delinquency_trend(tiny_store, "2024-03", Filters(products=("card",)))
    assert df.as_of.tolist() == [JAN, FEB, MAR]                     # the as-of month is the last row, even empty
    assert df.open_loans.tolist() == [1, 0, 0] and df.dpd30_rate_balance.tolist() == pytest.approx([1.0, 0, 0])


# ---- behaviour-model population --------------------------------------------------------------------------

def test_population_excludes_default_and_waits_for_maturity(tiny_store):
    df = population.behaviour_population(tiny_store)                # 12 months, 90+: nothing is mature yet
    assert df.as_of.tolist() == [JAN, FEB, MAR]
    assert df.loans.tolist() == [5, 4, 4]                           # L5 (170 DPD) is in default in January
    assert df.balance.tolist() == pytest.approx([7200, 6350, 6300])
    assert df.bads.tolist() == [0, 0, 0] and not df.mature.any()
    assert df.months_observed.tolist() == [2, 1, 0]


def test_population_bad_rate_short_window(tiny_store):
    df = population.behaviour_population(tiny_store, horizon=1, bad_dpd=31)
    # Jan: L4 is 80 DPD in Feb (bad); L6 is not seen in Feb (counts as good). Feb: L2 is 45 DPD in March.
    assert df.bads.tolist() == [1, 1, 0]
    assert df.bad_rate.tolist() == pytest.approx([1 / 5, 1 / 4, 0])
    assert df.mature.tolist() == [True, True, False]


def test_population_uses_only_data_known_at_the_as_of(placed_store):
    feb = population.behaviour_population(placed_store, "2024-02", horizon=1)
    # L7 (85 DPD, so not in default) is charged off in February: bad. March is unknown at the end of February.
    assert feb.loans.tolist() == [6, 4] and feb.bads.tolist() == [1, 0]
    assert feb.mature.tolist() == [True, False]


def test_maturity_month():
    assert population.maturity_month(dt.date(2025, 11, 30)) == dt.date(2026, 11, 30)
    assert population.maturity_month(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)


# ---- officers' books and collectors' queues -------------------------------------------------------------

def test_scope_book_by_branch_and_officer(placed_store):
    a = worklists.scope_summary(worklists.scope_buckets(placed_store, Scope(branch="A"), "2024-03"))
    assert a == {"open_loans": 3, "balance": pytest.approx(3400), "delinquent_loans": 1,
                 "delinquent_balance": pytest.approx(2000), "dpd30_rate_balance": pytest.approx(2000 / 3400)}
    oa1 = worklists.scope_buckets(placed_store, Scope(officer="OA1"), "2024-03").set_index("bucket")
    assert oa1.loans[oa1.loans > 0].to_dict() == {"current": 1, "31-60": 1}
    b = worklists.scope_summary(worklists.scope_buckets(placed_store, Scope(branch="B"), "2024-03"))
    assert (b["open_loans"], b["delinquent_loans"], b["dpd30_rate_balance"]) == (1, 1, 0.0)   # L4, 10 DPD


def test_delinquent_loans_worst_first(placed_store):
    jan = worklists.delinquent_loans(placed_store, Scope(branch="B"), "2024-01")
    assert jan[["loan_id", "dpd", "bucket"]].values.tolist() == [
        ["L5", 170, "151-180"], ["L7", 85, "61-90"], ["L4", 50, "31-60"], ["L3", 20, "1-30"]]
    assert jan.balance.tolist() == pytest.approx([1500, 400, 3000, 500])


def test_queue_by_agent_of_the_latest_action_up_to_the_month_end(placed_store):
    q = worklists.delinquent_loans(placed_store, Scope(agent="AG-2"), "2024-03")
    assert q[["loan_id", "last_action_date", "last_channel", "last_outcome"]].values.tolist() == [
        ["L2", dt.date(2024, 3, 5), "agent_call", "no_answer"]]
    assert worklists.delinquent_loans(placed_store, Scope(agent="AG-1"), "2024-03").loan_id.tolist() == ["L4"]
    summary = worklists.queue_summary(q)
    assert summary == {"loans": 1, "balance": pytest.approx(2000), "overdue_amount": 0.0, "dpd90_loans": 0}


def test_scope_and_global_filters_combine(placed_store):
    assert worklists.delinquent_loans(placed_store, Scope(branch="B"), "2024-01",
                                      Filters(products=("card",))).loan_id.tolist() == ["L5"]
    with pytest.raises(ValueError, match="needs an officer, a branch or an agent"):
        worklists.scope_buckets(placed_store, Scope(), "2024-03")
