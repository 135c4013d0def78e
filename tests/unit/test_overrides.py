"""Officers' overrides and watch list in the workflow store (data/overrides.py): who may change what, the
never-better-than-the-rules check, supersede / withdraw, the audit trail, and the figures that then use them.

The book is the rules book of tests/unit/analytics_books.py (hand-checked there and in test_classification.py) with
officers: O1, O2, W1 belong to officer OF1, A1 to OF2. At 2024-03-31 by the rules: O1 normal (performing, 2000),
O2 substandard (95 DPD, 2100), W1 normal (2200, Stage 1); tier totals normal 9 / 11600, doubtful 4 / 2400.
"""
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analytics import classification, ecl
from data import overrides, workflow
from data.overrides import Editor, Refused
from tests.unit.analytics_books import RULES_BUSINESS, RULES_LOANS, RULES_PERFORMANCE, RULES_SETTINGS, publish, set_env

MAR, FEB = dt.date(2024, 3, 31), dt.date(2024, 2, 29)
PD24_CONSUMER = 1 - 0.75 ** 21          # W1: lifetime PD over its 24 months left (test_classification.py)
OF1 = Editor("olga", ("credit_officer",), "OF1")
OF2 = Editor("oscar", ("credit_officer",), "OF2")
RISK = Editor("rita", ("risk_manager",))
EXEC = Editor("ed", ("executive",))
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def book(monkeypatch):
    from analytics import summaries
    from data import store
    set_env(monkeypatch, RULES_SETTINGS)
    publish(RULES_LOANS, RULES_PERFORMANCE, RULES_BUSINESS, summaries=False)
    with store.new_generation() as con:
        con.execute("UPDATE loans SET officer = 'OF1' WHERE loan_id IN ('O1', 'O2', 'W1')")
        con.execute("UPDATE loans SET officer = 'OF2' WHERE loan_id = 'A1'")
        summaries.build(con)
    return store.reader().cursor()


def test_rule_floor_is_the_tier_by_the_rules(book):
    o1 = classification.rule_floor(book, "O1", "2024-03")
    assert (o1["tier"], o1["rule"], o1["officer"], o1["balance"], o1["as_of"]) == ("normal", "performing", "OF1",
                                                                                    2000.0, MAR)
    assert classification.rule_floor(book, "nope", "2024-03") is None
    assert classification.loan_officer(book, "A1") == "OF2" and classification.loan_officer(book, "A2") is None


def test_an_override_is_stored_audited_and_used_by_the_figures(book):
    oid = overrides.add_override(book, "O1", "doubtful", "  fraud suspected ", OF1)
    stored = overrides.overrides()
    assert stored[["override_id", "loan_id", "as_of", "tier", "rule_tier", "reason", "actor", "status"]] \
        .iloc[0].tolist() == [oid, "O1", MAR, "doubtful", "normal", "fraud suspected", "olga", "active"]
    entry = workflow.audit_entries(action="classification_override")[0]
    assert (entry["actor"], entry["target"]) == ("olga", "O1") and '"tier": "doubtful"' in entry["details"]
    ovr, watch = overrides.inputs_at(MAR)
    assert ovr == (("O1", "doubtful", "fraud suspected"),) and watch == ()
    assert overrides.inputs_at(FEB) == ((), ())             # made for March: not in force at February
    tiers = classification.tier_summary(book, MAR, overrides=ovr).set_index("tier")
    # O1 moves normal -> doubtful: normal 9 - 1 = 8 loans; doubtful 4 + 1 = 5 loans, 2400 + 2000 = 4400
    assert (tiers.at["normal", "loans"], tiers.at["doubtful", "loans"]) == (8, 5)
    assert tiers.at["doubtful", "balance"] == pytest.approx(4400)
    page = classification.loan_list(book, MAR, rule="override", overrides=ovr)
    assert page[["loan_id", "tier", "rule", "stage"]].values.tolist() == \
        [["O1", "doubtful", "override: fraud suspected", 3]]
    # NPL at March: substandard 6600 + doubtful 2400 + loss 2800 = 11800 by the rules; + O1's 2000 = 13800
    rec = classification.npl_reconciliation(book, FEB, MAR, overrides=ovr)
    assert float(rec["closing"]) == pytest.approx(13800) and rec["balanced"]
    assert float(classification.npl_reconciliation(book, FEB, MAR)["closing"]) == pytest.approx(11800)
    moved = classification.migration(book, FEB, MAR, overrides=ovr).set_index(["from_state", "to_state"])
    assert moved.at[("normal", "doubtful"), "loans"] == 1               # O1, normal in February


