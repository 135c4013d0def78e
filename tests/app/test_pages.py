"""Every page, for every demo role, through Streamlit's AppTest; the shell (as-of, filters, language, home pages);
the login gate; pages only render. Each page's own check lives in its tests/app/test_<page>_page.py module."""
from __future__ import annotations

import importlib
import os
import re
from pathlib import Path

import bcrypt
import pytest
import sqlalchemy as sa

import config
from analytics import delinquency, kpis, population, portfolio, worklists
from analytics.filters import Filters
from analytics.worklists import Scope
from data import workflow
from tests.app.helpers import ROOT, UNEXPECTED, app, chart_specs, cursor, metrics, ok, shows_no_data
from tests.app.test_delinquency_page import check_delinquency
from tests.app.test_overview_page import check_overview
from tests.workspace import DEMO_USERS
from ui import auth, i18n, nav

pytestmark = pytest.mark.app
PAGES_DIR = ROOT / "app_pages"
# where each demo user lands after login (ui/nav.py home_for)
HOMES = {"admin": "Portfolio overview", "risk": "Delinquency", "exec": "Portfolio overview", "validator": "Models",
         "officer": "My portfolio", "collector": "My queue"}


def _page_checks() -> dict:
    """Each page's check lives beside its own tests, in a tests/app/test_*.py module's PAGE_CHECKS."""
    checks = {}
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        if path.stem != "test_pages":
            checks.update(getattr(importlib.import_module(f"tests.app.{path.stem}"), "PAGE_CHECKS", {}))
    return checks


PAGE_CHECKS = _page_checks()
CASES = [pytest.param(p.path, user, id=f"{Path(p.path).stem}-{user}") for p in nav.PAGES for user in DEMO_USERS]


@pytest.mark.parametrize("page,username", CASES)
def test_page_for_role(demo_env, page, username):
    roles = auth.credentials()["usernames"][username]["roles"]
    assert roles == [DEMO_USERS[username]]
    at = ok(app(username, roles).run())
    if not nav.spec_of(str(ROOT / page)).roles & set(roles):
        assert page not in [p.path for p in nav.allowed(roles)]
        with pytest.raises(Exception):          # a page the role may not open is not even registered
            at.switch_page(page)
        direct = ok(app(username, roles, script=str(ROOT / page)).run())      # the script run by itself
        assert [e.value for e in direct.error] == ["Your roles do not give access to this page."]
        assert shows_no_data(direct) and not direct.title
        return
    ok(at.switch_page(page).run())
    assert [b.label for b in at.sidebar.button] == ["Log out"]
    assert any(i18n.label("role", DEMO_USERS[username], "en") in c.value for c in at.sidebar.caption)
    PAGE_CHECKS[page](at, demo_env.home)


def test_every_page_has_a_case():
    files = sorted(p.relative_to(ROOT).as_posix() for p in PAGES_DIR.glob("*.py") if p.name != "__init__.py")
    assert files == sorted(p.path for p in nav.PAGES), "every file in app_pages/ must be registered in ui/nav.py"
    assert set(files) <= set(PAGE_CHECKS), f"pages without an AppTest check: {set(files) - set(PAGE_CHECKS)}"
    assert set(DEMO_USERS.values()) == set(config.ROLES), "every role needs a demo user in the page cases"
    assert set(HOMES) == set(DEMO_USERS)


def test_no_pages_directory():
    # With a folder named pages/ beside app.py, Streamlit 1.67 wraps every run in its v1 multipage mode: each
    # file in it is reachable by URL (/overview) and runs WITHOUT app.py, so without the login form and sidebar.
    assert not (ROOT / "pages").exists(), "page scripts live in app_pages/, never pages/"


@pytest.mark.parametrize("path", sorted(PAGES_DIR.glob("*.py")), ids=lambda p: p.name)
def test_pages_only_render(path):
    text = path.read_text()
    for pattern in (r"\bduckdb\b", r"\bSELECT\b", r"\.execute\(", r"\.groupby\(", r"\bsqlalchemy\b", r"\.sql\b"):
        assert not re.search(pattern, text), f"{path.name} does more than render: {pattern}"
    assert "auth.require_page(__file__)" in text, f"{path.name} must check login and role itself"


# ---- home pages, the sidebar and the language ------------------------------------------------------------

