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
