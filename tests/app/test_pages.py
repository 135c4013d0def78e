"""Every page, for every demo role, through Streamlit's AppTest; the login gate; pages only render."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import bcrypt
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

import config
from analytics import portfolio
from data import store, workflow
from tests.workspace import DEMO_USERS
from ui import auth, fmt, nav

pytestmark = pytest.mark.app
ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGES_DIR = ROOT / "app_pages"


def app(username: str | None = None, roles: list[str] | None = None) -> AppTest:
    """The app with a signed-in user in session state (skips the form, as a remembered login would)."""
    at = AppTest.from_file(APP, default_timeout=30)
    if username:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.session_state["name"] = username.title()
        at.session_state["roles"] = roles
    return at


def shows_no_data(at: AppTest) -> bool:
    return not at.metric and not at.get("plotly_chart") and "Portfolio overview" not in [t.value for t in at.title]


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


# ---- one check per page: its main elements, with at least one figure pinned to the core -------------------

def check_overview(at: AppTest, home: Path) -> None:
    summary = portfolio.book_summary(store.reader(home).cursor())
    as_of = f"{summary['as_of']:%Y-%m-%d}"
    assert [t.value for t in at.title] == ["Portfolio overview"]
    shown = {m.label: m.value for m in at.metric}
    assert list(shown) == ["Open loans", "Outstanding balance", "30+ DPD balance rate", "90+ DPD balance rate"]
    assert int(shown["Open loans"].replace(",", "")) == summary["open_loans"] > 0
    assert shown["Outstanding balance"] == fmt.money(summary["outstanding_balance"], summary["currency"])
    assert shown["30+ DPD balance rate"] == fmt.pct(summary["dpd30_rate_balance"])
    assert any(as_of in c.value for c in at.caption)
    buckets, products = chart_specs(at)
    assert [x for trace in buckets["data"] for x in trace["x"]] == list(config.BUCKETS)
    assert buckets["layout"]["title"]["text"] == "Balance by delinquency bucket"
    assert products["layout"]["title"]["text"] == "Balance by product"
    assert all(as_of in f["layout"]["title"]["subtitle"]["text"] for f in (buckets, products))
    unit = f"({summary['currency']} "
    assert buckets["layout"]["yaxis"]["title"]["text"].startswith(f"Outstanding balance {unit}")
    assert buckets["layout"]["yaxis2"]["title"]["text"].startswith(f"Delinquent balance {unit}")
    assert buckets["layout"]["xaxis2"]["title"]["text"] == "Days past due (bucket)"
    assert products["layout"]["xaxis"]["title"]["text"].startswith(f"Outstanding balance {unit}")
    assert buckets["layout"]["template"]["layout"]["paper_bgcolor"] == "white"    # plotly_white, not Streamlit's


PAGE_CHECKS = {"app_pages/overview.py": check_overview}
CASES = [pytest.param(p.path, user, id=f"{Path(p.path).stem}-{user}") for p in nav.PAGES for user in DEMO_USERS]


@pytest.mark.parametrize("page,username", CASES)
def test_page_for_role(demo_env, page, username):
    roles = auth.credentials()["usernames"][username]["roles"]
    assert roles == [DEMO_USERS[username]]
    at = app(username, roles)
    at.run()
    assert not at.exception
    if not nav.spec_of(str(ROOT / page)).roles & set(roles):
        with pytest.raises(Exception):          # a page the role may not open is not even registered
            at.switch_page(page)
        return
    at.switch_page(page).run()
    assert not at.exception
    assert [b.label for b in at.sidebar.button] == ["Log out"]
    assert any(DEMO_USERS[username].replace("_", " ") in c.value for c in at.sidebar.caption)
    PAGE_CHECKS[page](at, demo_env.home)


def test_every_page_has_a_case():
    files = sorted(p.relative_to(ROOT).as_posix() for p in PAGES_DIR.glob("*.py") if p.name != "__init__.py")
    assert files == sorted(p.path for p in nav.PAGES), "every file in app_pages/ must be registered in ui/nav.py"
    assert set(files) <= set(PAGE_CHECKS), f"pages without an AppTest check: {set(files) - set(PAGE_CHECKS)}"
    assert set(DEMO_USERS.values()) == set(config.ROLES), "every role needs a demo user in the page cases"


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


# ---- the login gate ----------------------------------------------------------------------------------------

def test_anonymous_sees_only_the_login_form(demo_env):
    at = app()
    at.run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert shows_no_data(at) and not at.sidebar.button
    with pytest.raises(Exception):               # no page is registered for a visitor
        at.switch_page("app_pages/overview.py")


def test_login_form_signs_in_and_shows_the_overview(demo_env):
    at = app()
    at.run()
    at.text_input[0].input("risk")
    at.text_input[1].input("risk-demo")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["authentication_status"] is True and at.session_state["roles"] == ["risk_manager"]
    at.run()                                      # the next run draws the page alone, without the form
    assert not at.text_input
    check_overview(at, demo_env.home)


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
