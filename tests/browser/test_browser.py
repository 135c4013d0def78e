"""The paths a person takes through the running dashboard in Chromium: log in and land on one's own home page,
switch the language, filter and pick a month-end across pages, visit every page, log out."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from analytics import delinquency, portfolio, worklists
from analytics.filters import Filters
from analytics.worklists import Scope
from data import store, workflow
from tests.workspace import DEMO_USERS
from ui import i18n, nav

pytestmark = pytest.mark.browser

APP = '[data-testid="stApp"]'
STATUS = '[data-testid="stStatusWidget"]'
METRIC = '[data-testid="stMetric"]'
CHART = '[data-testid="stPlotlyChart"]'
TABLE = '[data-testid="stDataFrame"]'
SIDEBAR = '[data-testid="stSidebar"]'
PLOT = CHART + ' .js-plotly-plot'                    # present once plotly has drawn the figure
HOMES = {"admin": "Portfolio overview", "risk": "Delinquency", "exec": "Portfolio overview", "validator": "Models",
         "officer": "My portfolio", "collector": "My queue"}


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


def charts_drawn(page) -> None:
    """Every chart on screen drawn by plotly (those in closed tabs and expanders are drawn when opened)."""
    page.wait_for_function(f"""() => [...document.querySelectorAll('{CHART}')]
        .filter(c => c.offsetParent !== null).every(c => c.querySelector('.js-plotly-plot'))""")


def wait_for_page(page, title: str, charts: int = 0) -> None:
    """The page's heading, then its first data element (and `charts` drawn figures), then the end of the run."""
    page.get_by_role("heading", name=title, exact=True).wait_for()
    page.locator(f"{METRIC}:visible, {TABLE}:visible, {PLOT}:visible").first.wait_for()   # (tabs hide others)
    if charts:
        page.locator(f"{PLOT}:visible").nth(charts - 1).wait_for()
    settle(page)
    charts_drawn(page)


def wait_for_overview(page) -> None:
    wait_for_page(page, "Portfolio overview", charts=1)


def assert_no_data(page) -> None:
    assert page.locator(METRIC).count() == 0
    assert page.locator(CHART).count() == 0
    assert page.locator(TABLE).count() == 0
    assert page.get_by_role("heading", name="Portfolio overview").count() == 0


def assert_no_traceback(page) -> None:
    assert page.get_by_text("Traceback").count() == 0 and page.locator('[data-testid="stException"]').count() == 0


