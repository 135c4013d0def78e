"""Alert rules (validated, audited), raising alerts (one open per loan and signal) and the alert workflow."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
import sqlalchemy as sa

from data import alerts, reviews, workflow

JUNE = dt.date(2024, 6, 30)


def fired(**loans_by_signal) -> dict[str, pd.DataFrame]:
    """signal -> the frame a signal query returns for these loans (branch E1, officer OF<n>, one evidence value)."""
    return {s: pd.DataFrame({"loan_id": ids, "branch": "E1", "officer": [f"OF{i[-1]}" for i in ids],
                             "value": range(len(ids))}) for s, ids in loans_by_signal.items()}


def actions() -> list[str]:
    return [e["action"] for e in workflow.audit_entries()]


def test_default_rule_raises_every_signal_for_the_officer():
    cands = alerts.candidates(fired(dpd_rising=["L1"], address_changed=["L2"]), alerts.rules())
    assert cands[["loan_id", "signal", "severity", "owner"]].values.tolist() == [
        ["L1", "dpd_rising", "high", "OF1"], ["L2", "address_changed", "low", "OF2"]]
    assert json.loads(cands["evidence"].iloc[0]) == {"value": 0}


def test_evidence_and_owner_hand_checked():
    """A loan without officer is owned by its branch; evidence: floats to 6 decimals (0.7123456789 ->
    0.712346), dates as YYYY-MM-DD, a missing value (NaN, NaT, None) as null, the loan's keys left out."""
    df = pd.DataFrame({"loan_id": ["L1", "L2"], "branch": ["E1", None], "officer": [None, "OF2"],
                       "drained_share": [0.7123456789, float("nan")], "failed_attempts": [3, 4],
                       "last_attempt": pd.to_datetime(["2024-06-20", None]), "reason_1": ["arrears_now", None]})
    cands = alerts.candidates({"balance_drain": df}, alerts.rules())
    assert cands[["loan_id", "owner", "branch", "officer"]].values.tolist() == [
        ["L1", "branch:E1", "E1", None], ["L2", "OF2", None, "OF2"]]
    assert cands["evidence"].tolist() == [
        '{"drained_share":0.712346,"failed_attempts":3,"last_attempt":"2024-06-20","reason_1":"arrears_now"}',
        '{"drained_share":null,"failed_attempts":4,"last_attempt":null,"reason_1":null}']


def test_rule_modes_severity_floor_and_owner():
    rules = [alerts.validate_rule({"name": "stress", "signals": ["salary_stopped", "balance_drain"], "mode": "all",
                                   "min_severity": "medium", "owner": "branch"}),
             alerts.validate_rule({"name": "severe", "signals": ["litigation", "address_changed"], "mode": "any",
                                   "min_severity": "high"})]
    res = fired(salary_stopped=["L1", "L2"], balance_drain=["L2", "L3"], litigation=["L4"], address_changed=["L5"])
    got = alerts.candidates(res, rules)
    # all: only L2 fired both, each alert at the higher severity (high); any + high: litigation (critical) only,
    # address change (low) is below the floor
    assert sorted(map(tuple, got[["loan_id", "signal", "severity", "rule", "owner"]].values.tolist())) == [
        ("L2", "balance_drain", "high", "stress", "branch:E1"), ("L2", "salary_stopped", "high", "stress", "branch:E1"),
        ("L4", "litigation", "critical", "severe", "OF4")]


@pytest.mark.parametrize("rule, message", [
    ({"name": "x", "signals": ["dpd_rising"]}, "rule name 'x'"),
    ({"name": "r1", "signals": []}, "at least one signal"),
    ({"name": "r1", "signals": ["dpd_rising", "moon_phase"]}, "unknown signal(s) moon_phase"),
    ({"name": "r1", "signals": ["dpd_rising"], "mode": "most"}, "mode must be"),
    ({"name": "r1", "signals": ["dpd_rising"], "min_severity": "dire"}, "minimum severity"),
    ({"name": "r1", "signals": ["dpd_rising", "address_changed"], "mode": "all", "min_severity": "medium"},
     "can never raise an alert: address_changed below severity medium"),
    ({"name": "r1", "signals": ["dpd_rising"], "owner": "user:nobody"}, "no user 'nobody'"),
    ({"name": "r1", "signals": ["dpd_rising"], "owner": "the boss"}, "owner must be"),
])
def test_a_bad_rule_is_refused_and_the_stored_rules_stay(rule, message):
    good = alerts.save_rule({"name": "r1", "signals": ["dpd_rising"], "mode": "any"}, actor="risk")
    with pytest.raises(ValueError) as err:
        alerts.save_rule(rule, actor="risk")
    assert message in str(err.value)
    assert alerts.rules() == [{**good, "updated_at": alerts.rules()[0]["updated_at"], "updated_by": "risk"}]
    assert actions() == ["alert_rule_save"]


