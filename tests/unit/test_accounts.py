"""User accounts: administration, lockout after failed logins (with an injected clock), idle expiry, audit search."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import bcrypt
import pytest
import sqlalchemy as sa

from data import accounts, workflow
from data.errors import DataError, UsageError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, start: datetime = T0):
        self.t = start

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw) -> None:
        self.t += timedelta(**kw)


def _actions(eng=None) -> list[tuple[str, str, str | None, dict]]:
    with (eng or workflow.engine()).connect() as c:
        rows = c.execute(sa.select(workflow.audit_log.c.action, workflow.audit_log.c.actor,
                                   workflow.audit_log.c.target, workflow.audit_log.c.details)
                         .order_by(workflow.audit_log.c.seq)).all()
    return [(a, who, tgt, json.loads(d) if d else {}) for a, who, tgt, d in rows]


@pytest.fixture
def alice(isolated_home):
    return accounts.add_user("Alice", "Alice Wong", "admin,risk_manager", "correct-horse", staff_code=" OF001-02 ",
                             actor="root", origin="test")


def test_add_user_stores_a_bcrypt_hash_and_is_audited(alice):
    assert alice["username"] == "alice" and alice["roles"] == "admin,risk_manager"
    assert alice["staff_code"] == "OF001-02" and "password_hash" not in alice
    with workflow.engine().connect() as c:
        h = c.execute(sa.select(workflow.users.c.password_hash)).scalar()
    assert h.startswith("$2") and bcrypt.checkpw(b"correct-horse", h.encode())
    assert _actions() == [("user_add", "root", "alice", {"name": "Alice Wong", "roles": ["admin", "risk_manager"],
                                                         "branch": None, "staff_code": "OF001-02"})]
    assert "correct-horse" not in json.dumps(_actions())


@pytest.mark.parametrize("call,error,text", [
    (lambda: accounts.add_user("alice", "A", "admin", "another-pass"), DataError, "already exists"),
    (lambda: accounts.add_user("bob", "B", "boss,admin", "bob-password"), UsageError, "unknown role 'boss'"),
    (lambda: accounts.add_user("bob", "B", "", "bob-password"), UsageError, "no role given"),
    (lambda: accounts.add_user("b ob", "B", "admin", "bob-password"), UsageError, "not a valid username"),
    (lambda: accounts.add_user("bob", "B", "admin", "short"), DataError, "at least 8 characters"),
    (lambda: accounts.add_user("bob", "B", "admin", " padded-pass "), DataError, "must not start or end"),
    (lambda: accounts.add_user("bob", " ", "admin", "bob-password"), UsageError, "display name is empty"),
    (lambda: accounts.set_disabled("nobody", True), DataError, "no such user: 'nobody'"),
    (lambda: accounts.update_user("alice", roles="risk_manager"), DataError, "last active administrator"),
    (lambda: accounts.set_disabled("alice", True), DataError, "last active administrator"),
])
def test_bad_changes_are_refused(alice, call, error, text):
    with pytest.raises(error, match=text):
        call()
    assert [a for a, *_ in _actions()] == ["user_add"]          # nothing else happened


def test_roles_disable_enable_and_reset_are_audited(alice):
    accounts.add_user("bob", "Bob", "admin", "bob-password")
    assert accounts.update_user("alice", roles=["risk_manager", "collector"], actor="bob")["roles"] == \
        "risk_manager,collector"
    assert accounts.update_user("alice", roles="collector,risk_manager")["roles"] == "collector,risk_manager"
    before = len(_actions())
    assert accounts.update_user("alice", roles="collector,risk_manager", name="Alice Wong") is not None
    assert len(_actions()) == before                              # nothing changed, nothing recorded
    accounts.update_user("alice", staff_code="AG1-04", branch="Pudong")
    assert accounts.set_disabled("alice", True)["disabled"] is True
    assert accounts.set_disabled("alice", False)["disabled"] is False
    accounts.reset_password("alice", "a-new-password", actor="bob")
    got = [(a, tgt) for a, _, tgt, _ in _actions()]
    assert got == [("user_add", "alice"), ("user_add", "bob"), ("user_roles", "alice"), ("user_roles", "alice"),
                   ("user_update", "alice"), ("user_disable", "alice"), ("user_enable", "alice"),
                   ("user_reset_password", "alice")]
    assert _actions()[4][3] == {"staff_code": {"from": "OF001-02", "to": "AG1-04"},
                                "branch": {"from": None, "to": "Pudong"}}
    assert workflow.verify_audit()[0]


def test_list_users_has_no_hashes_and_a_status(alice):
    clock = Clock()
    accounts.add_user("bob", "Bob", "collector", "bob-password")
    accounts.add_user("carol", "Carol", "executive", "carol-password")
    accounts.set_disabled("carol", True)
    for _ in range(5):
        accounts.record_failure("bob", now=clock)
    rows = accounts.list_users(now=clock)
    assert [(r["username"], r["status"]) for r in rows] == [("alice", "active"), ("bob", "locked"),
                                                          ("carol", "disabled")]
    assert all("password_hash" not in r for r in rows)
    clock.advance(minutes=15, seconds=1)
    assert accounts.list_users(now=clock)[1]["status"] == "active"


def test_five_failures_lock_for_fifteen_minutes(alice):
    clock = Clock()
    for i in range(1, 5):
        assert accounts.record_failure("alice", origin="web:10.0.0.9", now=clock) == accounts.Attempt("failed", i)
        clock.advance(seconds=20)
    fifth = accounts.record_failure("alice", origin="web:10.0.0.9", now=clock)
    assert fifth == accounts.Attempt("locked", 5, clock.t + timedelta(minutes=15))
    assert accounts.lock_state("alice", now=clock) == clock.t + timedelta(minutes=15)
    locked_at = clock.t
    clock.advance(minutes=14, seconds=59)                      # still locked: refused, not counted
    assert accounts.record_failure("alice", now=clock).status == "refused_locked"
    assert accounts.lock_state("alice", now=clock) == locked_at + timedelta(minutes=15)
    clock.advance(seconds=2)                                    # the lock has run out
    assert accounts.lock_state("alice", now=clock) is None
    assert accounts.record_failure("alice", now=clock) == accounts.Attempt("failed", 1)   # a fresh count
    acts = _actions()
    assert [a for a, *_ in acts].count("login_failed") == 7 and [a for a, *_ in acts].count("user_locked") == 1
    locked = next(d for a, _, _, d in acts if a == "user_locked")
    assert locked == {"failures": 5, "locked_until": (locked_at + timedelta(minutes=15)).isoformat(), "minutes": 15}
    assert {d["reason"] for a, _, _, d in acts if a == "login_failed"} == {"wrong password", "account locked"}


def test_success_resets_the_count(alice):
    clock = Clock()
    for _ in range(4):
        accounts.record_failure("alice", now=clock)
    assert accounts.record_success("alice", origin="web:10.0.0.9", now=clock).status == "ok"
    for i in range(1, 5):
        assert accounts.record_failure("alice", now=clock).failures == i
    assert accounts.lock_state("alice", now=clock) is None
    assert ("login", "alice", None, {}) in _actions()
    assert accounts.get_user("alice")["last_seen_at"] is not None


def test_settings_change_the_limit_and_the_duration(alice, monkeypatch):
    monkeypatch.setenv("LOANWATCH_MAX_FAILED_LOGINS", "2")
    monkeypatch.setenv("LOANWATCH_LOCKOUT_MINUTES", "60")
    clock = Clock()
    accounts.record_failure("alice", now=clock)
    assert accounts.record_failure("alice", now=clock).locked_until == T0 + timedelta(minutes=60)


def test_enable_and_reset_password_unlock(alice):
    clock = Clock(workflow.now())
    for _ in range(5):
        accounts.record_failure("alice", now=clock)
    assert accounts.lock_state("alice") is not None
    accounts.set_disabled("alice", False)
    assert accounts.lock_state("alice") is None and accounts.get_user("alice")["failed_logins"] == 0
    for _ in range(5):
        accounts.record_failure("alice", now=clock)
    accounts.reset_password("alice", "fresh-password-1")
    assert accounts.lock_state("alice") is None


def test_unknown_and_disabled_users_are_audited_without_a_row(alice):
    assert accounts.record_failure("Mallory", origin="web:10.9.9.9").status == "unknown"
    assert accounts.record_failure("x" * 300).status == "unknown"
    acts = [(a, who, d["reason"]) for a, who, _, d in _actions() if a == "login_failed"]
    assert acts == [("login_failed", "mallory", "unknown or disabled account"),
                    ("login_failed", "x" * 64, "unknown or disabled account")]


def test_idle_expiry():
    assert not accounts.idle_expired(T0, T0 + timedelta(minutes=30), 30)
    assert accounts.idle_expired(T0, T0 + timedelta(minutes=30, seconds=1), 30)
    assert accounts.idle_expired(None, T0, 30)
    assert accounts.idle_expired(T0.replace(tzinfo=None), T0 + timedelta(hours=1), 30)     # SQLite's naive times


def test_a_stale_remembered_login_is_refused(alice, monkeypatch):
    clock = Clock()
    assert accounts.stale_login("alice", now=clock)                     # never seen: no cookie may sign in
    accounts.touch("alice", now=clock)
    clock.advance(minutes=29)
    assert not accounts.stale_login("alice", now=clock)
    clock.advance(minutes=2)
    assert accounts.stale_login("alice", now=clock)
    monkeypatch.setenv("LOANWATCH_IDLE_TIMEOUT_MINUTES", "120")
    assert not accounts.stale_login("alice", now=clock)


def test_an_older_users_table_gets_the_new_columns(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    raw = sa.create_engine(url)
    with raw.begin() as c:
        c.exec_driver_sql("CREATE TABLE users (username VARCHAR(64) PRIMARY KEY, name VARCHAR(200) NOT NULL, "
                          "email VARCHAR(200), password_hash VARCHAR(200) NOT NULL, roles VARCHAR(400) NOT NULL, "
                          "branch VARCHAR(100), disabled BOOLEAN NOT NULL, failed_logins INTEGER NOT NULL, "
                          "locked_until DATETIME, created_at DATETIME NOT NULL)")
        c.exec_driver_sql("INSERT INTO users VALUES ('old', 'Old', NULL, 'x', 'admin', NULL, 0, 0, NULL, "
                          "'2024-01-01 00:00:00')")
    eng = workflow.engine(url)
    assert {c["name"] for c in sa.inspect(eng).get_columns("users")} >= {"staff_code", "last_seen_at"}
    assert accounts.list_users(eng)[0]["username"] == "old"
    accounts.update_user("old", staff_code="OF001-01", eng=eng)
    assert accounts.get_user("old", eng)["staff_code"] == "OF001-01"


# ---- audit search and export ---------------------------------------------------------------------------------

def test_audit_search_by_actor_action_dates_and_text(isolated_home):
    eng = workflow.engine()
    workflow.audit("login", actor="alice", origin="web:10.0.0.1")
    workflow.audit("view_borrower", actor="bob", target="L00000042", details={"borrower_id": "B7"})
    workflow.audit("export", actor="alice", target="loans", details={"out": "/x/100%_done.csv"})
    with eng.begin() as c:                                     # pretend the first entry is from last year
        c.execute(workflow.audit_log.update().where(workflow.audit_log.c.seq == 1).values(at="2025-01-05T10:00:00"))
    seqs = lambda **q: [e["seq"] for e in workflow.audit_entries(**q)]     # noqa: E731
    assert seqs() == [3, 2, 1]
    assert seqs(actor="alice") == [3, 1]
    assert seqs(action="view_borrower") == [2]
    assert seqs(text="l00000042") == [2] and seqs(text="b7") == [2] and seqs(text="10.0.0") == [1]
    assert seqs(text="100%_") == [3] and seqs(text="%") == [3]
    assert seqs(since=date(2025, 1, 5), until=date(2025, 1, 5)) == [1]
    assert seqs(since=date(2025, 1, 6)) == [3, 2]
    assert seqs(limit=1) == [3]
    assert workflow.audit_facets() == {"actor": ["alice", "bob"], "action": ["export", "login", "view_borrower"]}


def test_audit_like_wildcards_are_literal(isolated_home):
    workflow.audit("export", actor="a", details={"out": "100%_done.csv"})
    workflow.audit("export", actor="a", details={"out": "1000 done.csv"})
    assert [e["seq"] for e in workflow.audit_entries(text="100%_")] == [1]
    assert [e["seq"] for e in workflow.audit_entries(text="0_d")] == []


def test_audit_export_is_audited_and_holds_every_match(isolated_home):
    for i in range(5):
        workflow.audit("login", actor=f"u{i % 2}")
    blob = workflow.export_audit({"actor": None, "action": "login", "since": None, "until": None, "text": None},
                                 by="admin", origin="web:10.0.0.2")
    lines = blob.decode().splitlines()
    assert lines[0] == ",".join(workflow.AUDIT_COLUMNS) and len(lines) == 6
    last = workflow.audit_entries(limit=1)[0]
    assert (last["action"], last["actor"], last["origin"]) == ("audit_export", "admin", "web:10.0.0.2")
    assert json.loads(last["details"]) == {"rows": 5, "action": "login", "actor": None, "since": None, "until": None,
                                           "text": None}
    assert workflow.verify_audit() == (True, None, 6)


def test_acting_as_sets_who_and_where(isolated_home, monkeypatch):
    monkeypatch.delenv("LOANWATCH_ACTOR", raising=False)
    with workflow.acting_as("admin", "web:10.1.1.1"):
        workflow.audit("import")
        assert workflow.operator() == "admin"
    workflow.audit("import")
    first, second = sorted(workflow.audit_entries(), key=lambda e: e["seq"])
    assert (first["actor"], first["origin"]) == ("admin", "web:10.1.1.1")
    assert second["actor"].startswith("cli:") and second["origin"] != "web:10.1.1.1"


def test_the_import_history_keeps_no_cell_values(isolated_home):
    iid = workflow.start_import("file", "/tmp/b.csv", "borrowers")
    workflow.finish_import(iid, "rejected", problems=1, message=(
        "b.csv: rejected, 2 problems (first: row 2, birth_year: not a whole number: '110101199003074514'); "
        "nothing was imported"))
    (row,) = workflow.import_history()
    assert row["message"] == ("b.csv: rejected, 2 problems (first: row 2, birth_year: not a whole number: "
                              "'(value not kept)'); nothing was imported")
    assert workflow.without_values("b.csv: rejected, 1 problem (first: row 1, dpd: required column missing); "
                                   "nothing was imported").endswith("required column missing); nothing was imported")
