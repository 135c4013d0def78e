"""The paths a person takes through the running dashboard in Chromium: log in, read the overview, log out."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from analytics import portfolio
from data import store, workflow
from tests.workspace import DEMO_USERS
from ui import fmt

pytestmark = pytest.mark.browser

APP = '[data-testid="stApp"]'
STATUS = '[data-testid="stStatusWidget"]'
METRIC = '[data-testid="stMetric"]'
CHART = '[data-testid="stPlotlyChart"]'
PLOT = CHART + ' .js-plotly-plot'                    # present once plotly has drawn the figure


def settle(page) -> None:
    """Wait until Streamlit has finished the current run (content arrives over a websocket after load)."""
    page.wait_for_selector(APP)
    page.wait_for_timeout(300)                       # let a run triggered by the last action start
    page.wait_for_selector(STATUS, state="detached")


def open_login(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="Username").wait_for()
    settle(page)


def log_in(page, url: str, username: str, password: str) -> None:
    open_login(page, url)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def wait_for_overview(page) -> None:
    page.get_by_role("heading", name="Portfolio overview").wait_for()
    page.locator(PLOT).nth(1).wait_for()
    settle(page)


def assert_no_data(page) -> None:
    assert page.locator(METRIC).count() == 0
    assert page.locator(CHART).count() == 0
    assert page.get_by_role("heading", name="Portfolio overview").count() == 0


def metric_value(page, label: str) -> str:
    card = page.locator(METRIC).filter(has_text=label)
    return card.locator('[data-testid="stMetricValue"]').inner_text().strip()


@pytest.fixture(scope="module")
def summary(demo) -> dict:
    """The figures the overview must show, straight from the core on the same workspace."""
    return portfolio.book_summary(store.reader(demo.home).cursor())


@pytest.mark.parametrize("username", list(DEMO_USERS))
def test_demo_user_logs_in_and_sees_the_overview(page, server, summary, artifacts, username):
    log_in(page, server, username, f"{username}-demo")
    wait_for_overview(page)
    assert page.get_by_role("textbox", name="Password").count() == 0          # the form is gone
    assert int(metric_value(page, "Open loans").replace(",", "")) == summary["open_loans"]
    assert metric_value(page, "Outstanding balance") == fmt.money(summary["outstanding_balance"], summary["currency"])
    assert metric_value(page, "30+ DPD balance rate") == fmt.pct(summary["dpd30_rate_balance"])
    as_of = f"{summary['as_of']:%Y-%m-%d}"
    assert page.locator(CHART).count() == 2
    assert page.locator(CHART).filter(has_text="Balance by delinquency bucket").count() == 1
    assert page.locator(CHART).filter(has_text=f"Month-end {as_of}").count() == 2     # both charts say when
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text(DEMO_USERS[username].replace("_", " ")).count() >= 1
    page.screenshot(path=artifacts / f"overview-{username}.png", full_page=True)


def test_wrong_password_shows_an_error_and_no_data(page, server, artifacts):
    log_in(page, server, "admin", "wrong-password")
    page.get_by_text("Username or password is incorrect.").wait_for()
    settle(page)
    assert_no_data(page)
    page.screenshot(path=artifacts / "login-wrong-password.png", full_page=True)


def test_anonymous_visitor_sees_no_data(page, server, artifacts):
    open_login(page, server)
    assert_no_data(page)
    page.screenshot(path=artifacts / "login.png", full_page=True)
    open_login(page, f"{server}/overview")                     # straight to the page's address
    assert_no_data(page)
    page.screenshot(path=artifacts / "anonymous-page-url.png", full_page=True)


def test_login_is_remembered_across_a_reload(page, server):
    log_in(page, server, "officer", "officer-demo")
    wait_for_overview(page)
    page.reload()
    wait_for_overview(page)
    assert page.get_by_role("textbox", name="Password").count() == 0


def test_logout_returns_to_the_login_form(page, server, artifacts):
    log_in(page, server, "collector", "collector-demo")
    wait_for_overview(page)
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Log out").click()
    page.get_by_role("textbox", name="Username").wait_for()
    settle(page)
    assert_no_data(page)
    page.screenshot(path=artifacts / "logged-out.png", full_page=True)
    page.reload()                                               # the login cookie is gone too
    open_login(page, server)
    assert_no_data(page)


def test_a_disabled_account_loses_its_remembered_login(page, server, demo, artifacts):
    users = workflow.users
    eng = workflow.engine(demo.env["LOANWATCH_WORKFLOW_URL"])
    log_in(page, server, "validator", "validator-demo")
    wait_for_overview(page)
    try:
        with eng.begin() as c:
            c.execute(sa.update(users).where(users.c.username == "validator").values(disabled=True))
        page.reload()                                           # the cookie names an account no longer active
        page.get_by_role("textbox", name="Username").wait_for()
        settle(page)
        assert_no_data(page)
        assert page.get_by_text("Traceback").count() == 0 and page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=artifacts / "disabled-account.png", full_page=True)
    finally:
        with eng.begin() as c:
            c.execute(sa.update(users).where(users.c.username == "validator").values(disabled=False))