def shoot(page, path) -> None:
    """A screenshot of the whole page: Streamlit scrolls inside its main section, so a full-page shot of the
    window would stop at the fold; the window is made as tall as the content first."""
    size = page.viewport_size
    tall = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
        '[data-testid="stMain"], [data-testid="stAppViewContainer"], [data-testid="stSidebarContent"]')]
        .map(e => e.scrollHeight))""")
    if tall > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": tall + 40})
        page.wait_for_timeout(400)                   # plotly redraws on resize
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(size)


def metric_value(page, label: str) -> str:
    card = page.locator(METRIC).filter(has_text=label)
    return card.locator('[data-testid="stMetricValue"]').inner_text().strip()


def sidebar_link(page, title: str):
    return page.locator(SIDEBAR).get_by_role("link", name=title)


@pytest.fixture
def con(demo):
    """A cursor on the workspace the server reads (readers are closed after each test: tests/conftest.py)."""
    return store.reader(demo.home).cursor()


@pytest.fixture
def summary(con) -> dict:
    """The figures the overview must show, straight from the core on the same workspace."""
    return portfolio.book_summary(con)


def _staff(demo, username: str) -> str:
    eng = workflow.engine(demo.env["LOANWATCH_WORKFLOW_URL"])
    with eng.connect() as c:
        return c.execute(sa.select(workflow.users.c.staff_code).where(workflow.users.c.username == username)).scalar()


def check_home(page, username: str, summary: dict, con, demo) -> None:
    """Each home page shows real figures pinned to the core."""
    as_of = f"{summary['as_of']:%Y-%m-%d}"
    if username in ("admin", "exec"):
        assert int(metric_value(page, "Open loans").replace(",", "")) == summary["open_loans"]
        assert metric_value(page, "Outstanding balance") == i18n.money(summary["outstanding_balance"], "",
                                                                       "en").strip()
        assert metric_value(page, "30+ DPD balance rate") == i18n.percent(summary["dpd30_rate_balance"], lang="en")
        assert page.locator(METRIC).count() == 13                                        # the executive's KPIs
        assert page.get_by_text(f"money in {summary['currency']}").count() >= 1          # the unit, stated once
        movers = page.locator(CHART).filter(has_text="Segments that moved most")
        assert movers.count() == 1 and movers.filter(has_text=f"to {as_of}").count() == 1
    elif username == "risk":
        trend = delinquency.delinquency_trend(con)
        assert metric_value(page, "30+ DPD balance rate") == i18n.percent(trend["dpd30_rate_balance"].iloc[-1],
                                                                          lang="en")
        page.locator(PLOT).nth(2).wait_for()
        assert page.locator(CHART).filter(has_text="Transition matrix").count() == 1
    elif username == "validator":
        assert page.get_by_text("No risk model has been trained yet").count() >= 1      # says what to do
        assert page.locator(CHART).count() >= 1                                         # the population meanwhile
    elif username == "officer":
        scope = Scope(officer=_staff(demo, "officer"))
        mine = worklists.scope_summary(worklists.scope_buckets(con, scope))
        assert metric_value(page, "My open loans") == i18n.number(mine["open_loans"], lang="en")
        assert page.locator(TABLE).count() == 1
    elif username == "collector":
        from collection import work
        mine = work.my_queue(con, summary["as_of"], _staff(demo, "collector"),
                             workflow.engine(demo.env["LOANWATCH_WORKFLOW_URL"]))
        assert metric_value(page, "Accounts in queue") == i18n.number(len(mine), lang="en") and len(mine) > 0
        assert page.locator(TABLE).count() >= 1


@pytest.mark.parametrize("username", list(DEMO_USERS))
def test_demo_user_logs_in_and_lands_on_their_home_page(page, server, summary, con, demo, artifacts, username):
    log_in(page, server, username, f"{username}-demo")
    wait_for_page(page, HOMES[username], charts=0 if username == "collector" else 1)
    expect(page.get_by_role("textbox", name="Password")).to_have_count(0)     # the form is gone (retries)
    check_home(page, username, summary, con, demo)
    sidebar = page.locator(SIDEBAR)
    assert sidebar.get_by_text(i18n.label("role", DEMO_USERS[username], "en")).count() >= 1
    assert_no_traceback(page)
    shoot(page, artifacts / f"home-{username}.png")


def test_language_switch_changes_the_text(page, server, summary, artifacts):
    log_in(page, server, "exec", "exec-demo")
    wait_for_overview(page)
    page.locator(SIDEBAR).get_by_text("简体中文").click()
    page.get_by_role("heading", name="资产组合概览").wait_for()
    page.locator(PLOT).first.wait_for()
    settle(page)
    assert page.get_by_role("heading", name="Portfolio overview").count() == 0
    assert metric_value(page, "贷款余额") == i18n.money(summary["outstanding_balance"], "", "zh").strip()
    assert page.locator(CHART).filter(has_text="变化最大的细分").count() == 1
    assert page.locator(SIDEBAR).get_by_role("button", name="退出登录").count() == 1
    assert sidebar_link(page, "逾期分析").count() == 1                                    # the menu too
    month_picker = page.locator(SIDEBAR).get_by_role("combobox", name="数据月末")
    assert month_picker.input_value() == i18n.date(summary["as_of"], "zh")                # 2026年10月31日
    shoot(page, artifacts / "overview-zh.png")
    sidebar_link(page, "逾期分析").click()
    wait_for_page(page, "逾期分析", charts=3)
    shoot(page, artifacts / "delinquency-zh.png")
    page.locator(SIDEBAR).get_by_text("English").click()
    wait_for_page(page, "Delinquency", charts=3)                 # the same page, back in English
    assert page.get_by_role("heading", name="逾期分析").count() == 0


def test_filters_and_month_end_carry_across_pages(page, server, con, artifacts):
    months = portfolio.available_months(con)
    log_in(page, server, "risk", "risk-demo")
    wait_for_page(page, "Delinquency", charts=3)
    sidebar = page.locator(SIDEBAR)
    sidebar.get_by_role("combobox", name="Product").click()          # pick "card" from the product multiselect
    page.get_by_role("option", name="card", exact=True).click()
    page.keyboard.press("Escape")
    settle(page)
    sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="As-of month-end").click()
    page.get_by_role("option", name=f"{months[-2]:%Y-%m-%d}").click()
    settle(page)
    wait_for_page(page, "Delinquency", charts=3)
    chosen = Filters(products=("card",))
    trend = delinquency.delinquency_trend(con, months[-2], chosen)
    assert metric_value(page, "30+ DPD balance rate") == i18n.percent(trend["dpd30_rate_balance"].iloc[-1],
                                                                      lang="en")
    assert page.get_by_text(f"Month-end {months[-2]:%Y-%m-%d} · Product: card").count() == 1
    shoot(page, artifacts / "delinquency-filtered.png")
    sidebar_link(page, "Portfolio overview").click()
    wait_for_overview(page)
    shown = portfolio.book_summary(con, months[-2], chosen)
    assert int(metric_value(page, "Open loans").replace(",", "")) == shown["open_loans"]
    assert page.get_by_text(f"Month-end {months[-2]:%Y-%m-%d} · Product: card").count() == 1


def _pages_by_user() -> dict[str, list]:
    """Every page that is nobody's home, under the first demo user allowed to open it (homes are shot above)."""
    homes = {nav.home([role]).path for role in DEMO_USERS.values()}
    by_user: dict[str, list] = {}
    for spec in nav.PAGES:
        if spec.path not in homes:
            user = next(u for u, role in DEMO_USERS.items() if role in spec.roles)
            by_user.setdefault(user, []).append(spec)
    return by_user


