"""The classification & provisioning page: its check (run for every role by test_pages.py) and its own tests."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import classification, ecl, portfolio, summaries
from data import overrides, workflow
from tests.app.helpers import app, chart_specs, cursor, metrics, ok, values
from ui import i18n

pytestmark = pytest.mark.app
PAGE = "app_pages/classification.py"


def check_classification(at: AppTest, home: Path, month: dt.date | None = None) -> None:
    con = cursor(home)
    as_of = summaries.resolve(con, month)
    ovr, watch = overrides.inputs_at(as_of)
    tiers = classification.tier_summary(con, as_of, overrides=ovr, watch_list=watch)
    stages = ecl.stage_summary(con, as_of, overrides=ovr, watch_list=watch)
    head = ecl.headline(tiers, stages)
    assert [t.value for t in at.title] == ["Classification & provisioning"]
    shown = metrics(at)
    assert list(shown) == ["NPL balance", "NPL ratio", "Expected credit loss", "Coverage"]
    currency = portfolio.book_summary(con, as_of)["currency"]
    assert shown["NPL balance"] == i18n.money(head["npl_balance"], currency, "en")
    assert shown["NPL ratio"] == i18n.percent(head["npl_ratio"], lang="en")
    assert shown["Expected credit loss"] == i18n.money(head["ecl"], currency, "en")
    specs = chart_specs(at)
    titles = [s["layout"]["title"]["text"] for s in specs]
    assert titles[:3] == ["Balance by five-tier class", "Balance and ECL by IFRS 9 stage", "ECL by product and stage"]
    tier_chart = specs[0]
    assert tier_chart["data"][0]["text"] == [f"{v:.1%}" for v in tiers["balance_share"]]
    assert f"at {as_of:%Y-%m-%d}" in tier_chart["layout"]["title"]["subtitle"]["text"]
    stage_ecl = specs[1]["data"][1]
    total = sum(values(stage_ecl["y"]))
    assert total > 0 and len(values(stage_ecl["y"])) == 3
    if len(summaries.month_ends(con)) > 1 and as_of != summaries.month_ends(con)[0]:
        assert {"Five-tier migration", "IFRS 9 stage migration", "NPL movement: opening to closing"} <= set(titles)
        assert any("= closing, exactly" in s.value for s in at.success)
    count = classification.loan_list_count(con, as_of, overrides=ovr, watch_list=watch)
    assert any(c.value.startswith(f"Loans 1-{min(200, count):,} of {count:,}") for c in at.main.caption)
    first = classification.loan_list(con, as_of, size=200, overrides=ovr, watch_list=watch)
    grid = [d for d in at.dataframe if "loan_id" in d.value.columns][0].value
    assert grid["loan_id"].tolist() == first["loan_id"].tolist()
    roles = set(at.session_state["roles"])
    editing = bool(roles & set(overrides.EDITORS))
    assert any("Read only" in i.value for i in at.info) == (not editing)
    assert bool([w for w in at.text_input if w.key == "cls_loan"]) == (editing and month is None)


PAGE_CHECKS = {PAGE: check_classification}


def _open(username: str, roles: list[str], lang: str | None = None) -> AppTest:
    at = ok(app(username, roles, lang).run())
    return ok(at.switch_page(PAGE).run())


def test_risk_manager_overrides_a_loan_and_the_figures_follow(demo_env):
    con = cursor(demo_env.home)
    as_of = summaries.resolve(con, None)
    loan = classification.loan_list(con, as_of, tier="normal", size=1)["loan_id"].iloc[0]
    before = ecl.headline(classification.tier_summary(con, as_of), ecl.stage_summary(con, as_of))
    at = _open("risk", ["risk_manager"])
    ok(at.text_input(key="cls_loan").input(loan).run())
    assert any(f"Loan **{loan}**: by the rules **Normal**" in m.value for m in at.markdown)
    form_tier = [s for s in at.selectbox if s.label == "New tier (only worse than the rules)"][0]
    assert form_tier.options == ["Special mention", "Substandard", "Doubtful", "Loss"]
    form_tier.set_value("loss")
    [a for a in at.text_area if a.label == "Reason"][0].input("borrower absconded")
    try:
        ok(at.button(key="FormSubmitter:cls_override-Save override").click().run())
        assert any(f"Saved for loan {loan}" in s.value for s in at.success)
        assert overrides.inputs_at(as_of)[0] == ((loan, "loss", "borrower absconded"),)
        balance = classification.rule_floor(con, loan, as_of)["balance"]
        shown = metrics(at)["NPL balance"]
        currency = portfolio.book_summary(con, as_of)["currency"]
        assert shown == i18n.money(before["npl_balance"] + balance, currency, "en")
        check_classification(at, demo_env.home)
        assert workflow.audit_entries(action="classification_override")[0]["target"] == loan
    finally:
        for oid in overrides.overrides(loan)["override_id"]:
            overrides.withdraw_override(con, oid, overrides.Editor("risk", ("risk_manager",)), "test cleanup")


def test_officer_cannot_touch_another_officers_loan(demo_env):
    con = cursor(demo_env.home)
    as_of = summaries.resolve(con, None)
    user = [u for u in workflow_users() if u["username"] == "officer"][0]
    page = classification.loan_list(con, as_of, size=500)
    other = next(x for x in page["loan_id"] if classification.loan_officer(con, x) != user["staff_code"])
    at = _open("officer", ["credit_officer"])
    ok(at.text_input(key="cls_loan").input(other).run())
    assert any(f"Loan {other} is not assigned to you" in w.value for w in at.warning)
    assert not [f for f in at.button if "cls_override" in (f.key or "")]


def test_validator_sees_it_read_only_in_chinese(demo_env):
    at = _open("validator", ["model_validator"])
    at.session_state["lang"] = "zh"
    ok(at.run())
    assert [t.value for t in at.title] == ["分类与拨备"]
    assert any("只读" in i.value for i in at.info)
    assert not [w for w in at.text_input if w.key == "cls_loan"]


def workflow_users() -> list[dict]:
    from ui import auth
    return [{"username": k, **v} for k, v in auth.credentials()["usernames"].items()]
