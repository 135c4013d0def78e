"""The alerts page: the queue with its figures, an alert's evidence and the workflow buttons."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data import accounts, alerts, store
from signals.daily import daily_run
from tests.app.helpers import app, metrics, ok
from tests.unit.test_signals import EwBook
from ui import i18n

pytestmark = pytest.mark.app


def check_alerts(at: AppTest, home: Path) -> None:
    """The shared demo workspace has had no daily run: the queue says how alerts arrive (the page with alerts
    is pinned by the tests below on a book of its own)."""
    assert [t.value for t in at.title] == ["Alerts"]
    live = alerts.alerts_frame(status=("open", "acknowledged"))
    if live.empty:
        assert [i.value for i in at.info] == [i18n.t("alerts.empty", "en")]
    else:
        assert metrics(at)["Open or acknowledged"] == i18n.number(len(live), lang="en")


def check_rules(at: AppTest, home: Path) -> None:
    """The rules table lists the stored rules (the default one when none was saved); the backtest tab says how to
    compute it or shows it."""
    assert [t.value for t in at.title] == ["Alert rules"]
    assert at.dataframe[0].value["Name"].tolist() == [r["name"] for r in alerts.rules()]


PAGE_CHECKS = {"app_pages/alerts.py": check_alerts, "app_pages/alert_rules.py": check_rules}


@pytest.fixture
def queue(isolated_home, monkeypatch):
    """June 2024: FM's first missed payment (medium, officer OF1), UP's rising DPD (high, officer OF2)."""
    monkeypatch.setenv("LOANWATCH_LOGIN_SLEEP_TIME", "0")
    b = EwBook()
    b.loan("FM", dpd=(0, 0, 0, 12), officer="OF1")
    b.loan("UP", dpd=(0, 3, 20, 45), officer="OF2")
    with store.new_generation(start_empty=True) as con:
        b.build(con)
    accounts.add_user("risk", "Risk", "risk_manager", "risk-pass-123")
    accounts.add_user("officer", "Officer", "credit_officer", "officer-pass-123", staff_code="OF2")
    daily_run("2024-06")


def open_page(username: str, roles: list[str]) -> AppTest:
    return ok(ok(app(username, roles).run()).switch_page("app_pages/alerts.py").run())


def test_risk_manager_sees_every_alert_and_acknowledges_one(queue):
    at = open_page("risk", ["risk_manager"])
    # both alerts open, due 2024-07-07 (medium, 7 days) and 2024-07-03 (high, 3 days); one high
    late = sum(d < dt.date.today() for d in (dt.date(2024, 7, 7), dt.date(2024, 7, 3)))
    assert metrics(at) == {"Alerts shown": "2", "Open or acknowledged": "2", "Past their due date": str(late),
                           "High or critical": "1"}
    table = at.dataframe[0].value                               # soonest due first
    assert table["Loan"].tolist() == ["UP", "FM"] and table["Signal"].tolist() == ["DPD rising two months",
                                                                                 "First missed payment"]
    evidence = at.dataframe[1].value                            # the first alert in the list: UP's (id 2)
    assert dict(zip(evidence["Evidence"], evidence["Value"])) == {"dpd_2m_ago": "3", "dpd_1m_ago": "20", "dpd": "45"}
    ok(at.button(key="alerts_ack").click().run())
    assert alerts.get_alert(2)["status"] == "acknowledged"
    assert [s.value for s in at.success] == ["Alert 2 acknowledged."]
    ok(at.button(key="alerts_escalate").click().run())          # escalate to a review (the default)
    assert alerts.get_alert(2)["status"] == "escalated" and alerts.get_alert(2)["escalated_to"] == "review"
    assert alerts.get_alert(1)["status"] == "open"

def test_alert_detail_shows_the_models_reasons(isolated_home, monkeypatch):
    """UP's June early-warning score kept one reason code (rising DPD) at PD 42%: its alert shows it; FM has no
    score and the workspace no model: its alert says how to get one."""
    monkeypatch.setenv("LOANWATCH_LOGIN_SLEEP_TIME", "0")
    b = EwBook()
    b.loan("FM", dpd=(0, 0, 0, 12), officer="OF1")
    b.loan("UP", dpd=(0, 3, 20, 45), officer="OF2")
    b.scores.append(("UP", "2024-06-30", "early_warning", "v1", 0.42, "G7", "arrears_rising"))
    with store.new_generation(start_empty=True) as con:
        b.build(con)
    accounts.add_user("risk", "Risk", "risk_manager", "risk-pass-123")
    daily_run("2024-06")
    at = open_page("risk", ["risk_manager"])                    # UP's alert (id 2) first: soonest due
    assert "- Days past due have been rising" in [m.value for m in at.markdown]
    assert i18n.t("alerts.reasons_scored", "en", model="Early warning (30+ within 3 months)", version="v1",
                  pd="42.00%", month="2024-06-30") in [c.value for c in at.caption]
    ok(at.selectbox(key="alerts_pick").set_value(1).run())      # FM's alert
    assert i18n.t("alerts.reasons_none_no_model", "en", model="Early warning (30+ within 3 months)") in [
        i.value for i in at.info]


def test_officer_sees_only_own_alerts(queue):
    at = open_page("officer", ["credit_officer"])
    assert at.dataframe[0].value["Loan"].tolist() == ["UP"]
    assert any("officer OF2" in c.value for c in at.main.caption)
    assert not at.text_input                                    # reassigning is for risk managers



def test_rules_editor_refuses_a_bad_rule_and_saves_a_good_one(queue):
    from data import workflow
    at = ok(ok(app("risk", ["risk_manager"]).run()).switch_page("app_pages/alert_rules.py").run())
    before = alerts.rules()
    at.text_input(key="alert_rules_name___new__").input("Bad Name")
    at.multiselect(key="alert_rules_signals___new__").select("litigation")
    ok(at.button(key="FormSubmitter:alert_rules_form___new__-Check and save").click().run())
    assert at.error[0].value.startswith("Not saved: rule name 'Bad Name': use 2-64 lower-case letters")
    assert alerts.rules() == before                                        # the running rules untouched
    at.text_input(key="alert_rules_name___new__").input("court_cases")
    at.selectbox(key="alert_rules_floor___new__").set_value("critical")
    ok(at.button(key="FormSubmitter:alert_rules_form___new__-Check and save").click().run())
    assert [s.value for s in at.success] == ["Rule court_cases saved."]
    saved = {r["name"]: r for r in alerts.rules()}["court_cases"]
    assert (saved["signals"], saved["min_severity"], saved["mode"]) == (["litigation"], "critical", "any")
    entry = workflow.audit_entries(action="alert_rule_save")[0]
    assert (entry["actor"], entry["target"]) == ("risk", "rule:court_cases")


def test_signal_quality_is_computed_on_demand_and_kept(queue):
    at = ok(ok(app("risk", ["risk_manager"]).run()).switch_page("app_pages/alert_rules.py").run())
    assert i18n.t("alerts.quality_none", "en") in [i.value for i in at.info]
    ok(at.button(key="alert_rules_quality").click().run())
    table = at.dataframe[1].value
    assert len(table) == 15 and any(c.value.startswith("Computed ") for c in at.caption)
    # the EwBook's 4 month-ends leave one (March) with 3 later ones observed: FM and UP current at March, neither
    # 60+ DPD by June -> no signal hits, precision undefined
    assert table["hits"].sum() == 0
    again = ok(ok(app("risk", ["risk_manager"]).run()).switch_page("app_pages/alert_rules.py").run())
    assert len(again.dataframe[1].value) == 15                              # read back, not recomputed


def test_a_link_opened_signed_out_lands_on_its_page_after_login(queue):
    """An alert's link to the Borrower 360 page (/borrower?loan=UP) opened in a fresh session: the login form,
    then, once logged in, that page with the loan looked up; a role the page does not allow is still refused."""
    from tests.app.helpers import APP
    accounts.add_user("adm", "Adm", "admin", "adm-pass-123")          # admins have no Borrower 360 page
    for username, lands_on in (("risk", "Borrower"), ("adm", "Portfolio overview")):
        at = AppTest.from_file(APP, default_timeout=30)
        at.query_params["loan"] = "UP"
        at.switch_page("app_pages/borrower.py")             # before any run: the page of that URL path
        ok(at.run())
        assert [w.label for w in at.text_input] == ["Username", "Password"]
        assert [t.value for t in at.title] == ["Loanwatch"]                 # the login form, not the page
        at._page_hash = None         # as a browser does, the next run asks for the page this run ended on
        at.session_state["authentication_status"] = True     # logged in (as the form's success leaves it)
        at.session_state["username"], at.session_state["name"] = username, username.title()
        ok(at.run())
        assert [t.value for t in at.title][:1] == [lands_on], username
        if lands_on == "Borrower":
            assert at.query_params["loan"] == "UP" and at.text_input(key="borrower_key").value == "UP"
            assert i18n.t("borrower.heading", "en", borrower_id="BUP") in [h.value for h in at.subheader]
