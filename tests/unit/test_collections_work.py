"""A collector's recorded actions on hand-made accounts (the book of test_collections_assign): validation naming
the field, audit, the queue with scheduled steps, and recorded actions read by the next-action logic and the
promise-to-pay judge."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from collection import daily, ptp, strategy, work
from data import workflow
from data.errors import DataError
from tests.unit.test_collections_assign import AS_OF, STRATEGY, build_book

D = dt.date


@pytest.fixture
def book(isolated_home):
    from data import store
    with store.new_generation() as con:
        build_book(con)
        # A1 pays 99.00 on 04-01 (after the month-end): keeps a promise of 100 (tolerance 1%)
        con.execute("INSERT INTO payments (payment_id, loan_id, payment_date, amount, channel, is_reversal) "
                    "VALUES ('PA1', 'A1', DATE '2024-04-01', 99.00, 'app', false)")
    strategy.save(STRATEGY, note="test", actor="tester")
    for agent, region, cap in (("X", "R2", 2), ("Y", "R2", 1), ("Z", None, 5)):
        daily.set_agent(agent, cap, region, actor="tester")
    yield store.reader().cursor()


def _rec(loan, day, channel="agent_call", outcome="contacted", **kw):
    return work.record_action(loan, AS_OF, day, channel, outcome, agent=kw.pop("agent", "X"), actor="col", **kw)


@pytest.mark.parametrize("kw,field", [
    (dict(outcome="promised"), "outcome"),
    (dict(channel="pigeon"), "channel"),
    (dict(outcome="promise_to_pay"), "promise_amount"),
    (dict(outcome="promise_to_pay", promise_amount=100.0, promise_date=D(2024, 3, 1)), "promise_date"),
    (dict(promise_amount=50.0), "promise_amount"),
    (dict(next_action="sms"), "next_action_date"),
    (dict(next_action="sms", next_action_date=D(2024, 3, 1)), "next_action_date"),
    (dict(next_action="fax", next_action_date=D(2024, 4, 5)), "next_action"),
])
def test_refused_with_the_field_named(isolated_home, kw, field):
    with pytest.raises(DataError, match=f"action refused: {field}:"):
        _rec("A1", D(2024, 4, 2), **kw)
    assert work.recorded().empty


def test_recorded_and_audited(isolated_home):
    rid = _rec("A1", D(2024, 4, 2), outcome="promise_to_pay", promise_amount=100.0, promise_date=D(2024, 4, 9),
               next_action="agent_call", next_action_date=D(2024, 4, 10), note="will pay Friday")
    df = work.recorded(("A1",))
    assert df.to_dict("records") == [{
        "action_id": f"W{rid}", "loan_id": "A1", "action_date": D(2024, 4, 2), "channel": "agent_call",
        "agent": "X", "outcome": "promise_to_pay", "promise_amount": 100.0, "promise_date": D(2024, 4, 9),
        "next_action": "agent_call", "next_action_date": D(2024, 4, 10), "source": "recorded"}]
    (entry,) = workflow.audit_entries(action="collections_action_record")
    assert (entry["actor"], entry["target"]) == ("col", "A1")
    details = json.loads(entry["details"])
    assert details["promise_amount"] == 100.0 and "note" not in details


def test_recorded_action_counts_as_taken_and_schedules(book):
    before = daily.assignments(book, "2024-03")[0].set_index("loan_id")
    assert (before.loc["A1", "next_action"], before.loc["A3", "next_action"]) == ("sms", "letter")
    # A1 (dpd 2, day 0 = 03-29): an sms recorded on 03-30 takes step 1, so step 2 (robo call, day 3 = 04-01) is next
    _rec("A1", D(2024, 3, 30), channel="sms", outcome="contacted")
    # A3: a collector scheduled a field visit on 04-10 with its latest action: it replaces the letter, agent queue
    _rec("A3", D(2024, 3, 20), next_action="field_visit", next_action_date=D(2024, 4, 10))
    after = daily.assignments(book, "2024-03")[0].set_index("loan_id")
    assert (after.loc["A1", "next_action"], after.loc["A1", "next_action_date"]) == ("robo_call", D(2024, 4, 1))
    assert (after.loc["A3", "next_action"], after.loc["A3", "next_action_date"], after.loc["A3", "queue"]) == \
        ("field_visit", D(2024, 4, 10), "agent")
    # a later action without a next step ends the schedule: back to the path (letter, day 15, not yet sent)
    _rec("A3", D(2024, 3, 25), outcome="no_answer")
    again = daily.assignments(book, "2024-03")[0].set_index("loan_id")
    assert (again.loc["A3", "next_action"], again.loc["A3", "next_action_date"]) == ("letter", D(2024, 4, 1))
    # actions after the month-end are not in that month-end's assignment
    _rec("A5", D(2024, 4, 3), channel="sms")
    assert daily.assignments(book, "2024-03")[0].set_index("loan_id").loc["A5", "next_action"] == "sms"


def test_recorded_promise_judged(book):
    _rec("A1", D(2024, 3, 30), outcome="promise_to_pay", promise_amount=100.0, promise_date=D(2024, 3, 31))
    _rec("A4", D(2024, 3, 30), outcome="promise_to_pay", promise_amount=50.0, promise_date=D(2024, 4, 1))
    # at 03-31 both deadlines (+2 grace days: 04-02, 04-03) are ahead and nothing is paid: pending
    march = ptp.promises(book, "2024-03").set_index("loan_id")
    assert march["status"].to_dict() == {"A1": "pending", "A4": "pending"}
    # at 04-05: A1 paid 99.00 on 04-01 >= 100 x 0.99 -> kept; A4 paid nothing by 04-03 -> broken
    april = ptp.promises(book, D(2024, 4, 5), start=D(2024, 3, 1)).set_index("loan_id")
    assert april["status"].to_dict() == {"A1": "kept", "A4": "broken"}
    assert april.loc["A1", "paid"] == pytest.approx(99.0)
    s = ptp.ptp_summary(april.reset_index())
    assert (s["kept"], s["broken"], s["kept_rate"]) == (1, 1, pytest.approx(0.5))
    mine = work.account_promises(book, "A1", D(2024, 3, 1), D(2024, 4, 5))
    assert mine[["loan_id", "status"]].values.tolist() == [["A1", "kept"]]


def test_my_queue_with_scheduled_steps(book):
    daily.assign(book, "2024-03")
    q = work.my_queue(book, AS_OF, "X")
    assert q["loan_id"].tolist() == ["Q1", "Q3"]          # X's accounts by expected recovery (4000 > 2000, risk 0.5)
    assert q["scheduled"].tolist() == [False, False] and q["worked"].tolist() == [0, 0]
    _rec("Q3", D(2024, 4, 2), outcome="hardship", next_action="field_visit", next_action_date=D(2024, 4, 9))
    q = work.my_queue(book, AS_OF, "X").set_index("loan_id")
    assert (q.loc["Q3", "next_action"], q.loc["Q3", "next_action_date"], q.loc["Q3", "scheduled"]) == \
        ("field_visit", D(2024, 4, 9), True)
    assert (q.loc["Q3", "last_outcome"], q.loc["Q3", "worked"]) == ("hardship", 1)
    # Q1: path B at dpd 70 = field visit (day 10) not taken -> due 04-01
    assert (q.loc["Q1", "next_action"], q.loc["Q1", "next_action_date"]) == ("field_visit", D(2024, 4, 1))
    s = work.queue_summary(q.reset_index(), D(2024, 4, 1))
    # balance 4000 + 2000; expected recovery x (1 - 0.5); overdue = balance / 10; due by 04-01: Q1 only
    assert s == {"accounts": 2, "balance": 6000.0, "overdue_amount": 600.0, "expected_recovery": 3000.0,
                 "due": 1, "worked": 1}


def test_account_activity(book):
    _rec("A2", D(2024, 4, 2), outcome="wrong_number")
    acts = work.account_actions(book, "A2", D(2024, 3, 1))
    # newest first: the recorded call (04-02), then the book's robo call (03-29) and sms (03-27)
    assert acts[["action_date", "channel", "source"]].values.tolist() == [
        [D(2024, 4, 2), "agent_call", "recorded"], [D(2024, 3, 29), "robo_call", "book"],
        [D(2024, 3, 27), "sms", "book"]]
    pays = work.account_payments(book, "A1", D(2024, 3, 1))
    assert pays[["payment_date", "amount"]].values.tolist() == [[D(2024, 4, 1), 99.0]]


def test_work_date():
    m = D(2024, 3, 31)
    assert work.work_date(m, D(2024, 4, 12)) == D(2024, 4, 12)     # inside the following month
    assert work.work_date(m, D(2024, 3, 15)) == D(2024, 4, 1)      # a month-end still ahead
    assert work.work_date(m, D(2024, 9, 1)) == D(2024, 4, 30)      # an old month-end: its following month-end


def test_message_preview_and_outbox(book):
    daily.assign(book, "2024-03")
    q1 = work.my_queue(book, AS_OF, "X").iloc[0].to_dict()
    msg = work.message(book, q1, AS_OF, "sms", D(2024, 4, 2))
    # Q1: no locale -> zh; dpd 70 -> missed due date 03-31 - 70 days = 2024-01-21; overdue 4000 / 10 = 400.00;
    # pay by = send date + 7 days = 04-09
    assert (msg["channel"], msg["language"], msg["borrower_id"]) == ("sms", "zh", "BQ1")
    assert msg["body"] == ("您的贷款Q1已逾期70天（应还日2024-01-21），逾期金额400.00 CNY，"
                           "请于2024-04-09前还款。")
    assert work.queue_message(msg, AS_OF, actor="col") is True
    assert work.queue_message(msg, AS_OF, actor="col") is False          # one per account, channel, month-end
    from collection import messages
    box = messages.outbox(AS_OF)
    assert box[["loan_id", "channel", "status"]].values.tolist() == [["Q1", "sms", "queued"]]
    assert [e["target"] for e in workflow.audit_entries(action="collections_message_queue")] == ["Q1"]


def test_contact_details_revealed_only_for_my_queue(book, monkeypatch):
    from data import people
    daily.assign(book, "2024-03")
    mine = tuple(work.my_queue(book, AS_OF, "X")["loan_id"])
    me = people.Viewer("col", ("collector",), "X")
    assert work.account_view(book, "Q1", me, mine).revealed is True
    assert work.account_view(book, "Q2", me, mine).revealed is False            # Y's account
    risk = people.Viewer("risk", ("risk_manager",), "X")
    assert work.account_view(book, "Q1", risk, mine).revealed is False          # not a collector
