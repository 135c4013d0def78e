"""Collection performance figures on hand-made actions and outcomes: contact, right-party contact and PTP rates by
channel and agent; cure, roll-forward, collected against due and cost by group; PTP kept rate by agent."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from collection import performance

ACTIONS = [   # (channel, agent, outcome, date): all in March 2024 but the last
    ("agent_call", "AG1", "contacted", "2024-03-02"), ("agent_call", "AG1", "no_answer", "2024-03-03"),
    ("agent_call", "AG1", "promise_to_pay", "2024-03-04"), ("agent_call", "AG1", "wrong_number", "2024-03-05"),
    ("robo_call", None, "no_answer", "2024-03-02"), ("robo_call", None, "contacted", "2024-03-06"),
    ("sms", None, "sent", "2024-03-01"), ("field_visit", "AG2", "paid", "2024-03-20"),
    ("agent_call", "AG2", "contacted", "2024-02-20"),
]


@pytest.fixture
def con(isolated_home):
    from data import store
    with store.new_generation() as c:
        c.execute("INSERT INTO borrowers (borrower_id, borrower_type, source) VALUES ('B1', 'retail', 'test')")
        c.execute("INSERT INTO loans (loan_id, borrower_id, product, origination_date, principal, currency, source) "
                  "VALUES ('L1', 'B1', 'consumer', DATE '2023-06-15', 5000, 'CNY', 'test')")
        for i, (channel, agent, outcome, day) in enumerate(ACTIONS):
            promise = (100, "2024-03-10") if outcome == "promise_to_pay" else (None, None)
            c.execute("INSERT INTO collection_actions VALUES (?, 'L1', ?, ?, ?, ?, ?, ?)",
                      [f"A{i}", day, channel, agent, outcome, *promise])
    yield store.reader().cursor()


def test_contact_rates_by_channel_and_agent(con):
    by_channel = performance.contact_rates(con, dt.date(2024, 3, 31)).set_index("channel")
    # agent_call: 4 attempts, 3 answered (not no_answer), 2 right party (contacted, promise), 1 promise
    # robo_call: 2, 1, 1, 0; field_visit: 1, 1, 1 (paid), 0; sms is not an attempt; February is left out
    assert by_channel[["attempts", "contacts", "right_party", "promises"]].loc["agent_call"].tolist() == [4, 3, 2, 1]
    assert by_channel.loc["agent_call", ["contact_rate", "rpc_rate", "ptp_rate"]].tolist() == \
        pytest.approx([0.75, 0.5, 0.5])
    assert by_channel.loc["robo_call", ["contact_rate", "rpc_rate", "ptp_rate"]].tolist() == \
        pytest.approx([0.5, 0.5, 0.0])
    assert "sms" not in by_channel.index and by_channel.loc["field_visit", "attempts"] == 1
    by_agent = performance.contact_rates(con, dt.date(2024, 3, 31), by="agent").set_index("agent")
    assert by_agent.loc["AG2", "attempts"] == 1 and by_agent.loc["", "attempts"] == 2
    with pytest.raises(ValueError):
        performance.contact_rates(con, dt.date(2024, 3, 31), by="branch")


def test_outcomes_by_group_and_ptp_by_agent():
    out = pd.DataFrame({"loan_id": ["a", "b", "c", "d"], "bucket": ["1-30", "1-30", "1-30", "31-60"],
                        "agent": ["X", "X", None, "X"], "cured": [True, False, False, True],
                        "rolled": [False, True, False, False], "collected": [100.0, 0.0, 50.0, 300.0],
                        "due": [100.0, 200.0, 100.0, 400.0], "cost": [4.0, 8.0, 0.05, 80.0]})
    g = performance.outcomes_by(out, "bucket").set_index("bucket")
    # 1-30: 3 accounts, 1 cured, 1 rolled, collected 150 of due 400, cost 12.05 -> 12.05 / 150
    assert g.loc["1-30", ["accounts", "cure_rate", "roll_forward_rate", "collected_vs_due"]].tolist() == \
        pytest.approx([3, 1 / 3, 1 / 3, 150 / 400])
    assert g.loc["1-30", "cost_per_unit_collected"] == pytest.approx(12.05 / 150)
    a = performance.outcomes_by(out, "agent").set_index("agent")
    assert a.loc["X", "accounts"] == 3 and a.loc["", "collected"] == pytest.approx(50.0)
    pr = pd.DataFrame({"agent": ["X", "X", "X", "Y"], "status": ["kept", "broken", "pending", "broken"]})
    k = performance.ptp_by_agent(pr).set_index("agent")
    assert k.loc["X", ["promises", "kept", "broken", "pending"]].tolist() == [3, 1, 1, 1]
    assert k.loc["X", "kept_rate"] == pytest.approx(0.5) and k.loc["Y", "kept_rate"] == pytest.approx(0.0)
    assert np.isnan(performance.ptp_by_agent(pr[pr.status == "pending"]).loc[0, "kept_rate"])
