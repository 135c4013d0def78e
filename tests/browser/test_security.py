"""Security paths in Chromium: lockout after failed logins, personal data in clear only for the account's own
officer, masked for an executive, a stale remembered login refused, the audit export, the admin pages."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from data import accounts, pii, store, workflow

pytestmark = pytest.mark.browser

APP = '[data-testid="stApp"]'
STATUS = '[data-testid="stStatusWidget"]'
PERSONAL = ".st-key-borrower_personal"


def settle(page) -> None:
    page.wait_for_selector(APP)
    page.wait_for_timeout(300)
    page.wait_for_selector(STATUS, state="detached")


def log_in(page, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="Username").wait_for()
    settle(page)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def signed_in(page) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Log out").wait_for()
    settle(page)


@pytest.fixture
def demo_env(demo, monkeypatch):
    """This process reads the served workspace (its key decrypts what the page shows)."""
    for name, value in demo.env.items():
        monkeypatch.setenv(name, value)
    workflow.engine.cache_clear()
    yield demo
    workflow.engine.cache_clear()


@pytest.fixture
def temp_user(demo_env):
    """A throwaway account on the served workspace (the demo users stay untouched for the other tests)."""
    made = []

    def make(username: str, roles: str, password: str, **kw) -> str:
        accounts.add_user(username, username.title(), roles, password, **kw)
        made.append(username)
        return username
    yield make
    with workflow.engine().begin() as c:
        c.execute(sa.delete(workflow.users).where(workflow.users.c.username.in_(made)))


def test_lockout_after_five_failures_shows_a_clear_message(page, server, temp_user, artifacts):
    temp_user("lockme", "executive", "lockme-password")
    for attempt in range(1, 5):                       # a fresh page each time: the answer is the new message
        log_in(page, server, "lockme", f"wrong-{attempt}")
        page.get_by_text("Username or password is incorrect.").wait_for()
    log_in(page, server, "lockme", "wrong-5")
    page.get_by_text("Too many failed logins").wait_for()
    settle(page)
    until = accounts.lock_state("lockme")
    assert until is not None
    message = page.get_by_text("Too many failed logins: this account is locked until")
    message.wait_for()
    assert f"{until:%Y-%m-%d %H:%M} UTC" in message.inner_text()
    page.screenshot(path=artifacts / "login-locked.png", full_page=True)
    log_in(page, server, "lockme", "lockme-password")               # the right password, while locked
    page.get_by_text("this account is locked until").wait_for()
    settle(page)
    assert page.get_by_role("button", name="Log out").count() == 0
    actions = [e["action"] for e in workflow.audit_entries(actor="lockme")]
    assert actions.count("user_locked") == 1 and actions.count("login_failed") == 6
    assert all(e["origin"].startswith("web:") for e in workflow.audit_entries(actor="lockme"))


def _look_up(page, server, key: str) -> str:
    page.goto(f"{server}/borrower")
    box = page.get_by_role("textbox", name="Loan ID, borrower ID or national ID")
    box.wait_for()
    settle(page)
    box.fill(key)
    page.get_by_role("button", name="Look up").click()
    page.locator(PERSONAL).wait_for()
    settle(page)
    return page.locator(PERSONAL).inner_text()


@pytest.fixture
def loans(demo_env):
    """(a loan of the demo officer OF000-01 and its plain values, a loan of nobody's concern and its values)."""
    con = store.reader(demo_env.home).cursor()
    pick = ("SELECT l.loan_id, b.name_enc, b.national_id_enc, b.phone_enc, b.address_enc FROM loans l "
            "JOIN borrowers b USING (borrower_id) WHERE {} ORDER BY l.loan_id LIMIT 1")
    mine = con.execute(pick.format("l.officer = 'OF000-01'")).fetchone()
    other = con.execute(pick.format("l.borrower_id NOT IN (SELECT borrower_id FROM loans WHERE officer = "
                                    "'OF000-01') AND l.loan_id NOT IN (SELECT loan_id FROM collection_actions)"))\
        .fetchone()
    return (mine[0], pii.decrypt_many(mine[1:])), (other[0], pii.decrypt_many(other[1:]))


def test_officer_sees_assigned_loan_in_clear_and_another_masked(page, server, loans, artifacts):
    (mine, clear), (other, other_clear) = loans
    log_in(page, server, "officer", "officer-demo")
    signed_in(page)
    shown = _look_up(page, server, mine)
    assert all(v in shown for v in clear), shown
    page.get_by_text("Personal data in clear: the account is assigned to you").wait_for()
    page.screenshot(path=artifacts / "borrower-officer-assigned.png", full_page=True)
    shown = _look_up(page, server, other)
    masked = [pii.mask(f, v) for f, v in zip(pii.PII_FIELDS, other_clear)]
    assert all(m in shown for m in masked) and not any(v in shown for v in other_clear[1:3]), shown
    page.get_by_text("Personal data masked: no account of this borrower is assigned to you.").wait_for()
    page.screenshot(path=artifacts / "borrower-officer-other.png", full_page=True)
    reveals = [e for e in workflow.audit_entries(action="pii_reveal", actor="officer") if e["target"] == mine]
    views = [e for e in workflow.audit_entries(action="view_borrower", actor="officer") if e["target"] == other]
    assert reveals and views and json.loads(views[0]["details"])["revealed"] is False


def test_executive_sees_masked_values(page, server, loans, artifacts):
    (mine, clear), _ = loans
    log_in(page, server, "exec", "exec-demo")
    signed_in(page)
    shown = _look_up(page, server, mine)
    assert clear[1] not in shown and clear[2] not in shown and clear[3] not in shown
    assert pii.mask("phone", clear[2]) in shown and pii.mask("national_id", clear[1]) in shown
    page.get_by_text("Personal data masked for your role.").wait_for()
    page.screenshot(path=artifacts / "borrower-exec-masked.png", full_page=True)


def test_a_link_opened_signed_out_lands_on_its_page_after_login(page, server, loans, artifacts):
    """/borrower?loan=<id> in a fresh session: the login form at that address, then the page with the loan
    looked up; an admin (no Borrower 360 page) lands on their home page instead."""
    (mine, clear), _ = loans
    link = f"{server}/borrower?loan={mine}"
    log_in(page, link, "officer", "officer-demo")
    signed_in(page)
    page.locator(PERSONAL).wait_for()
    settle(page)
    assert page.url == link and all(v in page.locator(PERSONAL).inner_text() for v in clear)
    page.screenshot(path=artifacts / "deep-link-after-login.png", full_page=True)
    page.context.clear_cookies()
    log_in(page, link, "admin", "admin-demo")
    signed_in(page)
    page.get_by_role("heading", name="Portfolio overview", exact=True).wait_for()
    assert page.locator(PERSONAL).count() == 0 and page.get_by_role("heading", name="Borrower").count() == 0


def test_a_stale_remembered_login_is_refused(page, server, temp_user, artifacts):
    temp_user("sleepy", "executive", "sleepy-password")
    log_in(page, server, "sleepy", "sleepy-password")
    signed_in(page)
    page.reload()                                                  # remembered: still signed in
    signed_in(page)
    with workflow.engine().begin() as c:                           # then nobody touches it for 31 minutes
        c.execute(sa.update(workflow.users).where(workflow.users.c.username == "sleepy")
                  .values(last_seen_at=workflow.now() - timedelta(minutes=31)))
    page.reload()
    page.get_by_text("Your session ended after 30 minutes without activity").wait_for()
    settle(page)
    assert page.get_by_role("button", name="Log out").count() == 0
    page.screenshot(path=artifacts / "session-expired.png", full_page=True)
    page.reload()                                                  # and the cookie is gone for good
    page.get_by_role("textbox", name="Username").wait_for()
    settle(page)
    assert page.get_by_role("button", name="Log out").count() == 0
    assert workflow.audit_entries(action="session_expired", actor="sleepy")


def test_admin_pages_and_the_audited_export(page, server, demo_env, artifacts):
    log_in(page, server, "admin", "admin-demo")
    signed_in(page)
    table, uploader = '[data-testid="stDataFrame"]', '[data-testid="stFileUploader"]'
    for path, heading, ready in (("users", "Users", table), ("data", "Data", uploader), ("audit", "Audit log", table)):
        page.goto(f"{server}/{path}")
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        page.locator(ready).first.wait_for()
        settle(page)
        page.screenshot(path=artifacts / f"admin-{path}.png", full_page=True)
    page.get_by_text("Chain intact: all").wait_for()
    with page.expect_download() as info:
        page.get_by_role("button", name="Export CSV").click()
    rows = list(csv.reader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    assert rows[0] == list(workflow.AUDIT_COLUMNS) and len(rows) > 2
    exported = workflow.audit_entries(action="audit_export", actor="admin")
    assert exported and json.loads(exported[0]["details"])["rows"] == len(rows) - 1


def test_data_page_checks_an_upload_and_lists_its_problems(page, server, demo_env, tmp_path, artifacts):
    bad = tmp_path / "perf.csv"
    bad.write_text("Loan,as_of,balance,dpd,bucket\nL00000001,2026-10-31,abc,0,current\n"
                   "NOPE,2026-10-31,5,40,current\n")
    log_in(page, server, "admin", "admin-demo")
    signed_in(page)
    page.goto(f"{server}/data")
    page.get_by_role("heading", name="Data", exact=True).wait_for()
    settle(page)
    page.get_by_role("combobox", name="Into table").click()
    page.get_by_role("option", name="performance", exact=True).click()
    settle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    page.get_by_role("button", name="Check").wait_for()
    settle(page)
    page.get_by_role("button", name="Check").click()
    page.get_by_text("2 rows checked:").wait_for()
    settle(page)
    assert page.get_by_role("button", name="Import").is_disabled()
    assert "problems. Nothing can be imported" in page.get_by_text("2 rows checked:").inner_text()
    page.screenshot(path=artifacts / "data-check-problems.png", full_page=True)