@pytest.mark.parametrize("username", list(DEMO_USERS))
def test_each_role_lands_on_its_home_page(demo_env, username):
    roles = auth.credentials()["usernames"][username]["roles"]
    at = ok(app(username, roles).run())
    assert [t.value for t in at.title] == [HOMES[username]]
    assert nav.title(nav.home(roles), "en") == HOMES[username]
    assert at.metric or at.dataframe                               # real figures, not a placeholder


def test_home_of_several_roles_is_the_first_in_menu_order():
    assert nav.home(["collector", "risk_manager"]).path == "app_pages/my_queue.py"     # "My work" comes first
    assert nav.home(["executive", "risk_manager"]).path == "app_pages/overview.py"
    assert nav.home([]) is None


def test_chinese_session_shows_chinese_titles_and_numbers(demo_env):
    at = ok(app("exec", ["executive"], lang="zh").run())
    k = kpis.kpis(cursor(demo_env.home))
    assert [t.value for t in at.title] == ["资产组合概览"]
    shown = metrics(at)
    assert list(shown)[:4] == ["在贷笔数", "贷款余额", "新增放款", "当月回收"]
    assert shown["贷款余额"] == i18n.money(k["outstanding_balance"], "", "zh").strip()
    assert shown["贷款余额"].endswith("亿")
    movers = chart_specs(at)[0]
    assert movers["layout"]["title"]["text"] == "变化最大的细分：逾期 30+ 余额占比"
    assert f"{k['as_of'].year}年" in movers["layout"]["title"]["subtitle"]["text"]
    assert [b.label for b in at.sidebar.button] == ["退出登录"]
    assert [c.value for c in at.sidebar.caption] == ["角色：管理层"]
    assert at.sidebar.selectbox[0].label == "数据月末"


def test_language_switch_in_the_sidebar(demo_env):
    months = portfolio.available_months(cursor(demo_env.home))
    at = ok(app("risk", ["risk_manager"]).run())
    assert [t.value for t in at.title] == ["Delinquency"]
    ok(at.sidebar.selectbox[0].set_value(months[-2]).run())
    ok(at.sidebar.multiselect[0].select("card").run())
    ok(at.sidebar.radio[0].set_value("zh").run())
    assert at.session_state["lang"] == "zh"
    assert [t.value for t in at.title] == ["逾期分析"]
    # the month-end and filters chosen in English stay chosen, now labelled in Chinese
    assert at.sidebar.selectbox[0].value == months[-2] and at.sidebar.multiselect[0].value == ["card"]
    assert "信用卡" in at.sidebar.multiselect[0].options
    assert any(c.value.startswith(f"月末 {i18n.date(months[-2], 'zh')} · 产品：信用卡") for c in at.main.caption)
    check = delinquency.delinquency_trend(cursor(demo_env.home), months[-2], Filters(products=("card",)))
    assert metrics(at)["逾期 30+ 余额占比"] == i18n.percent(check["dpd30_rate_balance"].iloc[-1], lang="zh")
    assert chart_specs(at)[2]["layout"]["title"]["text"] == "迁徙矩阵：当月贷款去向"
    ok(at.switch_page("app_pages/overview.py").run())                   # the language carries across pages
    assert [t.value for t in at.title] == ["资产组合概览"]
    ok(at.sidebar.radio[0].set_value("en").run())
    assert [t.value for t in at.title] == ["Portfolio overview"]


def test_as_of_month_is_honoured_on_every_page(demo_env):
    months = portfolio.available_months(cursor(demo_env.home))
    at = ok(app("risk", ["risk_manager"]).run())
    assert at.sidebar.selectbox[0].value == months[-1]                  # latest by default
    ok(at.sidebar.selectbox[0].set_value(months[-3]).run())
    assert at.session_state["as_of"] == months[-3]
    check_delinquency(at, demo_env.home, months[-3])
    ok(at.switch_page("app_pages/overview.py").run())
    check_overview(at, demo_env.home, months[-3])
    ok(at.switch_page("app_pages/models.py").run())
    assert metrics(at)["Population at month-end"] == i18n.number(
        population.behaviour_population(cursor(demo_env.home), months[-3])["loans"].iloc[-1], lang="en")


def test_first_month_has_no_transition_matrix_and_says_why(demo_env):
    months = portfolio.available_months(cursor(demo_env.home))
    at = app("risk", ["risk_manager"])
    at.session_state["as_of"] = months[0]
    ok(at.run())
    assert len(chart_specs(at)) == 2
    assert any("Pick a later month-end" in i.value for i in at.info)


