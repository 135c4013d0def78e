"""Collection performance over time on a hand-made book: contact / RPC / PTP rates by month, agent and team, cure,
roll-forward and collected vs due by month and bucket, recoveries after charge-off, PTP kept rate by month."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from collection import daily, monitor

D = dt.date
JAN, FEB, MAR = D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31)
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
# (date, channel, agent, outcome)
ACTIONS = [("2024-01-15", "agent_call", "AG1", "contacted"),        # before the window: left out
           ("2024-02-05", "agent_call", "AG1", "contacted"), ("2024-02-06", "agent_call", "AG1", "no_answer"),
           ("2024-02-07", "agent_call", "AG1", "promise_to_pay"), ("2024-02-08", "robo_call", None, "no_answer"),
           ("2024-02-09", "sms", None, "sent"),                       # not a person channel: left out
           ("2024-03-02", "field_visit", "AG2", "wrong_number"), ("2024-03-03", "agent_call", "AG2", "refused")]
DISPOSITIONS = [("D1", "L0", "2024-01-31", "charge_off", 1000), ("D2", "L0", "2024-02-10", "recovery", 100),
                ("D3", "L9", "2024-03-20", "recovery", 50), ("D4", "L3", "2024-03-31", "charge_off", 500)]


@pytest.fixture
def book(isolated_home):
    from data import store
    with store.new_generation() as con:
        for loan, rows in PERF.items():
            con.execute("INSERT INTO borrowers (borrower_id, borrower_type, source) VALUES (?, 'retail', 'test')",
                        [f"B{loan}"])
            con.execute("INSERT INTO loans (loan_id, borrower_id, product, region, origination_date, principal, "
                        "currency, source) VALUES (?, ?, 'consumer', 'R1', DATE '2023-06-15', 5000, 'CNY', 'test')",
                        [loan, f"B{loan}"])
            for month, (bucket, overdue, due) in rows.items():
                con.execute("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket, overdue_amount, "
                            "amount_due) VALUES (?, ?, 1000, ?, ?, ?, ?)",
                            [loan, month, DPD.get(bucket, 0), bucket,
                             overdue, due])
        con.executemany("INSERT INTO payments (payment_id, loan_id, payment_date, amount, channel, is_reversal) "
                        "VALUES (?, ?, ?, ?, 'app', ?)", PAYMENTS)
        for i, (day, channel, agent, outcome) in enumerate(ACTIONS):
            ptp = outcome == "promise_to_pay"
            con.execute("INSERT INTO collection_actions (action_id, loan_id, action_date, channel, agent, outcome, "
                        "promise_amount, promise_date) VALUES (?, 'L2', ?, ?, ?, ?, ?, ?)",
                        [f"A{i}", day, channel, agent, outcome, 100 if ptp else None, "2024-02-20" if ptp else None])
        con.executemany("INSERT INTO dispositions (disposition_id, loan_id, disposition_date, kind, amount) "
                        "VALUES (?, ?, ?, ?, ?)", DISPOSITIONS)
    yield store.reader().cursor()


def test_contact_rates_by_month_agent_and_team(book):
    trend = monitor.contact_trend(book, MAR, months=2)
    by_month = monitor.contact_by(trend, ("month",)).set_index("month")
    # February: 4 attempts (3 agent calls, 1 robo call); answered: contacted, promise (2); right party 2; 1 promise
    assert by_month.loc[FEB, ["attempts", "contacts", "right_party", "promises"]].tolist() == [4, 2, 2, 1]
    assert by_month.loc[FEB, ["contact_rate", "rpc_rate", "ptp_rate"]].tolist() == pytest.approx([0.5, 0.5, 0.5])
    # March: wrong number (answered, not the borrower) and refused (the borrower): contact 2/2, RPC 1/2, PTP 0/1
    assert by_month.loc[MAR, ["contact_rate", "rpc_rate", "ptp_rate"]].tolist() == pytest.approx([1.0, 0.5, 0.0])
    daily.set_agent("AG1", 10, "R1", actor="t")
    daily.set_agent("AG2", 10, None, actor="t")
    teams = monitor.contact_by(monitor.with_team(trend, monitor.teams()), ("team",)).set_index("team")
    assert teams["attempts"].to_dict() == {"": 1, "*": 2, "R1": 3}     # robo call (no agent), AG2, AG1
    assert teams.loc["R1", "ptp_rate"] == pytest.approx(1 / 2)


def test_cure_roll_and_collected_vs_due_by_month_and_bucket(book):
    out = monitor.bucket_outcomes(book, MAR, months=2)
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


def test_recoveries_after_charge_off(book):
    rec = monitor.recoveries(book, MAR).set_index("month")
    assert rec["charged_off"].tolist() == [1000, 0, 500] and rec["recovered"].tolist() == [0, 100, 50]
    # cumulative recovered / cumulative charged off: 0 / 1000, 100 / 1000, 150 / 1500
    assert rec["recovery_rate"].tolist() == pytest.approx([0.0, 0.1, 0.1])


def test_ptp_kept_rate_by_month_and_drill():
    promises = pd.DataFrame({"made_on": [D(2024, 2, 3), D(2024, 2, 9), D(2024, 2, 20), D(2024, 3, 1)],
                             "agent": ["A", "A", None, "B"], "status": ["kept", "broken", "kept", "pending"]})
    g = monitor.ptp_by(promises, ("month",)).set_index("month")
    # February: 2 kept, 1 broken -> 2/3; March: only pending -> no rate yet
    assert g.loc[FEB, ["promises", "kept", "broken", "pending"]].tolist() == [3, 2, 1, 0]
    assert g.loc[FEB, "kept_rate"] == pytest.approx(2 / 3) and pd.isna(g.loc[MAR, "kept_rate"])
    assert monitor.ptp_by(promises, ("agent",)).set_index("agent")["promises"].to_dict() == {"": 1, "A": 2, "B": 1}
    outcomes = pd.DataFrame({"loan_id": ["x", "y", "z"], "agent": ["A", None, "A"], "collected": [5.0, 9.0, 7.0]})
    assert monitor.drill(outcomes, "agent", "A")["loan_id"].tolist() == ["z", "x"]
    assert monitor.drill(outcomes, "agent", "")["loan_id"].tolist() == ["y"]


def test_breakdown_joins_what_each_dimension_has():
    contacts = pd.DataFrame({"month": [MAR] * 3, "channel": ["agent_call", "agent_call", "robo_call"],
                             "agent": ["A", "B", ""], "team": ["R1", "R2", ""], "attempts": [4, 2, 5],
                             "contacts": [2, 2, 1], "right_party": [2, 1, 0], "promises": [1, 0, 0]})
    promises = pd.DataFrame({"made_on": [D(2024, 3, 3), D(2024, 3, 4)], "agent": ["A", "A"], "team": ["R1", "R1"],
                             "channel": ["agent_call", "agent_call"], "status": ["kept", "broken"]})
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


def test_stored_performance_is_what_was_computed(book):
    # the page reads what the daily run kept; it must be the same frames as computing them now
    assert monitor.stored_performance(MAR) is None
    now = monitor.compute_performance(book, MAR, months=2)
    summary = monitor.store_performance(book, MAR, months=2)
    kept = monitor.stored_performance(MAR)
    assert summary["frames"] == len(kept) == len(now)
    for name in ("contact_trend", "bucket_outcomes", "recoveries", "breakdown_agent", "compare_*"):
        pd.testing.assert_frame_equal(kept[name].reset_index(drop=True), now[name].reset_index(drop=True),
                                      check_dtype=False)
    assert kept["bucket_outcomes"].set_index(["month", "bucket"]).loc[(JAN, "1-30"), "cured"] == 1