def test_rule_changes_are_audited_with_before_and_after():
    alerts.save_rule({"name": "r1", "signals": ["dpd_rising"]}, actor="risk")
    alerts.save_rule({"name": "r1", "signals": ["dpd_rising", "litigation"], "min_severity": "high"}, actor="risk")
    last = workflow.audit_entries()[0]
    details = json.loads(last["details"])
    assert (last["action"], last["target"], details["before"]["signals"], details["after"]["signals"]) == (
        "alert_rule_save", "rule:r1", ["dpd_rising"], ["dpd_rising", "litigation"])
    alerts.delete_rule("r1", actor="risk")
    assert [r["name"] for r in alerts.rules()] == ["every_signal"]       # back to the default
    assert actions()[0] == "alert_rule_delete"


def test_one_open_alert_per_loan_and_signal_and_due_dates_by_severity():
    cands = alerts.candidates(fired(dpd_rising=["L1"], address_changed=["L1"]), alerts.rules())
    assert alerts.raise_alerts(cands, JUNE, "daily:2024-06") == 2
    assert alerts.raise_alerts(cands, JUNE, "daily:2024-06") == 0                      # the same run again
    assert alerts.raise_alerts(cands, dt.date(2024, 7, 31), "daily:2024-07") == 0      # still open
    df = alerts.alerts_frame()
    # high: 3 days, low: 14 days (alert_due_days)
    assert df.set_index("signal")["due_date"].to_dict() == {"dpd_rising": dt.date(2024, 7, 3),
                                                            "address_changed": dt.date(2024, 7, 14)}
    first = int(df.alert_id.iloc[0])
    alerts.move(first, "acknowledged", actor="officer")
    assert alerts.raise_alerts(cands, dt.date(2024, 7, 31), "daily:2024-07") == 0      # acknowledged is open
    alerts.move(first, "resolved", actor="officer", note="borrower paid")
    assert alerts.raise_alerts(cands, dt.date(2024, 7, 31), "daily:2024-07") == 1      # a new one after resolving
    assert alerts.raise_alerts(cands, JUNE, "daily:2024-06") == 0                      # June's raise is on record
    assert alerts.comments(first)[0]["text"] == "borrower paid"


def test_workflow_moves_escalation_reassignment_and_audit():
    alerts.raise_alerts(alerts.candidates(fired(dpd_rising=["L1", "L2"]), alerts.rules()), JUNE, "daily:2024-06")
    a1, a2 = alerts.alerts_frame().alert_id.tolist()
    with pytest.raises(ValueError, match="escalate to one of review, collections"):
        alerts.move(a1, "escalated", actor="officer")
    out = alerts.move(a1, "escalated", to="review", actor="officer")
    assert (out["status"], out["escalated_to"], out["open_key"]) == ("escalated", "review", None)
    rv = reviews.reviews_frame()
    assert rv[["loan_id", "kind", "reason", "status", "reviewer"]].values.tolist() == [
        ["L1", "triggered", f"alert:{a1}", "due", "OF1"]]
    with pytest.raises(ValueError, match="is escalated: it cannot become acknowledged"):
        alerts.move(a1, "acknowledged", actor="officer")
    alerts.move(a2, "escalated", to="collections", actor="officer")
    assert alerts.reassign(a2, "OF9", actor="risk")["owner"] == "OF9"
    assert actions()[:3] == ["alert_reassign", "alert_escalated", "alert_escalated"]
    with workflow.engine().connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(workflow.loan_reviews)).scalar() == 1


def test_queue_summary_hand_checked():
    df = pd.DataFrame({"status": ["open", "acknowledged", "resolved", "open"],
                       "severity": ["high", "low", "critical", "critical"],
                       "due_date": [dt.date(2024, 7, 1), dt.date(2024, 7, 10), dt.date(2024, 6, 1),
                                    dt.date(2024, 7, 5)]})
    # open or acknowledged: rows 1, 2, 4; past due on 2024-07-06: rows 1 and 4; high or critical: rows 1 and 4
    assert alerts.queue_summary(df, dt.date(2024, 7, 6)) == {"alerts": 4, "open": 3, "overdue": 2, "urgent": 2}


# ------------------------------------------------------------------ the model's reasons on an alert
def _scored_con():
    """Loans SC (early-warning score at June with three reason codes), NR (scored in June without reasons: not
    among the riskiest), NS (no score); month-ends March-June 2024."""
    from tests.unit.test_signals import EwBook, memory_con
    b = EwBook()
    for lid in ("SC", "NR", "NS"):
        b.loan(lid)
    con = memory_con(b)
    con.executemany("INSERT INTO scores VALUES (?, ?, 'early_warning', 'v7', ?, 'G5', ?, ?, ?)",
                    [("SC", "2024-06-30", 0.42, "arrears_now", "recent_arrears", "reversed_payment"),
                     ("SC", "2024-05-31", 0.10, "loan_age", None, None),
                     ("NR", "2024-06-30", 0.03, None, None, None)])
    return con