def test_filters_carry_across_pages(demo_env):
    con = cursor(demo_env.home)
    options = portfolio.filter_options(con)
    assert options["products"] == sorted(config.PRODUCTS) and len(options["branches"]) > 10
    at = ok(app("exec", ["executive"]).run())
    product, region, branch = at.sidebar.multiselect
    assert [product.label, region.label, branch.label] == ["Product", "Region", "Branch"]
    assert product.options == ["card", "consumer", "mortgage", "SME"]          # shown in words, kept as codes
    ok(product.select("card").run())
    ok(at.sidebar.multiselect[1].select("East").run())
    chosen = Filters(products=("card",), regions=("East",))
    assert at.session_state["filters"] == chosen
    check_overview(at, demo_env.home, filters=chosen)
    assert any("Product: card; Region: East" in c.value for c in at.main.caption)
    assert [b.label for b in at.sidebar.button] == ["Clear filters", "Log out"]
    ok(at.switch_page("app_pages/delinquency.py").run())
    check_delinquency(at, demo_env.home, filters=chosen)
    ok(at.sidebar.button[0].click().run())                                      # clear
    assert at.session_state["filters"] == Filters()
    check_delinquency(at, demo_env.home)


def test_a_filter_matching_nothing_says_what_to_do(demo_env):
    at = app("exec", ["executive"])
    at.session_state["filters"] = Filters(products=("card",), branches=("No Such Branch",))
    ok(at.run())
    assert not at.metric and not at.get("plotly_chart")
    assert any("Remove some product, region or branch filters" in i.value for i in at.info)


def test_an_unexpected_error_is_a_plain_message(demo_env, monkeypatch):
    from ui import data

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")
    monkeypatch.setattr(data, "get", broken)
    at = app("exec", ["executive"]).run()
    assert not at.exception
    assert [e.value for e in at.error] == [UNEXPECTED]
    assert "secret internals" not in str([e.value for e in at.error])
    assert at.sidebar.button                                             # the shell is still there


def test_staff_scope_is_the_staff_code_else_the_branch():
    from ui import data
    officer = auth.User("x", "X", ("credit_officer",), "OF000-01", "Shanghai Pudong")
    assert data.staff_scope(officer, "credit_officer") == Scope(officer="OF000-01")
    assert data.staff_scope(auth.User("x", "X", ("collector",), "AG1-04", None), "collector") == Scope(agent="AG1-04")
    assert data.staff_scope(auth.User("x", "X", ("collector",), None, "Beijing Chaoyang"),
                            "collector") == Scope(branch="Beijing Chaoyang")
    assert data.staff_scope(auth.User("x", "X", ("collector",), None, None), "collector") is None


def test_staff_without_code_see_their_branch_or_what_to_ask_for(demo_env):
    eng = workflow.engine()
    _add_user(eng, "t_nocode", roles="credit_officer")
    _add_user(eng, "t_branch", roles="collector", branch="Beijing Chaoyang")
    try:
        at = ok(app("t_nocode", ["credit_officer"]).run())
        assert [t.value for t in at.title] == ["My portfolio"]
        assert any("Ask an administrator to set your staff code" in w.value for w in at.warning)
        assert not at.metric and not at.dataframe
        at = ok(app("t_branch", ["collector"]).run())
        queue = worklists.delinquent_loans(cursor(demo_env.home), Scope(branch="Beijing Chaoyang"))
        assert any("of branch Beijing Chaoyang" in c.value for c in at.main.caption)
        assert at.dataframe[0].value["loan_id"].tolist() == queue["loan_id"].tolist()
    finally:
        with eng.begin() as c:
            c.execute(sa.delete(workflow.users).where(workflow.users.c.username.in_(["t_nocode", "t_branch"])))


# ---- the login gate ----------------------------------------------------------------------------------------

def test_anonymous_sees_only_the_login_form(demo_env):
    at = app()
    at.run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert shows_no_data(at) and not at.sidebar.button
    with pytest.raises(Exception):               # no page is registered for a visitor
        at.switch_page("app_pages/overview.py")


def test_a_visitor_can_pick_chinese_before_logging_in(demo_env):
    at = ok(app().run())
    ok(at.sidebar.radio[0].set_value("zh").run())
    assert [t.label for t in at.text_input] == ["用户名", "密码"] and shows_no_data(at)
    at.text_input[0].input("exec")
    at.text_input[1].input("exec-demo")
    ok(at.button[0].click().run())
    ok(at.run())
    assert [t.value for t in at.title] == ["资产组合概览"]                 # the choice outlives the login


