"""`python cli.py users ...` and `audit verify` as an operator runs them: exit 0 done, 1 bad data, 2 bad usage;
passwords only from a prompt or standard input, never echoed, never in the audit log."""
from __future__ import annotations

import os
import subprocess
import sys

import bcrypt
import pytest
import sqlalchemy as sa

from data import accounts, workflow
from tests.conftest import REPO


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", *args], cwd=REPO, env=os.environ.copy(), capture_output=True,
                          text=True, timeout=120, input=stdin if stdin is not None else "")


def _hash(username: str) -> str:
    with workflow.engine().connect() as c:
        return c.execute(sa.select(workflow.users.c.password_hash)
                         .where(workflow.users.c.username == username)).scalar()


def test_add_list_disable_enable_reset(isolated_home):
    proc = cli("users", "list")
    assert proc.returncode == 0 and "no user accounts yet" in proc.stdout
    proc = cli("users", "add", "--username", "Ops", "--name", "Ops Admin", "--roles", "admin,risk_manager",
               "--password-stdin", stdin="s3cret-password\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "added user ops (admin,risk_manager)" and proc.stdout == ""
    assert bcrypt.checkpw(b"s3cret-password", _hash("ops").encode())
    proc = cli("users", "add", "--username", "col", "--name", "A Collector", "--roles", "collector",
               "--staff-code", "AG1-04", "--branch", "Hangzhou Xihu", "--password-stdin", stdin="collector-pw-1")
    assert proc.returncode == 0, proc.stderr
    lines = cli("users", "list").stdout.splitlines()
    assert lines[0].split() == ["username", "name", "roles", "branch", "staff", "code", "status", "failed",
                                "locked", "until", "last", "seen"]
    assert lines[1].split()[:3] == ["col", "A", "Collector"] and "AG1-04" in lines[1] and "active" in lines[1]
    assert lines[2].split()[0] == "ops" and len(lines) == 3
    listing = "\n".join(lines)
    assert "$2" not in listing and "password" not in listing
    assert cli("users", "disable", "--username", "col").returncode == 0
    assert "disabled" in cli("users", "list").stdout.splitlines()[1]
    for _ in range(5):
        accounts.record_failure("ops")
    assert "locked" in cli("users", "list").stdout.splitlines()[2]
    proc = cli("users", "enable", "--username", "col")
    assert proc.returncode == 0 and "enabled and unlocked" in proc.stderr
    old = _hash("ops")
    proc = cli("users", "reset-password", "--username", "ops", "--password-stdin", stdin="another-password\n")
    assert proc.returncode == 0 and "unlocked" in proc.stderr
    assert _hash("ops") != old and accounts.lock_state("ops") is None
    assert cli("users", "set-roles", "--username", "col", "--roles", "collector,credit_officer").returncode == 0
    assert accounts.get_user("col")["roles"] == "collector,credit_officer"
    actions = [e["action"] for e in workflow.audit_entries()][::-1]
    assert [a for a in actions if a.startswith("user_")] == [
        "user_add", "user_add", "user_disable", "user_locked", "user_enable", "user_reset_password", "user_roles"]
    log = " ".join(str(e) for e in workflow.audit_entries())
    assert "s3cret-password" not in log and "another-password" not in log and "collector-pw-1" not in log
    assert workflow.verify_audit()[0]


# (arguments, standard input, expected exit code, text of the one error line)
CASES = [
    (["users", "add", "--username", "x1", "--name", "X", "--roles", "boss", "--password-stdin"], "pw-123456", 2,
     "unknown role 'boss'; valid roles: admin, risk_manager"),
    (["users", "add", "--username", "x1", "--name", "X", "--password-stdin"], "pw-123456", 2,
     "the following arguments are required: --roles"),
    (["users", "add", "--username", "-bad name", "--name", "X", "--roles", "admin", "--password-stdin"], "pw-1234567",
     2, "not a valid username"),
    (["users", "add", "--username", "x1", "--name", "X", "--roles", "admin", "--password", "hunter22"], "", 2,
     "a password is never taken as an argument"),
    (["users", "add", "--username", "x1", "--name", "X", "--roles", "admin"], "", 2,
     "no terminal to ask for the password: pipe it in with --password-stdin"),
    (["users", "add", "--username", "x1", "--name", "X", "--roles", "admin", "--password-stdin"], "short\n", 1,
     "the password must have at least 8 characters"),
    (["users", "add", "--username", "taken", "--name", "X", "--roles", "admin", "--password-stdin"], "pw-1234567",
     1, "user 'taken' already exists"),
    (["users", "disable", "--username", "nobody"], "", 1, "no such user: 'nobody'"),
    (["users", "reset-password", "--username", "nobody", "--password-stdin"], "pw-1234567", 1, "no such user"),
    (["users", "disable", "--username", "taken"], "", 1, "'taken' is the last active administrator"),
    (["users", "set-roles", "--username", "taken", "--roles", "executive"], "", 1, "last active administrator"),
    (["users", "frobnicate"], "", 2, "invalid choice: 'frobnicate'"),
    (["users"], "", 2, "the following arguments are required: ACTION"),
]


@pytest.mark.parametrize("args,stdin,code,text", CASES, ids=[" ".join(c[0][:2]) + f"-{i}" for i, c in enumerate(CASES)])
def test_bad_usage_and_bad_data(isolated_home, args, stdin, code, text):
    accounts.add_user("taken", "Taken", "admin", "taken-password")
    before = workflow.verify_audit()[2]
    proc = cli(*args, stdin=stdin)
    assert proc.returncode == code, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and text in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert "hunter22" not in proc.stderr
    assert workflow.verify_audit()[2] == before                 # nothing was changed or recorded
    assert [u["username"] for u in accounts.list_users()] == ["taken"]


def test_audit_verify_reports_the_first_broken_link(isolated_home):
    for i in range(4):
        workflow.audit("login", actor=f"u{i}")
    proc = cli("audit", "verify")
    assert (proc.returncode, proc.stdout.strip()) == (0, "audit log intact: 4 entries")
    with workflow.engine().begin() as c:
        c.execute(workflow.audit_log.update().where(workflow.audit_log.c.seq == 2).values(actor="mallory"))
    proc = cli("audit", "verify")
    assert (proc.returncode, proc.stdout.strip()) == (1, "audit log broken at entry 2 (checked 2 entries)")
    assert cli("audit", "check").returncode == 2