@pytest.mark.parametrize("username,specs", list(_pages_by_user().items()), ids=list(_pages_by_user()))
def test_every_page_draws_without_error(page, server, artifacts, username, specs):
    log_in(page, server, username, f"{username}-demo")
    page.get_by_role("heading", name=HOMES[username], exact=True).wait_for()
    settle(page)
    for spec in specs:                               # reached from the menu, as a person would
        stem = spec.path.split("/")[-1][:-3]
        sidebar_link(page, nav.title(spec, "en")).click()
        page.wait_for_url(f"**/{stem}")
        page.locator("h1").first.wait_for()
        settle(page)
        charts_drawn(page)
        settle(page)
        assert_no_traceback(page)
        assert page.get_by_text(i18n.t("common.unexpected_error", "en")).count() == 0
        shoot(page, artifacts / f"page-{stem}.png")


def test_wrong_password_shows_an_error_and_no_data(page, server, artifacts):
    log_in(page, server, "admin", "wrong-password")
    page.get_by_text("Username or password is incorrect.").wait_for()
    settle(page)
    assert_no_data(page)
    shoot(page, artifacts / "login-wrong-password.png")


def test_anonymous_visitor_sees_no_data(page, server, artifacts):
    open_login(page, server)
    assert_no_data(page)
    shoot(page, artifacts / "login.png")
    open_login(page, f"{server}/overview")                     # straight to the page's address
    assert_no_data(page)
    shoot(page, artifacts / "anonymous-page-url.png")


def test_login_is_remembered_across_a_reload(page, server):
    log_in(page, server, "officer", "officer-demo")
    wait_for_page(page, "My portfolio", charts=1)
    page.reload()
    wait_for_page(page, "My portfolio", charts=1)
    expect(page.get_by_role("textbox", name="Password")).to_have_count(0)


def test_logout_returns_to_the_login_form(page, server, artifacts):
    log_in(page, server, "collector", "collector-demo")
    wait_for_page(page, "My queue")
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Log out").click()
    # while the rerun swaps pages, the stale page's form can still be on screen for a moment: wait for one form
    expect(page.get_by_role("textbox", name="Username")).to_have_count(1, timeout=60_000)
    settle(page)
    assert_no_data(page)
    shoot(page, artifacts / "logged-out.png")
    page.reload()                                               # the login cookie is gone too
    open_login(page, server)
    assert_no_data(page)


def test_a_disabled_account_loses_its_remembered_login(page, server, demo, artifacts):
    users = workflow.users
    eng = workflow.engine(demo.env["LOANWATCH_WORKFLOW_URL"])
    log_in(page, server, "validator", "validator-demo")
    wait_for_page(page, "Models", charts=2)
    try:
        with eng.begin() as c:
            c.execute(sa.update(users).where(users.c.username == "validator").values(disabled=True))
        page.reload()                                           # the cookie names an account no longer active
        page.get_by_role("textbox", name="Username").wait_for()
        settle(page)
        assert_no_data(page)
        assert page.get_by_text("Traceback").count() == 0 and page.locator('[data-testid="stException"]').count() == 0
        shoot(page, artifacts / "disabled-account.png")
    finally:
        with eng.begin() as c:
            c.execute(sa.update(users).where(users.c.username == "validator").values(disabled=False))
