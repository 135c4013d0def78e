"""The reviews page: the queue with its figures, the review form, maker-checker, the status dashboard."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data import accounts, overrides, reviews
from tests.app.helpers import app, metrics, ok
from tests.unit.test_reviews import JUNE, publish
from tests.unit.test_signals import EwBook
from ui import i18n

pytestmark = pytest.mark.app


def check_reviews(at: AppTest, home: Path) -> None:
    """The shared demo workspace may have had no daily run: the queue then says how reviews arrive; otherwise
    its Overdue figure is the core function's."""
    assert [t.value for t in at.title] == ["Reviews"]
    roles = at.session_state["roles"]
    mine = reviews.review_list(reviews.OPEN) if set(reviews.APPROVERS) & set(roles) else None
    if mine is None:
        return                                           # an officer's queue depends on the staff code
    if mine.empty:
        assert i18n.t("reviews.empty", "en") in [i.value for i in at.info]
    else:
        assert metrics(at)["Overdue"] == i18n.number(reviews.queue_summary(mine, dt.date.today())["overdue"],
                                                     lang="en")


PAGE_CHECKS = {"app_pages/reviews.py": check_reviews}


@pytest.fixture
def book(isolated_home, monkeypatch):
    """2024-06-30: LOW (0 DPD, normal, reviewed 2023-07-15: periodic due 2024-07-15) and MED (10 DPD, special
    mention, periodic due 2024-07-10), both of officer OF1 at branch E1; ECL floors out of reach (see
    test_reviews.form)."""
    monkeypatch.setenv("LOANWATCH_LOGIN_SLEEP_TIME", "0")
    monkeypatch.setenv("LOANWATCH_ECL_FLOOR_DOUBTFUL", "2.0")
    monkeypatch.setenv("LOANWATCH_ECL_FLOOR_LOSS", "3.0")
    b = EwBook()
    b.loan("LOW", origination="2023-01-15")
    b.loan("MED", origination="2023-01-15", dpd=(0, 0, 0, 10))
    publish(b, [("LOW", "2023-07-15", "periodic"), ("MED", "2024-04-10", "periodic")])
    from data import store
    reviews.schedule(store.reader().cursor(), JUNE)
    accounts.add_user("risk", "Risk", "risk_manager", "risk-pass-123")
    accounts.add_user("officer", "Officer", "credit_officer", "officer-pass-123", staff_code="OF1")


def open_page(username: str, roles: list[str], lang: str | None = None) -> AppTest:
    return ok(ok(app(username, roles, lang).run()).switch_page("app_pages/reviews.py").run())


def test_officer_completes_a_review_and_risk_approves_an_improvement(book):
    from data import store
    con = store.reader().cursor()
    overrides.add_override(con, "LOW", "substandard", "arrears feared", overrides.Editor("risk", ("risk_manager",)))
    at = open_page("officer", ["credit_officer"])
    late = sum(d < dt.date.today() for d in (dt.date(2024, 7, 10), dt.date(2024, 7, 15)))
    assert metrics(at) == {"Due": str(2 - late), "Overdue": str(late), "Awaiting approval": "0", "Done": "0"}
    table = at.dataframe[0].value
    assert table["loan_id"].tolist() == ["MED", "LOW"]      # soonest due first
    low = int(table["review_id"].iloc[1])
    ok(at.selectbox(key="reviews_pick").set_value(low).run())
    assert "Classification now: **Substandard** (by the rules: Normal; month-end 2024-06-30)" in [
        m.value for m in at.markdown]
    # consumer checklist (review_checklist): income, employment, use_of_funds, contact
    assert [c.label for c in at.checkbox] == ["Income verified", "Employment confirmed", "Use of funds as agreed",
                                              "Borrower reachable"]
    at.text_area(key="reviews_findings").input("arrears cleared, salary seen")
    at.checkbox(key="reviews_check_income").check()
    at.selectbox(key="reviews_tier").set_value("normal")
    at.text_input(key="reviews_reason").input("paid up")
    ok(at.button(key="FormSubmitter:reviews_form-Complete review").click().run())
    r = reviews.get_review(low)
    assert (r["status"], r["classification"], r["checklist"]["income"]) == ("pending_approval", "normal", True)
    assert any("waits for a second person" in s.value for s in at.success)
    assert "reviews_approve" not in [b.key for b in at.button]           # the maker cannot approve

    risk = open_page("risk", ["risk_manager"])
    assert metrics(risk)["Awaiting approval"] == "1"
    ok(risk.selectbox(key="reviews_pick").set_value(low).run())
    risk.text_input(key="reviews_note").input("agreed")
    ok(risk.button(key="reviews_approve").click().run())
    assert reviews.get_review(low)["status"] == "done" and reviews.get_review(low)["approved_by"] == "risk"
    assert overrides.overrides("LOW").empty
    assert reviews.current_tier(con, "LOW")["tier"] == "normal"


def test_officer_may_not_approve_and_sees_no_dashboard(book):
    at = open_page("officer", ["credit_officer"])
    assert not at.tabs and "reviews_approve" not in [b.key for b in at.button]


def test_dashboard_by_branch_and_officer_in_chinese(book):
    at = open_page("risk", ["risk_manager"], lang="zh")
    assert [t.label for t in at.tabs] == ["检查任务", "检查进度看板"]
    assert not [r for r in at.radio if r.key == "reviews_by"]          # only the open tab runs: no dashboard yet
    at.session_state["reviews_tabs"] = "检查进度看板"     # the user opens the dashboard tab
    ok(at.run())
    assert not [b for b in at.selectbox if b.key == "reviews_pick"]      # and the queue tab no longer runs
    table = at.dataframe[0].value                 # the dashboard's status by branch
    # both reviews of branch E1 pending: 2 reviews, none done
    assert table[["branch", "reviews", "done"]].values.tolist() == [["E1", 2, 0]]
    assert table["timeliness"].tolist() == ["—"]                # none done yet: a dash, not "None"
    ok(at.radio(key="reviews_by").set_value("reviewer").run())
    assert at.dataframe[0].value["reviewer"].tolist() == ["OF1"]
    ok(at.selectbox(key="reviews_drill").set_value("OF1").run())
    assert len(at.dataframe[1].value) == 2


def test_borrower_360_opens_from_a_link_with_its_alerts_and_reviews(book):
    """?loan=MED (what the review and alert lists link to) looks the loan up; its review is in the Reviews tab and
    its alternative data / scores are empty in this book (the tabs say so)."""
    at = app("officer", ["credit_officer"])
    at.query_params["loan"] = "MED"
    ok(ok(at.run()).switch_page("app_pages/borrower.py").run())
    assert at.session_state["borrower_key"] == "MED" and at.subheader[0].value == "Borrower BMED"
    tab_labels = [t.label for t in at.tabs]
    assert tab_labels == ["Payments", "Bureau", "Alternative data", "Classification", "Model PD", "Alerts",
                          "Reviews", "Collection actions"]
    reviews_table = at.tabs[6].dataframe[0].value
    assert reviews_table["review_id"].tolist() == reviews.review_list(reviewer="OF1").query(
        "loan_id == 'MED'")["review_id"].tolist()
    assert [i.value for i in at.tabs[4].info] == [i18n.t("borrower.no_scores", "en")]