def test_alert_reasons_from_the_batch_scores_of_the_alerts_month():
    con = _scored_con()
    # raised by an event on 2024-07-05: evaluated against June's month-end, whose scores hold SC's reasons
    got = alerts.alert_reasons(con, "SC", dt.date(2024, 7, 5))
    assert (got["source"], got["month"], got["version"], got["pd"], got["why"]) == (
        "scored", JUNE, "v7", 0.42, None)
    assert got["reasons"] == [{"code": "arrears_now", "en": "Currently past due", "zh": "当前存在逾期"},
                              {"code": "recent_arrears", "en": "Late payments in the last 6 months",
                               "zh": "近6个月有逾期"},
                              {"code": "reversed_payment", "en": "Payments reversed or bounced",
                               "zh": "还款被冲正或退回"}]
    # raised by May's daily run: May's scores (one reason)
    may = alerts.alert_reasons(con, "SC", dt.date(2024, 5, 31))
    assert (may["pd"], [r["code"] for r in may["reasons"]]) == (0.10, ["loan_age"])


def test_alert_reasons_explained_on_demand_when_not_kept(monkeypatch):
    """NR was scored without reasons and NS not at all: both go to the champion's explanation of the loan at
    June; no champion, or a loan outside the population, gives no reasons and says why."""
    from types import SimpleNamespace

    from data.errors import DataError, UsageError
    from models import explain
    con = _scored_con()
    asked = []
    explained = SimpleNamespace(version="v8", pd=0.05, reasons=pd.DataFrame(
        {"code": ["arrears_rising"], "en": ["Days past due have been rising"], "zh": ["逾期天数持续上升"],
         "contribution": [0.3]}))

    def fake(con_, loan_id, as_of, target="behaviour", **kw):
        asked.append((loan_id, as_of, target))
        con_.sql("SELECT 1").fetchall()       # the real one queries the same connection (relational API)
        return explained
    monkeypatch.setattr(explain, "explain_loan", fake)
    for lid in ("NR", "NS"):
        got = alerts.alert_reasons(con, lid, JUNE)
        assert (got["source"], got["version"], got["pd"], got["reasons"]) == (
            "explained", "v8", 0.05, [{"code": "arrears_rising", "en": "Days past due have been rising",
                                       "zh": "逾期天数持续上升"}])
    assert asked == [("NR", JUNE, "early_warning"), ("NS", JUNE, "early_warning")]

    def refuse(error):
        def f(*a, **k):
            raise error
        return f
    monkeypatch.setattr(explain, "explain_loan", refuse(UsageError("target 'early_warning' has no champion")))
    assert alerts.alert_reasons(con, "NS", JUNE) | {"month": None} == {
        "source": "none", "target": "early_warning", "month": None, "version": None, "pd": None, "reasons": [],
        "why": "no_model"}
    monkeypatch.setattr(explain, "explain_loan", refuse(DataError("loan NS is not in the model population")))
    assert alerts.alert_reasons(con, "NS", JUNE)["why"] == "not_in_population"
    # raised before the first month-end: nothing to explain against
    assert alerts.alert_reasons(con, "NS", dt.date(2024, 3, 1))["why"] == "no_month"


def test_alert_reasons_without_any_model_in_the_workspace():
    """The real explanation path in a workspace with no model at all: no champion."""
    got = alerts.alert_reasons(_scored_con(), "NS", JUNE)
    assert (got["source"], got["why"]) == ("none", "no_model")


def test_alert_counts_come_from_the_store_and_the_list_can_be_cut():
    cands = alerts.candidates(fired(dpd_rising=["L1", "L2"], address_changed=["L1"], litigation=["L3"]),
                              alerts.rules())
    assert alerts.raise_alerts(cands, JUNE, "daily:2024-06") == 4
    first = int(alerts.alerts_frame().alert_id.iloc[0])
    alerts.move(first, "resolved", actor="officer", note="paid")
    # 4 alerts, 1 resolved -> 3 open; due dates: high 2024-07-03, critical sooner, low 2024-07-14
    for today, status in ((dt.date(2024, 7, 6), ()), (dt.date(2024, 7, 6), ("open",)), (dt.date(2024, 6, 1), ())):
        whole = alerts.alerts_frame(status=status)
        assert alerts.alerts_summary(today, status=status) == alerts.queue_summary(whole, today)
    assert alerts.alerts_summary(dt.date(2024, 7, 20))["overdue"] == 3          # every open one is past due
    assert alerts.alerts_summary(dt.date(2024, 7, 20), status=("resolved",)) == {
        "alerts": 1, "open": 0, "overdue": 0, "urgent": 0}
    cut = alerts.alerts_frame(by_due=True, limit=2)
    assert cut.alert_id.tolist() == alerts.alerts_frame(by_due=True).alert_id.tolist()[:2]