def test_an_override_may_only_worsen_and_needs_a_reason(book):
    with pytest.raises(Refused, match="only classify worse than the rules: loan O2 is substandard") as e:
        overrides.add_override(book, "O2", "special_mention", "looks fine", OF1)
    assert e.value.key == "not_worse" and e.value.values["floor"] == "substandard"
    with pytest.raises(Refused, match="substandard is not allowed"):
        overrides.add_override(book, "O2", "substandard", "same tier", OF1)          # equal is not worse
    with pytest.raises(Refused, match="a reason is required"):
        overrides.add_override(book, "O2", "loss", "  ", OF1)
    with pytest.raises(Refused, match="tier must be one of"):
        overrides.add_override(book, "O2", "worst", "bad tier", OF1)
    with pytest.raises(Refused, match="not an open loan"):
        overrides.add_override(book, "ZZ", "loss", "no such loan", RISK)
    assert overrides.overrides(active_only=False).empty
    assert workflow.audit_entries(action="classification_override") == []


def test_officers_change_only_their_own_loans(book):
    with pytest.raises(Refused, match="only their own loans: loan O1") as e:
        overrides.add_override(book, "O1", "loss", "not mine", OF2)
    assert e.value.key == "not_yours"
    with pytest.raises(Refused, match="may not change classifications") as e:
        overrides.add_override(book, "O1", "loss", "read-only role", EXEC)
    assert e.value.key == "role"
    with pytest.raises(Refused, match="only their own loans"):
        overrides.add_to_watch_list(book, "W1", "not mine", OF2)
    overrides.add_override(book, "A1", "special_mention", "income dropped", OF2)       # OF2's own loan
    overrides.add_override(book, "O1", "substandard", "risk view", RISK)                # any loan
    assert sorted(overrides.inputs_at(MAR)[0]) == [("A1", "special_mention", "income dropped"),
                                                   ("O1", "substandard", "risk view")]


def test_a_new_override_supersedes_and_one_can_be_withdrawn(book):
    first = overrides.add_override(book, "O1", "special_mention", "late salary", OF1)
    second = overrides.add_override(book, "O1", "loss", "borrower absconded", RISK)
    history = overrides.overrides("O1", active_only=False).set_index("override_id")
    assert history.at[first, "status"] == "superseded" and history.at[first, "ended_by"] == "rita"
    assert history.at[second, "status"] == "active"
    assert overrides.inputs_at(MAR)[0] == (("O1", "loss", "borrower absconded"),)
    with pytest.raises(Refused, match="only their own loans"):
        overrides.withdraw_override(book, second, OF2)
    overrides.withdraw_override(book, second, OF1, "repaid in full")
    assert overrides.inputs_at(MAR) == ((), ())
    with pytest.raises(Refused, match="no active override"):
        overrides.withdraw_override(book, second, OF1)
    assert [e["action"] for e in workflow.audit_entries()] == [
        "classification_override_withdrawn", "classification_override", "classification_override"]


def test_the_watch_list_moves_a_loan_to_stage_2(book):
    overrides.add_to_watch_list(book, "W1", "sector under stress", OF1)
    with pytest.raises(Refused, match="already on the watch list"):
        overrides.add_to_watch_list(book, "W1", "again", RISK)
    ovr, watch = overrides.inputs_at(MAR)
    assert watch == ("W1",)
    df = classification.loan_classification(book, MAR, watch_list=watch).set_index("loan_id")
    assert (df.at["W1", "stage"], df.at["W1", "tier"]) == (2, "normal")
    assert df.at["W1", "ecl"] == pytest.approx(0.4 * 2200 * PD24_CONSUMER)     # lifetime PD, 24 months left
    stages = ecl.stage_summary(book, MAR, overrides=ovr, watch_list=watch)
    assert stages.loans.tolist() == [10, 3, 12]         # by the rules 11 / 2 / 12; W1 moves from 1 to 2
    with pytest.raises(Refused, match="only their own loans"):
        overrides.remove_from_watch_list(book, "W1", OF2)
    overrides.remove_from_watch_list(book, "W1", Editor("root", ("admin",)), "stress over")
    assert overrides.inputs_at(MAR) == ((), ())
    assert overrides.watch_entries(current_only=False).iloc[0]["removed_by"] == "root"
    with pytest.raises(Refused, match="not on the watch list"):
        overrides.remove_from_watch_list(book, "W1", RISK)
    assert [e["action"] for e in workflow.audit_entries()] == ["watch_list_remove", "watch_list_add"]


