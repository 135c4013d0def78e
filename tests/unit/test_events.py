"""Events evaluated on arrival (signals/events.py): the overlay holds what the signals read, kept events carry
their values over as stated, and a flag runs only its own signal."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest

import signals
from analytics.sql import queries
from data import store
from signals import events
from tests.unit.test_signals import EwBook, memory_con

MONTH = dt.date(2024, 6, 30)


def test_signal_tables_cover_what_each_event_signal_reads():
    """Every table an event signal's SQL reads (FROM/JOIN, not its own CTEs) is in its overlay."""
    for s in signals.SIGNALS:
        if not s.events:
            continue
        sql = queries(signals.SQL)[s.name]
        ctes = set(re.findall(r"(\w+) AS \(", sql))
        read = set(re.findall(r"(?:FROM|JOIN)\s+(\w+)", sql)) - ctes
        assert read <= {"performance", "loans", *events.SIGNAL_TABLES[s.name]}, s.name


def test_event_signals_a_flag_runs_only_its_own():
    assert events.event_signals("flag", "litigation") == ["litigation"]
    assert events.event_signals("flag", "phone_unreachable") == ["phone_unreachable"]
    assert events.event_signals("bureau") == ["bureau_score_drop", "credit_inquiries", "delinquency_elsewhere"]
    assert events.event_signals("reversal") == ["partial_payment", "payment_reversed"]
    assert events.event_signals("payment") == ["partial_payment"]


def _book() -> EwBook:
    """Loan A (borrower BA) with data where each window's edge matters, evaluated at 2024-07-10:
    - bureau: 760 in March (outside the score-drop window: after 2024-03-10 only), 700 April, 700 May, 640 June,
      and a pull on 2024-07-05 at 640 with 4 inquiries and 1 delinquency elsewhere (0 before);
    - account feed: litigation flagged on 2024-07-05, not at the June month-end;
    - contact attempts: three failed calls (2024-04-20, 05-20, 06-20), no successful contact;
    - payments: 100 paid on 2024-07-02 against 500 due on 2024-07-01.
    Loan B of another borrower has the same data and must not appear in A's overlay."""
    b = EwBook()
    for lid in ("A", "B"):
        bor = b.loan(lid)
        b.bureau_rows(bor, score=(760, 700, 700, 640))
        b.bureau.append((bor, "2024-07-05", 640, 4, 1))
        b.alt_rows(bor)
        b.alt.append((bor, "2024-07-05", 5000, 10000, 0.3, True, False, True, False))
        b.actions += [(f"{lid}{i}", lid, d, "agent_call", "no_answer")
                      for i, d in enumerate(("2024-04-20", "2024-05-20", "2024-06-20"))]
        b.sched.append((lid, 13, "2024-07-01", 400, 100))
        b.pay.append((f"{lid}P", lid, "2024-07-02", 100, "app", False))
    return b


@pytest.mark.parametrize("name", [n for n in events.SIGNAL_TABLES])
def test_overlay_gives_what_the_whole_store_gives(name):
    """Each event signal over the borrower's overlay (no kept events) fires as over the whole store at the date."""
    con = memory_con(_book())
    day = dt.date(2024, 7, 10)
    whole = signals.evaluate(con, name, MONTH, loans=["A"], at=day)
    cur = con.cursor()
    cur.execute('CREATE TEMP TABLE loans AS SELECT * FROM "memory".main.loans WHERE borrower_id = \'BA\'')
    events._overlay(cur, "memory", [name], "BA", ["A"], MONTH, day, [])
    over = signals.evaluate(cur, name, MONTH, loans=["A"], at=day)
    assert over.to_dict("records") == whole.to_dict("records")
    assert cur.execute("SELECT count(*) FROM performance WHERE loan_id <> 'A'").fetchone()[0] == 0


def test_overlay_windows_fire_at_the_edges():
    """The hand-made data fires exactly these at 2024-07-10: score 700 (April/May peak, March's 760 is outside
    the 3 months before the July pull) -> 640 is 60 down; 4 inquiries >= 3; delinquencies 0 -> 1; litigation new
    on 2024-07-05; 3 failed calls within 90 days (first on 04-20, 81 days before) and no contact since; 100 paid
    < 0.95 x 500 due."""
    con = memory_con(_book())
    day = dt.date(2024, 7, 10)
    cur = con.cursor()
    cur.execute('CREATE TEMP TABLE loans AS SELECT * FROM "memory".main.loans WHERE borrower_id = \'BA\'')
    events._overlay(cur, "memory", list(events.SIGNAL_TABLES), "BA", ["A"], MONTH, day, [])
    got = {n: df.to_dict("records") for n, df in signals.evaluate_all(
        cur, MONTH, names=list(events.SIGNAL_TABLES), loans=["A"], at=day).items() if len(df)}
    assert set(got) == {"bureau_score_drop", "credit_inquiries", "delinquency_elsewhere", "litigation",
                        "phone_unreachable", "partial_payment"}
    assert got["bureau_score_drop"][0]["score_before"] == 700 and got["bureau_score_drop"][0]["score_drop"] == 60
    assert got["phone_unreachable"][0]["failed_attempts"] == 3
    assert (got["partial_payment"][0]["amount_due"], got["partial_payment"][0]["amount_paid"]) == (500.0, 100.0)


