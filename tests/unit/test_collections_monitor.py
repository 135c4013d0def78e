"""Collection performance over time on a hand-made book: contact / RPC / PTP rates by month, agent and team, cure,
roll-forward and collected vs due by month and bucket, recoveries after charge-off, PTP kept rate by month; each
inside the sidebar filters, with the actions collectors record on My queue counted once."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.filters import Filters
from collection import daily, figures, monitor, work

D = dt.date
JAN, FEB, MAR = D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31)
# loan -> (product, region, branch)
LOANS = {"L1": ("consumer", "R1", "B1"), "L2": ("card", "R1", "B1"), "L3": ("consumer", "R2", "B2"),
         "L4": ("card", "R2", "B2"), "L0": ("consumer", "R1", "B1"), "L9": ("card", "R2", "B2")}
# loan -> {month-end: (bucket, overdue_amount, amount_due)}; L4 is not observed at 03-31
PERF = {
    "L1": {JAN: ("1-30", 100, 0), FEB: ("current", 0, 50), MAR: ("current", 0, 50)},
    "L2": {JAN: ("1-30", 200, 0), FEB: ("31-60", 260, 60), MAR: ("paid_off", 0, 0)},
    "L3": {JAN: ("31-60", 300, 0), FEB: ("31-60", 370, 70), MAR: ("charged_off", 0, 0)},
    "L4": {JAN: ("current", 0, 0), FEB: ("1-30", 40, 40)},
    "L0": {}, "L9": {},                                         # charged off before the window (dispositions only)
}
DPD = {"1-30": 10, "31-60": 40}
PAYMENTS = [("P1", "L1", "2024-02-10", 150, False), ("P2", "L2", "2024-02-20", 100, False),
            ("R2", "L2", "2024-02-25", -40, True),           # an unlinked reversal: net 60 in February
            ("P3", "L3", "2024-03-05", 20, False), ("P4", "L4", "2024-03-15", 30, False)]
# (loan, date, channel, agent, outcome)
ACTIONS = [("L2", "2024-01-15", "agent_call", "AG1", "contacted"),
           ("L2", "2024-02-05", "agent_call", "AG1", "contacted"), ("L2", "2024-02-06", "agent_call", "AG1", "no_answer"),
           ("L2", "2024-02-07", "agent_call", "AG1", "promise_to_pay"),     # 100 by 02-20: P2 keeps it
           ("L1", "2024-02-08", "robo_call", None, "no_answer"),
           ("L1", "2024-02-09", "sms", None, "sent"),                       # not a person channel: left out
           ("L3", "2024-03-02", "field_visit", "AG2", "wrong_number"), ("L3", "2024-03-03", "agent_call", "AG2", "refused")]
DISPOSITIONS = [("D1", "L0", "2024-01-31", "charge_off", 1000), ("D2", "L0", "2024-02-10", "recovery", 100),
                ("D3", "L9", "2024-03-20", "recovery", 50), ("D4", "L3", "2024-03-31", "charge_off", 500)]
CARD, R2 = Filters(products=("card",)), Filters(regions=("R2",))


@pytest.fixture
def book(isolated_home):
    from data import store
    with store.new_generation() as con:
        for loan, (product, region, branch) in LOANS.items():
            con.execute("INSERT INTO borrowers (borrower_id, borrower_type, source) VALUES (?, 'retail', 'test')",
                        [f"B{loan}"])
            con.execute("INSERT INTO loans (loan_id, borrower_id, product, region, branch, origination_date, "
                        "principal, currency, source) VALUES (?, ?, ?, ?, ?, DATE '2023-06-15', 5000, 'CNY', 'test')",
                        [loan, f"B{loan}", product, region, branch])
            for month, (bucket, overdue, due) in PERF[loan].items():
                con.execute("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket, overdue_amount, "
                            "amount_due) VALUES (?, ?, 1000, ?, ?, ?, ?)", [loan, month, DPD.get(bucket, 0), bucket,
                                                                             overdue, due])
        con.executemany("INSERT INTO payments (payment_id, loan_id, payment_date, amount, channel, is_reversal) "
                        "VALUES (?, ?, ?, ?, 'app', ?)", PAYMENTS)
        for i, (loan, day, channel, agent, outcome) in enumerate(ACTIONS):
            ptp = outcome == "promise_to_pay"
            con.execute("INSERT INTO collection_actions (action_id, loan_id, action_date, channel, agent, outcome, "
                        "promise_amount, promise_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [f"A{i}", loan, day, channel, agent, outcome, 100 if ptp else None,
                         "2024-02-20" if ptp else None])
        con.executemany("INSERT INTO dispositions (disposition_id, loan_id, disposition_date, kind, amount) "
                        "VALUES (?, ?, ?, ?, ?)", DISPOSITIONS)
    figures._memo.clear()
    yield store.reader().cursor()
    figures._memo.clear()


def _contact(con, flt=None) -> pd.DataFrame:
    return monitor.contact_by(monitor.trends(con, MAR, flt)["contact_trend"], ("month",)).set_index("month")


def test_contact_rates_by_month_agent_and_team(book):
    by_month = _contact(book)
    # January: one answered agent call; February: 4 attempts (3 agent calls on L2, 1 robo call on L1), answered:
    # contacted and the promise (2), right party 2, 1 promise
    assert by_month.loc[JAN, ["attempts", "contacts", "right_party", "promises"]].tolist() == [1, 1, 1, 0]
    assert by_month.loc[FEB, ["attempts", "contacts", "right_party", "promises"]].tolist() == [4, 2, 2, 1]
    assert by_month.loc[FEB, ["contact_rate", "rpc_rate", "ptp_rate"]].tolist() == pytest.approx([0.5, 0.5, 0.5])
    # March: wrong number (answered, not the borrower) and refused (the borrower): contact 2/2, RPC 1/2, PTP 0/1
    assert by_month.loc[MAR, ["contact_rate", "rpc_rate", "ptp_rate"]].tolist() == pytest.approx([1.0, 0.5, 0.0])
    daily.set_agent("AG1", 10, "R1", actor="t")
    daily.set_agent("AG2", 10, None, actor="t")
    trend = monitor.trends(book, MAR)["contact_trend"]
    teams = monitor.contact_by(trend, ("team",)).set_index("team")
    assert teams["attempts"].to_dict() == {"": 1, "*": 2, "R1": 4}     # robo call (no agent), AG2, AG1
    assert teams.loc["R1", "ptp_rate"] == pytest.approx(1 / 3)       # AG1: 3 right-party contacts, 1 promise


def test_contact_rates_honour_the_filters(book):
    # card loans (L2, L4, L9): February's three agent calls on L2: contact 2/3, RPC 2/3, PTP 1/2; nothing in March
    card = _contact(book, CARD)
    assert card.loc[FEB, ["attempts", "contacts", "right_party", "promises"]].tolist() == [3, 2, 2, 1]
    assert card.loc[FEB, "contact_rate"] == pytest.approx(2 / 3) and MAR not in card.index
    # region R2 (L3, L4, L9): only March's two actions on L3
    r2 = _contact(book, R2)
    assert list(r2.index) == [MAR] and r2.loc[MAR, ["attempts", "rpc_rate"]].tolist() == pytest.approx([2, 0.5])
    # a filter matching no loan shows nothing; filters on two dimensions intersect (card in R1: L2 only)
    assert _contact(book, Filters(branches=("nowhere",))).empty
    assert _contact(book, Filters(products=("card",), regions=("R1",)))["attempts"].sum() == 4   # Jan 1 + Feb 3


def test_cure_roll_and_collected_vs_due_by_month_and_bucket(book):
    out = monitor.trends(book, MAR)["bucket_outcomes"]
    rows = {(r.month, r.bucket): (r.accounts, r.cured, r.rolled, r.collected, r.due) for r in out.itertuples()}
    assert rows == {
        # January: L1 1-30 -> current (cured, paid 150, due 100 + 50), L2 1-30 -> 31-60 (rolled, 100 - 40, 200 + 60)
        (JAN, "1-30"): (2, 1, 1, pytest.approx(210.0), pytest.approx(410.0)),
        (JAN, "31-60"): (1, 0, 0, pytest.approx(0.0), pytest.approx(370.0)),     # L3 stays; 300 + 70
        # February: L2 -> paid off (cured), L3 -> charged off (rolled, paid 20 in March); L4 unseen at 03-31: out
        (FEB, "31-60"): (2, 1, 1, pytest.approx(20.0), pytest.approx(630.0)),   # 260 + 0 and 370 + 0
    }
    by_month = monitor.outcome_rates(out, ("month",)).set_index("month")
    assert by_month.loc[JAN, ["cure_rate", "roll_forward_rate"]].tolist() == pytest.approx([1 / 3, 1 / 3])
    assert by_month.loc[JAN, "collected_vs_due"] == pytest.approx(210 / 780)
    # card only (L2): January rolled (collected 60 of due 260), February cured (0 of 260)
    card = monitor.outcome_rates(monitor.trends(book, MAR, CARD)["bucket_outcomes"], ("month",)).set_index("month")
    assert card.loc[JAN, ["accounts", "cure_rate", "roll_forward_rate"]].tolist() == pytest.approx([1, 0, 1])
    assert card.loc[JAN, "collected_vs_due"] == pytest.approx(60 / 260)
    assert card.loc[FEB, ["accounts", "cure_rate", "collected_vs_due"]].tolist() == pytest.approx([1, 1, 0])


def test_recoveries_after_charge_off(book):
    rec = monitor.trends(book, MAR)["recoveries"].set_index("month")
    assert rec["charged_off"].tolist() == [1000, 0, 500] and rec["recovered"].tolist() == [0, 100, 50]
    # cumulative recovered / cumulative charged off: 0 / 1000, 100 / 1000, 150 / 1500
    assert rec["recovery_rate"].tolist() == pytest.approx([0.0, 0.1, 0.1])
    # consumer loans (L0, L3): L9's recovery is left out: 100 / 1500 at March
    consumer = monitor.trends(book, MAR, Filters(products=("consumer",)))["recoveries"].set_index("month")
    assert consumer.loc[MAR, "recovery_rate"] == pytest.approx(100 / 1500)


def test_ptp_kept_rate_by_month(book):
    kept = monitor.trends(book, MAR)["kept_by_month"].set_index("month")
    # the promise of 02-07 (100 by 02-20, 2 days' grace): P2 pays 100 on 02-20, the reversal of 02-25 is after it
    assert kept.loc[FEB, ["promises", "kept", "broken", "pending", "kept_rate"]].tolist() == [1, 1, 0, 0, 1.0]
    assert monitor.trends(book, MAR, R2)["kept_by_month"].empty        # no promise on an R2 loan
    promises = pd.DataFrame({"month": [FEB, FEB, FEB, MAR], "agent": ["A", "A", "", "B"],
                             "status": ["kept", "broken", "kept", "pending"], "promises": [2, 1, 1, 1]})
    g = monitor.ptp_by(promises, ("month",)).set_index("month")
    # February: 3 kept, 1 broken -> 3/4; March: only pending -> no rate yet
    assert g.loc[FEB, ["promises", "kept", "broken", "pending"]].tolist() == [4, 3, 1, 0]
    assert g.loc[FEB, "kept_rate"] == pytest.approx(3 / 4) and pd.isna(g.loc[MAR, "kept_rate"])
    assert monitor.ptp_by(promises, ("agent",)).set_index("agent")["promises"].to_dict() == {"": 1, "A": 3, "B": 1}


def test_a_recorded_action_moves_the_rates_and_counts_once_when_imported(book):
    from data import store
    before = _contact(book).loc[MAR]
    assert before[["attempts", "contact_rate", "rpc_rate"]].tolist() == pytest.approx([2, 1.0, 0.5])
    # what the My queue form calls: an unanswered agent call on L3 in March
    rid = work.record_action("L3", FEB, D(2024, 3, 10), "agent_call", "no_answer", agent="AG2", actor="col")
    after = _contact(book).loc[MAR]
    # March: 3 attempts, 2 answered, 1 right party: contact 2/3 (down 1/3), RPC 1/3 (down 1/6)
    assert after[["attempts", "contacts", "right_party"]].tolist() == [3, 2, 1]
    assert after["contact_rate"] - before["contact_rate"] == pytest.approx(-1 / 3)
    assert after["rpc_rate"] == pytest.approx(1 / 3)
    assert _contact(book, CARD).loc[FEB, "attempts"] == 3 and MAR not in _contact(book, CARD).index  # L3 is no card
    # the same action comes back from the core system with its id W<rid>: counted once, as the imported row
    with store.new_generation() as con:
        con.execute("INSERT INTO collection_actions (action_id, loan_id, action_date, channel, agent, outcome) "
                    "VALUES (?, 'L3', DATE '2024-03-10', 'agent_call', 'AG2', 'no_answer')", [f"W{rid}"])
    again = _contact(store.reader().cursor()).loc[MAR]
    assert again[["attempts", "contacts", "right_party"]].tolist() == [3, 2, 1]


def test_a_recorded_promise_and_its_cost(book):
    rid = work.record_action("L3", FEB, D(2024, 3, 4), "agent_call", "promise_to_pay", agent="AG2", actor="col",
                             promise_amount=20.0, promise_date=D(2024, 3, 10))
    # kept: P3 pays 20 on 03-05; March now has 3 attempts, 2 right party, 1 promise
    kept = monitor.trends(book, MAR)["kept_by_month"].set_index("month")
    assert kept.loc[MAR, ["promises", "kept", "kept_rate"]].tolist() == [1, 1, 1.0]
    assert _contact(book).loc[MAR, ["attempts", "right_party", "ptp_rate"]].tolist() == pytest.approx([3, 2, 0.5])
    # cost: L3's March actions, field visit 80 + agent call 4 (book) + the recorded agent call 4
    accounts = monitor.assigned_accounts(book, MAR).set_index("loan_id")
    assert accounts.loc["L3", "cost"] == pytest.approx(88.0)
    assert f"W{rid}" in set(work.recorded()["action_id"])


def test_filtered_comparison_and_drill_equal_the_subset_by_hand(book):
    from collection.compare import compare_arms
    everyone = monitor.assigned_accounts(book, MAR)
    # assigned at 02-29: L2, L3 (31-60) and L4 (1-30, unseen at 03-31: out)
    assert sorted(everyone["loan_id"]) == ["L2", "L3"]
    card = monitor.assigned_accounts(book, MAR, CARD)
    assert card["loan_id"].tolist() == ["L2"]
    pd.testing.assert_frame_equal(monitor.comparison(book, MAR, None, CARD),
                                  compare_arms(everyone[everyone["product"] == "card"]))
    seg = everyone.set_index("loan_id").at["L2", "segment"]
    assert monitor.accounts(book, MAR, "segment", seg, CARD)["loan_id"].tolist() == ["L2"]
    by_bucket = monitor.breakdown_of(book, MAR, "bucket", CARD).set_index("bucket")
    assert by_bucket.loc["31-60", ["accounts", "cure_rate"]].tolist() == pytest.approx([1, 1.0])   # L2 paid off


def test_every_figure_query_spells_the_shared_filter_predicate():
    from pathlib import Path

    from analytics.filters import PREDICATE
    text = " ".join(Path(monitor.SQL).read_text().split())
    # contact_trend, promise_counts, bucket_outcomes, recoveries, outcomes, outcome_counts
    assert text.count("$products::VARCHAR[]") == 2 * text.count(" ".join(PREDICATE.split())) == 2 * 6


def test_breakdown_joins_what_each_dimension_has():
    contacts = pd.DataFrame({"month": [MAR] * 3, "channel": ["agent_call", "agent_call", "robo_call"],
                             "agent": ["A", "B", ""], "team": ["R1", "R2", ""], "attempts": [4, 2, 5],
                             "contacts": [2, 2, 1], "right_party": [2, 1, 0], "promises": [1, 0, 0]})
    promises = pd.DataFrame({"month": [MAR, MAR], "agent": ["A", "A"], "team": ["R1", "R1"],
                             "channel": ["agent_call", "agent_call"], "status": ["kept", "broken"],
                             "promises": [1, 1]})
    outcomes = pd.DataFrame({"loan_id": ["x", "y", "z"], "agent": ["A", "A", None], "team": ["R1", "R1", ""],
                             "strategy": ["s", "s", "t"], "cured": [True, False, False],
                             "rolled": [False, True, False], "collected": [100.0, 0.0, 50.0],
                             "due": [200.0, 100.0, 50.0], "cost": [4.0, 8.0, 0.3]})
    by_agent = monitor.breakdown(contacts, promises, outcomes, "agent").set_index("agent")
    # A: attempts 4, contact 2/4, RPC 2/4, PTP 1/2; promises 2, kept 1/(1+1); accounts x, y: cure 1/2, roll 1/2,
    # collected 100 of due 300, cost 12 per 100 collected
    assert by_agent.loc["A", ["attempts", "contact_rate", "rpc_rate", "ptp_rate", "promises", "kept_rate"]].tolist() \
        == pytest.approx([4, 0.5, 0.5, 0.5, 2, 0.5])
    assert by_agent.loc["A", ["accounts", "cure_rate", "roll_forward_rate", "collected_vs_due",
                              "cost_per_unit_collected"]].tolist() == pytest.approx([2, 0.5, 0.5, 1 / 3, 0.12])
    assert by_agent.loc["B", "attempts"] == 2 and pd.isna(by_agent.loc["B", "accounts"])   # B has no account
    by_team = monitor.breakdown(contacts, promises, outcomes, "team").set_index("team")
    assert by_team.loc["", "accounts"] == 1 and by_team.loc["", "collected_vs_due"] == pytest.approx(1.0)
    by_strategy = monitor.breakdown(contacts, promises, outcomes, "strategy")
    assert list(by_strategy.columns)[:3] == ["strategy", "accounts", "cure_rate"]        # no contacts by strategy
    by_channel = monitor.breakdown(contacts, promises, outcomes, "channel").set_index("channel")
    assert by_channel.loc["agent_call", "rpc_rate"] == pytest.approx(3 / 6)
    outcomes = pd.DataFrame({"loan_id": ["x", "y", "z"], "agent": ["A", None, "A"], "collected": [5.0, 9.0, 7.0]})
    assert monitor.drill(outcomes, "agent", "A")["loan_id"].tolist() == ["z", "x"]
    assert monitor.drill(outcomes, "agent", "")["loan_id"].tolist() == ["y"]