def test_loan_list_pages_worst_first(book):
    # 25 open loans at March; Loss: A7 (ECL 0.4 x 1700 = 680), E2 (0.95 x 500 = 475), C4 (0.45 x 600 = 270)
    assert classification.loan_list_count(book, MAR) == 25
    assert classification.loan_list(book, MAR, tier="loss").loan_id.tolist() == ["A7", "E2", "C4"]
    assert classification.loan_list_count(book, MAR, rule="card_dpd") == 4          # C1 C2 C3 C4
    pages = [classification.loan_list(book, MAR, page=p, size=10) for p in range(3)]
    assert [len(p) for p in pages] == [10, 10, 5]
    assert len({x for p in pages for x in p.loan_id}) == 25
    assert list(pages[0].columns) == ["loan_id", "product", "dpd", "balance", "tier", "rule", "stage", "ecl"]
    assert len(classification.loan_list(book, MAR, size=None)) == 25
    with pytest.raises(ValueError, match="rule must be one of"):
        classification.loan_list(book, MAR, rule="made_up")


def test_cli_reports_use_the_stored_overrides(book):
    overrides.add_override(book, "O1", "doubtful", "fraud suspected", RISK)
    overrides.add_to_watch_list(book, "W1", "sector under stress", RISK)

    def report(*args):
        p = subprocess.run([sys.executable, "cli.py", "report", *args, "--as-of", "2024-03", "--format", "csv"],
                           cwd=REPO, env=dict(os.environ), capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        return pd.read_csv(io.StringIO(p.stdout))

    tiers = report("classification").set_index("tier")
    assert (tiers.at["normal", "loans"], tiers.at["doubtful", "loans"]) == (8, 5)
    assert report("stages").loans.tolist() == [11 - 2, 2 + 1, 12 + 1]   # W1 1 -> 2; O1 (doubtful) 1 -> 3
    detail = report("classification", "--detail").set_index("loan_id")
    assert detail.at["O1", "rule"] == "override: fraud suspected"


def test_figures_follow_each_change_at_once(book):
    """Nothing of the officers' tiers, reasons or watch list is kept between calls (only the month-end's PD curves
    and LGD and the named loans' stored rows are, per generation): every change shows in the next figures, and the
    figures over the stored rows equal the ones computed from the canonical tables with the same inputs."""
    from analytics import summaries

    def figures():
        ovr, watch = overrides.inputs_at(MAR)
        got = [classification.tier_summary(book, MAR, overrides=ovr, watch_list=watch).loans.tolist(),
               ecl.stage_summary(book, MAR, overrides=ovr, watch_list=watch).loans.tolist(),
               float(classification.npl_reconciliation(book, FEB, MAR, overrides=ovr, watch_list=watch)["closing"])]
        with summaries.raw_only():
            assert got == [classification.tier_summary(book, MAR, overrides=ovr, watch_list=watch).loans.tolist(),
                           ecl.stage_summary(book, MAR, overrides=ovr, watch_list=watch).loans.tolist(),
                           float(classification.npl_reconciliation(book, FEB, MAR, overrides=ovr,
                                                                   watch_list=watch)["closing"])]
        return got

    assert figures() == [[9, 4, 5, 4, 3], [11, 2, 12], 11800]                # by the rules
    oid = overrides.add_override(book, "O1", "doubtful", "fraud suspected", OF1)
    assert figures() == [[8, 4, 5, 5, 3], [10, 2, 13], 13800]                # O1 (2000) normal -> doubtful, Stage 3
    overrides.add_to_watch_list(book, "W1", "sector under stress", OF1)
    assert figures() == [[8, 4, 5, 5, 3], [9, 3, 13], 13800]                 # W1 Stage 1 -> 2, still normal
    overrides.withdraw_override(book, oid, OF1, "cleared")
    assert figures() == [[9, 4, 5, 4, 3], [10, 3, 12], 11800]                # O1 back to the rules
