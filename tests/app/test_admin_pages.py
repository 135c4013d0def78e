"""AppTests of the admin and personal-data pages (Users, Audit, Data, Borrower) and of the login gate's lockout,
idle expiry and staff code. The page checks at the top are also run for every role by test_pages.py."""
from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data import accounts, backup, pii, store, workflow
from tests.conftest import build_tiny_book, reset_caches
from tests.workspace import DEMO_USERS
from ui import auth, i18n

pytestmark = pytest.mark.app
ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
UNEXPECTED = i18n.t("common.unexpected_error", "en")


def app(username: str | None = None, roles: list[str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if username:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.session_state["name"] = username.title()
        at.session_state["roles"] = roles
    return at


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert UNEXPECTED not in [e.value for e in at.error]
    return at


def page(username: str, roles: list[str], path: str) -> AppTest:
    at = ok(app(username, roles).run())
    return ok(at.switch_page(path).run())


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def entries(action: str) -> list[dict]:
    return [e for e in workflow.audit_entries(action=action)]


# ---- the page checks test_pages.py runs for every allowed role -----------------------------------------------

def check_borrower(at: AppTest, home: Path) -> None:
    assert texts(at.title) == ["Borrower"]
    assert [t.label for t in at.text_input] == ["Loan ID, borrower ID or national ID"]
    assert [b.label for b in at.main.button] == ["Look up"]
    assert texts(at.info) == ["Enter a loan ID, a borrower ID or a national ID number above."]
    assert not at.dataframe                                   # nothing about anyone until a look-up


def check_users(at: AppTest, home: Path) -> None:
    assert texts(at.title) == ["Users"]
    table = at.dataframe[0].value
    assert list(table.columns[:4]) == ["Username", "Name", "Roles", "Branch"]
    assert sorted(table["Username"]) == sorted(u["username"] for u in accounts.list_users())
    assert set(DEMO_USERS) <= set(table["Username"])
    assert "Password" not in " ".join(table.columns) and not table.astype(str).apply(
        lambda c: c.str.startswith("$2")).any().any()
    assert [t.label for t in at.tabs] == ["Add a user", "Change a user"]
    assert "Add user" in [b.label for b in at.button]


def check_audit(at: AppTest, home: Path) -> None:
    assert texts(at.title) == ["Audit log"]
    intact, _, n = workflow.verify_audit()
    assert intact and texts(at.success) == [f"Chain intact: all {n:,} entries verify."]
    shown = at.dataframe[0].value
    assert list(shown.columns) == ["No.", "When (UTC)", "Who", "Action", "Target", "Details", "From"]
    assert shown["No."].tolist() == [e["seq"] for e in workflow.audit_entries(limit=1000)]
    assert [d.label for d in at.get("download_button")] == ["Export CSV"]


def check_data(at: AppTest, home: Path) -> None:
    assert texts(at.title) == ["Data"]
    assert [t.label for t in at.tabs] == ["Import", "Import history", "Backups"]
    assert at.radio(key="data_source").value == "file" and at.selectbox(key="data_table").value == "borrowers"
    assert len(at.get("file_uploader")) == 1
    history = at.dataframe[0].value
    assert history["Import"].tolist() == [r["import_id"] for r in workflow.import_history(limit=200)]
    assert "Back up now" in [b.label for b in at.button]


PAGE_CHECKS = {"app_pages/borrower.py": check_borrower, "app_pages/users.py": check_users,
               "app_pages/audit.py": check_audit, "app_pages/data.py": check_data}


# ---- Borrower: clear values only for the account's own officer or collector -------------------------------------

def _look_up(at: AppTest, key: str) -> AppTest:
    at.text_input(key="borrower_key").input(key)
    return ok(button(at, "Look up").click().run())


def _personal(at: AppTest) -> list[str]:
    """The four values in the personal-data box, as shown (markdown escapes removed)."""
    shown = [m.value for m in at.markdown if m.value.startswith("**") and m.value.endswith("**")]
    return [re.sub(r"\\(.)", r"\1", v[2:-2]) for v in shown[:4]]


def _plain(con, loan_id: str) -> list[str]:
    row = con.execute("SELECT b.name_enc, b.national_id_enc, b.phone_enc, b.address_enc FROM loans l "
                      "JOIN borrowers b USING (borrower_id) WHERE l.loan_id = ?", [loan_id]).fetchone()
    return pii.decrypt_many(row)


def _masked(values: list[str]) -> list[str]:
    return [pii.mask(f, v) for f, v in zip(pii.PII_FIELDS, values)]


@pytest.fixture
def book_loans(demo_env):
    """(a loan of the demo officer, a loan of the demo collector, a loan assigned to neither)."""
    con = store.reader(demo_env.home).cursor()
    officer, agent = auth.credentials()["usernames"]["officer"]["staff_code"], \
        auth.credentials()["usernames"]["collector"]["staff_code"]
    mine = con.execute("SELECT min(loan_id) FROM loans WHERE officer = ?", [officer]).fetchone()[0]
    worked = con.execute("SELECT min(loan_id) FROM collection_actions WHERE agent = ?", [agent]).fetchone()[0]
    other = con.execute(
        "SELECT min(l.loan_id) FROM loans l WHERE l.borrower_id NOT IN (SELECT borrower_id FROM loans x WHERE "
        "x.officer = ? OR x.loan_id IN (SELECT loan_id FROM collection_actions WHERE agent = ?))",
        [officer, agent]).fetchone()[0]
    assert mine and worked and other
    return con, mine, worked, other


def test_demo_staff_codes_are_real_codes_of_the_book(demo_env, book_loans):
    users = auth.credentials()["usernames"]
    assert (users["officer"]["staff_code"], users["collector"]["staff_code"]) == ("OF000-01", "AG1-04")
    at = ok(app("officer", ["credit_officer"]).run())
    assert at.session_state["staff_code"] == "OF000-01"


def test_officer_sees_an_assigned_loan_in_clear_and_another_masked(demo_env, book_loans):
    con, mine, _, other = book_loans
    at = page("officer", ["credit_officer"], "app_pages/borrower.py")
    before = {a: len(entries(a)) for a in ("view_borrower", "pii_reveal")}
    _look_up(at, mine)
    assert _personal(at) == _plain(con, mine)
    assert any(mine in s.value and "assigned to you" in s.value for s in at.success)
    assert mine in at.dataframe[0].value["loan_id"].tolist()       # the borrower's loans
    assert at.get("plotly_chart")                                  # the loan's history
    reveal = entries("pii_reveal")[0]
    assert (reveal["actor"], reveal["target"]) == ("officer", mine)
    assert json.loads(reveal["details"])["staff_code"] == "OF000-01"
    ok(at.run())                                                   # the same view again: not audited twice
    assert len(entries("pii_reveal")) == before["pii_reveal"] + 1
    assert len(entries("view_borrower")) == before["view_borrower"] + 1

    _look_up(at, other)
    assert _personal(at) == _masked(_plain(con, other)) != _plain(con, other)
    assert texts(at.info)[0] == "Personal data masked: no account of this borrower is assigned to you."
    assert len(entries("pii_reveal")) == before["pii_reveal"] + 1
    view = entries("view_borrower")[0]
    assert (view["target"], json.loads(view["details"])["revealed"]) == (other, False)
    text = json.dumps(workflow.audit_entries(limit=50), default=str)
    for secret in _plain(con, mine) + _plain(con, other):
        assert secret not in text


def test_collector_sees_a_loan_they_worked_in_clear(demo_env, book_loans):
    con, _, worked, other = book_loans
    at = page("collector", ["collector"], "app_pages/borrower.py")
    _look_up(at, worked)
    assert _personal(at) == _plain(con, worked)
    _look_up(at, other)
    assert _personal(at) == _masked(_plain(con, other))


@pytest.mark.parametrize("username", ["exec", "risk", "validator"])
def test_masked_roles_never_see_clear_values(demo_env, book_loans, username):
    con, mine, worked, _ = book_loans
    at = page(username, [DEMO_USERS[username]], "app_pages/borrower.py")
    for loan in (mine, worked):
        _look_up(at, loan)
        assert _personal(at) == _masked(_plain(con, loan))
        assert texts(at.info)[0] == "Personal data masked for your role."
    assert not [e for e in entries("pii_reveal") if e["actor"] == username]


def test_borrower_lookup_by_borrower_id_and_choice_of_loan(demo_env, book_loans):
    con, mine, _, _ = book_loans
    borrower = con.execute("SELECT borrower_id FROM loans WHERE loan_id = ?", [mine]).fetchone()[0]
    at = page("officer", ["credit_officer"], "app_pages/borrower.py")
    _look_up(at, borrower)
    assert at.subheader[0].value == f"Borrower {borrower}"
    loans = at.selectbox(key="borrower_loan").options
    assert mine in loans
    ok(at.selectbox(key="borrower_loan").set_value(mine).run())
    assert any(mine in m.value for m in at.markdown if m.value.startswith("**Performance of"))
    _look_up(at, "NO-SUCH-ID")
    assert texts(at.warning) == ["No loan or borrower matches NO-SUCH-ID."]


# ---- a small workspace of its own for the pages that change things ---------------------------------------------

@pytest.fixture
def small(isolated_home, monkeypatch):
    """The tiny book published, an admin and an officer; nothing shared with other tests."""
    monkeypatch.setenv("LOANWATCH_COOKIE_KEY", "test-cookie-key-not-secret-0123456789")
    monkeypatch.setenv("LOANWATCH_LOGIN_SLEEP_TIME", "0")
    with store.new_generation() as con:
        build_tiny_book(con)
    accounts.add_user("root", "Root Admin", "admin", "root-password")
    accounts.add_user("olga", "Olga Officer", "credit_officer", "olga-password", staff_code="OF1")
    reset_caches()
    return isolated_home


def test_users_page_adds_changes_disables_and_resets(small):
    at = page("root", ["admin"], "app_pages/users.py")
    at.text_input(key="users_new_username").input("Nina")
    at.text_input(key="users_new_name").input("Nina Risk")
    at.multiselect(key="users_new_roles").set_value(["risk_manager", "executive"])
    at.text_input(key="users_new_staff_code").input("RISK-1")
    at.text_input(key="users_new_password").input("nina-password")
    at.text_input(key="users_new_password2").input("nina-password")
    ok(button(at, "Add user").click().run())
    assert texts(at.success) == ["User nina added."]
    assert "nina" in at.dataframe[0].value["Username"].tolist()
    assert accounts.get_user("nina")["roles"] == "risk_manager,executive"
    assert (entries("user_add")[0]["actor"], entries("user_add")[0]["target"]) == ("root", "nina")

    at.text_input(key="users_new_username").input("nina")              # taken
    at.text_input(key="users_new_name").input("Again")
    at.multiselect(key="users_new_roles").set_value(["executive"])
    at.text_input(key="users_new_password").input("nina-password")
    at.text_input(key="users_new_password2").input("other-password")
    ok(button(at, "Add user").click().run())
    assert texts(at.error) == ["The two passwords differ."]

    ok(at.selectbox(key="users_chosen").set_value("olga").run())
    at.multiselect(key="users_edit_roles_olga").set_value(["credit_officer", "collector"])
    at.text_input(key="users_edit_staff_code_olga").input("OF2")
    ok(button(at, "Save changes").click().run())
    assert texts(at.success) == ["Changes to olga saved."]
    assert (accounts.get_user("olga")["roles"], accounts.get_user("olga")["staff_code"]) == \
        ("credit_officer,collector", "OF2")
    ok(at.button(key="users_disable").click().run())
    assert accounts.get_user("olga")["disabled"] and texts(at.success)[0].startswith("olga is disabled")
    ok(at.button(key="users_enable").click().run())
    assert not accounts.get_user("olga")["disabled"]
    at.text_input(key="users_reset_password_olga").input("olga-new-password")
    at.text_input(key="users_reset_password2_olga").input("olga-new-password")
    ok(button(at, "Set new password").click().run())
    assert texts(at.success) == ["New password set for olga; the account is unlocked."]
    assert [e["action"] for e in workflow.audit_entries() if e["actor"] == "root"][::-1] == [
        "user_add", "user_update", "user_disable", "user_enable", "user_reset_password"]

    ok(at.selectbox(key="users_chosen").set_value("root").run())
    ok(at.button(key="users_disable").click().run())                   # the last administrator stays
    assert "last active administrator" in texts(at.error)[0] and not accounts.get_user("root")["disabled"]


def test_audit_page_filters_and_shows_a_broken_chain(small):
    workflow.audit("view_borrower", actor="olga", target="L3")
    at = page("root", ["admin"], "app_pages/audit.py")
    ok(at.selectbox(key="audit_action").set_value("view_borrower").run())
    assert at.dataframe[0].value["Target"].tolist() == ["L3"]
    ok(at.selectbox(key="audit_action").set_value("All").run())
    ok(at.text_input(key="audit_text").input("nothing-like-this").run())
    assert texts(at.info) == ["No entry matches these filters."] and not at.dataframe
    with workflow.engine().begin() as c:
        c.execute(workflow.audit_log.update().where(workflow.audit_log.c.seq == 2).values(actor="mallory"))
    ok(at.run())
    assert texts(at.error)[0].startswith("Chain broken at entry 2:")


PERF = "Loan,as_of,balance,days_late,bucket\nL1,2024-04-30,700,0,current\nL2,2024-04-30,2000,75,61-90\n"


def test_data_page_maps_checks_and_imports_an_upload(small):
    at = page("root", ["admin"], "app_pages/data.py")
    ok(at.selectbox(key="data_table").set_value("performance").run())
    ok(at.get("file_uploader")[0].set_value(("perf.csv", PERF.encode(), "text/csv")).run())
    maps = {s.label: s for s in at.selectbox if s.key and s.key.startswith("data_map_")}
    assert {label: s.value for label, s in maps.items()} == {       # same names preset, the others as they are
        "Loan": None, "as_of": "as_of", "balance": "balance", "days_late": None, "bucket": "bucket"}
    assert at.button(key="data_import").disabled
    ok(at.button(key="data_check").click().run())
    problems = at.dataframe[0].value
    assert list(problems.columns) == ["Row", "Column", "Problem", "Value"]
    assert "required column missing" in problems["Problem"].tolist() and at.button(key="data_import").disabled
    assert texts(at.error)[0].startswith("2 rows checked:")
    ok(at.selectbox(key=maps["Loan"].key).set_value("loan_id").run())
    ok(at.selectbox(key=maps["days_late"].key).set_value("dpd").run())
    ok(at.button(key="data_check").click().run())
    assert texts(at.success) == ["2 rows checked: no problems. Ready to import."]
    assert not at.button(key="data_import").disabled
    ok(at.button(key="data_import").click().run())
    assert texts(at.success)[-1].startswith("Imported: 2 rows inserted, 0 updated, 0 unchanged")
    assert at.get("progress")
    reset_caches()
    con = store.reader().cursor()
    assert con.execute("SELECT count(*) FROM performance WHERE as_of = '2024-04-30'").fetchone()[0] == 2
    last = workflow.import_history(limit=1)[0]
    assert (last["actor"], last["status"], last["rows_written"], last["target_table"]) == \
        ("root", "published", 2, "performance")
    imported = entries("import")[0]
    assert imported["actor"] == "root" and imported["origin"].startswith("web:")
    assert not list(Path(tempfile.gettempdir()).glob("loanwatch-upload-*"))      # the upload is gone
    assert not [p for p in small.rglob("*") if p.name == "perf.csv"]


def test_data_page_imports_from_a_query(small, tmp_path):
    import sqlite3
    db = tmp_path / "src.sqlite"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE m (as_of TEXT, macro_index REAL)")
        c.execute("INSERT INTO m VALUES ('2024-04-30', 101.5)")
    at = page("root", ["admin"], "app_pages/data.py")
    ok(at.selectbox(key="data_table").set_value("macro").run())
    ok(at.radio(key="data_source").set_value("sql").run())
    at.text_input(key="data_url").input(f"sqlite:///{db}")
    ok(at.text_area(key="data_query").input("SELECT as_of, macro_index FROM m").run())
    ok(at.button(key="data_check").click().run())
    assert texts(at.success) == ["1 rows checked: no problems. Ready to import."]
    ok(at.button(key="data_import").click().run())
    assert texts(at.success)[-1].startswith("Imported: 1 rows inserted")
    ok(at.text_input(key="data_url").input("nonsense://").run())
    assert texts(at.error)[0].startswith("Not done: not a usable database URL")


def test_data_page_backs_up_and_restores(small):
    at = page("root", ["admin"], "app_pages/data.py")
    ok(button(at, "Back up now").click().run())
    made = backup.list_backups()
    assert len(made) == 1 and texts(at.success)[0].startswith(f"Backup written: {made[0]}")
    generation = store.current_path().name
    assert at.button(key="data_restore").disabled
    ok(at.checkbox(key="data_restore_confirm").check().run())
    ok(at.button(key="data_restore").click().run())
    assert texts(at.success)[0].startswith(f"Restored {made[0].name}: published as gen-")
    assert store.current_path().name != generation
    assert [e["action"] for e in workflow.audit_entries()][:2] == ["restore", "backup"]
    assert all(e["actor"] == "root" for e in workflow.audit_entries()[:2])


# ---- the login gate: lockout, idle expiry, first run -----------------------------------------------------------

def _log_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    return ok(at.button[0].click().run())


def test_five_failed_logins_lock_the_account(small):
    at = ok(app().run())
    for _ in range(4):
        _log_in(at, "olga", "wrong-password")
        assert texts(at.error) == ["Username or password is incorrect."]
    _log_in(at, "olga", "wrong-password")
    until = accounts.lock_state("olga")
    assert until is not None
    assert texts(at.error) == [f"Too many failed logins: this account is locked until {until:%Y-%m-%d %H:%M} UTC. "
                               "Try again then, or ask an administrator to unlock it."]
    _log_in(at, "olga", "olga-password")                      # the right password does not open a locked account
    assert at.session_state["authentication_status"] is False and "locked until" in texts(at.error)[0]
    assert [e["action"] for e in workflow.audit_entries() if e["actor"] == "olga"][:3] == \
        ["login_failed", "user_locked", "login_failed"]
    accounts.set_disabled("olga", False)                     # an administrator unlocks it
    _log_in(at, "olga", "olga-password")
    assert at.session_state["authentication_status"] is True and at.session_state["staff_code"] == "OF1"
    assert entries("login")[0]["actor"] == "olga" and accounts.get_user("olga")["failed_logins"] == 0


def test_an_idle_session_is_logged_out_at_the_next_click(small):
    at = ok(app("olga", ["credit_officer"]).run())
    assert at.session_state["authentication_status"] is True
    at.session_state[auth.LAST_ACTIVITY] = time.time() - 29 * 60        # 29 minutes: still signed in
    ok(at.run())
    assert at.session_state["authentication_status"] is True
    at.session_state[auth.LAST_ACTIVITY] = time.time() - 31 * 60
    ok(at.run())
    assert at.session_state["authentication_status"] is None
    assert texts(at.info) == ["Your session ended after 30 minutes without activity. Please log in again."]
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    expired = entries("session_expired")[0]
    assert expired["actor"] == "olga" and json.loads(expired["details"])["reason"] == "idle"


def test_no_users_says_how_to_add_the_first_admin(isolated_home, monkeypatch):
    monkeypatch.setenv("LOANWATCH_COOKIE_KEY", "test-cookie-key-not-secret-0123456789")
    monkeypatch.setenv("LOANWATCH_LOGIN_SLEEP_TIME", "0")
    at = ok(app().run())
    assert any("python cli.py users add --username admin" in w.value for w in at.warning)