def _kept(event_id, kind, day, **payload):
    return {"event_id": event_id, "loan_id": "EV", "kind": kind, "event_date": day, "payload": json.dumps(payload)}


def test_kept_events_carry_values_over_in_order():
    """June pull: score 700, 1 inquiry, 0 delinquencies. Kept events (given out of order): 07-03 score 650;
    07-08 inquiries 5; 07-09 a payment of 200 and a reversal of 50. The 07-08 row carries 650 from 07-03, and
    its delinquencies (0) from June. Flags: 07-02 litigation, 07-06 address change -> litigation stays TRUE on
    07-06, the address change is only on 07-06, June's salary 5000 is carried over to both."""
    b = EwBook()
    bor = b.loan("EV")
    b.bureau_rows(bor, score=(700, 700, 700, 700), inquiries=(1, 1, 1, 1))
    b.alt_rows(bor)
    con = memory_con(b)
    cur = con.cursor()
    cur.execute('CREATE TEMP TABLE loans AS SELECT * FROM "memory".main.loans WHERE loan_id = \'EV\'')
    kept = [_kept(4, "payment", dt.date(2024, 7, 9), amount=200.0),
            _kept(2, "bureau", dt.date(2024, 7, 8), score=None, inquiries=5, delinquencies=None),
            _kept(1, "bureau", dt.date(2024, 7, 3), score=650, inquiries=None, delinquencies=None),
            _kept(5, "reversal", dt.date(2024, 7, 9), amount=50.0),
            _kept(6, "flag", dt.date(2024, 7, 6), flag="address_changed"),
            _kept(3, "flag", dt.date(2024, 7, 2), flag="litigation")]
    names = ["bureau_score_drop", "litigation", "payment_reversed"]
    events._overlay(cur, "memory", names, bor, ["EV"], MONTH, dt.date(2024, 7, 10), kept)
    assert cur.execute("SELECT as_of, score, inquiries_30d, delinquencies_elsewhere FROM bureau "
                       "WHERE as_of > DATE '2024-06-30' ORDER BY as_of").fetchall() == [
        (dt.date(2024, 7, 3), 650, 1, 0), (dt.date(2024, 7, 8), 650, 5, 0)]
    assert cur.execute("SELECT as_of, CAST(salary_deposit AS DOUBLE), litigation, address_changed FROM alt_signals "
                       "WHERE as_of > DATE '2024-06-30' ORDER BY as_of").fetchall() == [
        (dt.date(2024, 7, 2), 5000.0, True, False), (dt.date(2024, 7, 6), 5000.0, True, True)]
    assert cur.execute("SELECT payment_id, CAST(amount AS DOUBLE), is_reversal FROM payments ORDER BY 1").fetchall() \
        == [("EV4", 200.0, False), ("EV5", -50.0, True)]


def test_add_event_runs_the_flags_own_signal_and_keeps_the_event(isolated_home):
    b = EwBook()
    bor = b.loan("EV", officer="OF3")
    b.alt_rows(bor)
    with store.new_generation(start_empty=True) as con:
        b.build(con)
    got = events.add_event("EV", "flag", dt.date(2024, 7, 4), flag="litigation")
    assert (got["signals"], got["fired"], got["alerts_raised"], got["month"]) == (
        ["litigation"], ["litigation"], 1, "2024-06-30")
    # a second flag of another kind: its own signal only; the kept litigation flag is laid under it, still TRUE
    got = events.add_event("EV", "flag", dt.date(2024, 7, 5), flag="negative_news")
    assert (got["signals"], got["fired"], got["alerts_raised"]) == (["negative_news"], ["negative_news"], 1)


def test_a_payment_is_evaluated_for_its_loan_a_bureau_update_for_all_the_borrowers(isolated_home):
    """Borrower BX has loans A and B, each 500 due on 2024-07-01. B paid 100 on 07-02 (published: a partial
    payment), A nothing yet. A payment of 500 on A (07-05): A paid in full, B is not looked at -> nothing fires.
    A bureau pull for BX on 07-06 at 640 (700 before: 60 down) fires the score drop for both loans."""
    b = EwBook()
    for lid in ("A", "B"):
        b.loan(lid, borrower="BX")
        b.sched.append((lid, 13, "2024-07-01", 400, 100))
    b.pay.append(("BP", "B", "2024-07-02", 100, "app", False))
    b.bureau_rows("BX", score=(700, 700, 700, 700))
    with store.new_generation(start_empty=True) as con:
        b.build(con)
    got = events.add_event("A", "payment", dt.date(2024, 7, 5), amount=500.0)
    assert (got["fired"], got["alerts_raised"]) == ([], 0)
    got = events.add_event("A", "bureau", dt.date(2024, 7, 6), score=640)
    assert (got["fired"], got["alerts_raised"]) == (["bureau_score_drop"], 2)