def test_login_form_signs_in_and_lands_on_the_home_page(demo_env):
    at = app()
    at.run()
    at.text_input[0].input("risk")
    at.text_input[1].input("risk-demo")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["authentication_status"] is True and at.session_state["roles"] == ["risk_manager"]
    at.run()                                      # the next run draws the page alone, without the form
    assert not at.text_input
    check_delinquency(at, demo_env.home)          # a risk manager's home


def test_wrong_password_shows_an_error_and_no_data(demo_env):
    at = app()
    at.run()
    at.text_input[0].input("admin")
    at.text_input[1].input("not-the-password")
    at.button[0].click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Username or password is incorrect."]
    assert shows_no_data(at)


def test_logout_returns_to_the_form(demo_env):
    at = app("exec", ["executive"])
    at.run()
    assert at.metric
    at.sidebar.button[0].click().run()
    assert not at.exception
    assert at.session_state["authentication_status"] is None
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.sidebar.button


@pytest.fixture
def empty_env(isolated_home, monkeypatch):
    """A workspace with nothing published and no users (tests/conftest.py's isolated home)."""
    monkeypatch.setenv("LOANWATCH_COOKIE_KEY", "test-cookie-key-not-secret-0123456789")
    monkeypatch.setenv("LOANWATCH_LOGIN_SLEEP_TIME", "0")
    return isolated_home


def test_empty_workspace_says_what_to_do(empty_env):
    _add_user(workflow.engine(), "admin", roles="admin")
    at = app("admin", ["admin"])
    at.run()
    assert not at.exception
    assert not at.metric and not at.get("plotly_chart")
    assert any("python cli.py demo" in i.value for i in at.info)


def test_no_users_yet_says_what_to_do(empty_env):
    at = app()
    at.run()
    assert not at.exception
    assert any("python cli.py demo" in w.value for w in at.warning)


def test_a_disabled_account_is_logged_out_at_once(demo_env):
    at = app("no-longer-here", ["admin"])          # logged in earlier; the account is gone or disabled now
    at.run()
    assert not at.exception
    assert at.session_state["authentication_status"] is None
    assert [t.label for t in at.text_input] == ["Username", "Password"] and shows_no_data(at)


def test_roles_come_from_the_users_table_on_every_run(demo_env):
    at = app("exec", ["admin"])                    # a role the account no longer has
    at.run()
    assert not at.exception
    assert at.session_state["roles"] == ["executive"]
    assert [c.value for c in at.sidebar.caption] == ["Roles: executive"]


# ---- credentials from the workflow users table (SQLite here; PostgreSQL below) ----------------------------

def _add_user(eng, username: str, **extra) -> None:
    row = dict(username=username, name=username.title(), password_hash=bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode(),
               roles="risk_manager, collector", created_at=workflow.now(), disabled=False, failed_logins=0)
    with eng.begin() as c:
        c.execute(workflow.users.insert().values(**{**row, **extra}))


def _check_credentials(eng, prefix: str) -> None:
    from datetime import timedelta
    _add_user(eng, f"{prefix}active")
    _add_user(eng, f"{prefix}off", disabled=True)
    _add_user(eng, f"{prefix}locked", locked_until=workflow.now() + timedelta(hours=1))
    _add_user(eng, f"{prefix}unlocked", locked_until=workflow.now() - timedelta(hours=1))
    users = auth.credentials(eng)["usernames"]
    mine = sorted(u for u in users if u.startswith(prefix))
    assert mine == [f"{prefix}active", f"{prefix}unlocked"]
    assert users[f"{prefix}active"]["roles"] == ["risk_manager", "collector"]
    assert users[f"{prefix}active"]["password"].startswith("$2")


def test_credentials_from_sqlite_users(isolated_home):
    _check_credentials(workflow.engine(), "t_")


@pytest.mark.pg
def test_credentials_from_postgresql_users():
    url = os.environ.get("LOANWATCH_TEST_PG_URL")
    if not url:
        pytest.skip("LOANWATCH_TEST_PG_URL is not set (.ci/run starts a throwaway PostgreSQL)")
    eng = workflow.engine(url)
    prefix = f"app_{os.getpid()}_"
    try:
        _check_credentials(eng, prefix)
    finally:
        with eng.begin() as c:
            c.execute(sa.delete(workflow.users).where(workflow.users.c.username.like(f"{prefix}%")))
