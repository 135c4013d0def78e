"""User accounts in the workflow store: administration, failed-login lockout and idle expiry (no Streamlit).

Every change is audited. Times come from an injectable clock (`now=`), so lockout and expiry are tested
without waiting. Passwords are only ever handled as bcrypt hashes once they reach this module.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

import bcrypt
import sqlalchemy as sa

import config
from data import workflow
from data.errors import DataError, UsageError

Clock = Callable[[], datetime]
USERNAME = re.compile(r"[a-z][a-z0-9_.-]{1,63}")
MIN_PASSWORD = 8
PUBLIC_COLUMNS = ("username", "name", "email", "roles", "branch", "staff_code", "disabled", "failed_logins",
                  "locked_until", "created_at", "last_seen_at")


@dataclass(frozen=True)
class Attempt:
    """What a login attempt led to: ok, failed (count so far), locked now, or refused while locked."""
    status: str                          # ok, failed, locked, refused_locked, unknown
    failures: int = 0
    locked_until: datetime | None = None


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time here is UTC."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------------------------------------- checks
def check_username(username: str) -> str:
    name = (username or "").strip().lower()
    if not USERNAME.fullmatch(name):
        raise UsageError(f"not a valid username: {username!r} (2-64 characters: a letter, then letters, digits, "
                         "'.', '_' or '-'; stored in lower case)")
    return name


def check_roles(roles: str | list[str] | tuple[str, ...]) -> list[str]:
    """Role names, validated against config.ROLES; at least one."""
    items = roles.split(",") if isinstance(roles, str) else list(roles)
    got = [r.strip() for r in items if r and r.strip()]
    unknown = [r for r in got if r not in config.ROLES]
    valid = f"valid roles: {', '.join(config.ROLES)}"
    if unknown:
        raise UsageError(f"unknown role{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; {valid}")
    if not got:
        raise UsageError(f"no role given; {valid}")
    return list(dict.fromkeys(got))


def check_password(password: str) -> bytes:
    if password is None or len(password) < MIN_PASSWORD:
        raise DataError(f"the password must have at least {MIN_PASSWORD} characters")
    if password != password.strip():
        raise DataError("the password must not start or end with a space (the login form trims them)")
    if len(password.encode()) > 72:
        raise DataError("the password must be at most 72 bytes (bcrypt's limit)")
    return password.encode()


def hash_password(password: str) -> str:
    return bcrypt.hashpw(check_password(password), bcrypt.gensalt()).decode()


# ---------------------------------------------------------------------------------------------- admin
def _row(c, username: str):
    u = workflow.users
    row = c.execute(sa.select(u).where(u.c.username == username)).first()
    if row is None:
        raise DataError(f"no such user: {username!r}")
    return row


def get_user(username: str, eng: sa.Engine | None = None) -> dict:
    with (eng or workflow.engine()).connect() as c:
        row = _row(c, check_username(username))
    return {k: row._mapping[k] for k in PUBLIC_COLUMNS}


def list_users(eng: sa.Engine | None = None, now: Clock = workflow.now) -> list[dict]:
    """Every account without its password hash, with a status: active, disabled or locked."""
    u = workflow.users
    with (eng or workflow.engine()).connect() as c:
        rows = c.execute(sa.select(*(u.c[k] for k in PUBLIC_COLUMNS)).order_by(u.c.username)).all()
    t = now()
    out = []
    for r in rows:
        d = dict(r._mapping)
        d["locked_until"], d["created_at"], d["last_seen_at"] = (aware(d["locked_until"]), aware(d["created_at"]),
                                                                  aware(d["last_seen_at"]))
        d["status"] = ("disabled" if d["disabled"] else
                       "locked" if d["locked_until"] and d["locked_until"] > t else "active")
        out.append(d)
    return out


def add_user(username: str, name: str, roles, password: str, *, branch: str | None = None,
             staff_code: str | None = None, email: str | None = None, actor: str | None = None,
             origin: str | None = None, eng: sa.Engine | None = None, now: Clock = workflow.now) -> dict:
    """Create an account; DataError when the username is taken."""
    eng = eng or workflow.engine()
    username, roles = check_username(username), check_roles(roles)
    if not (name or "").strip():
        raise UsageError("the user's display name is empty")
    values = dict(username=username, name=name.strip(), email=email or None, roles=",".join(roles),
                  branch=(branch or "").strip() or None, staff_code=(staff_code or "").strip() or None,
                  password_hash=hash_password(password), disabled=False, failed_logins=0, created_at=now())
    with eng.begin() as c:
        if c.execute(sa.select(workflow.users.c.username).where(workflow.users.c.username == username)).first():
            raise DataError(f"user {username!r} already exists")
        c.execute(workflow.users.insert().values(**values))
    workflow.audit("user_add", actor=actor, target=username, origin=origin, eng=eng, details={
        "name": values["name"], "roles": roles, "branch": values["branch"], "staff_code": values["staff_code"]})
    return get_user(username, eng)


def _change(username: str, action: str, values: dict, details: dict, actor, origin, eng) -> dict:
    eng = eng or workflow.engine()
    username = check_username(username)
    with eng.begin() as c:
        _row(c, username)
        c.execute(workflow.users.update().where(workflow.users.c.username == username).values(**values))
    workflow.audit(action, actor=actor, target=username, details=details or None, origin=origin, eng=eng)
    return get_user(username, eng)


def _keep_an_admin(username: str, eng: sa.Engine | None) -> None:
    """Refuse a change that would leave no active administrator (nobody could manage users from the app)."""
    others = [u for u in list_users(eng) if u["username"] != check_username(username) and not u["disabled"]
              and "admin" in u["roles"].split(",")]
    if not others:
        raise DataError(f"{username!r} is the last active administrator: add or enable another one first")


def set_disabled(username: str, disabled: bool, *, actor: str | None = None, origin: str | None = None,
                 eng: sa.Engine | None = None) -> dict:
    """Disable an account (its sessions end at their next click), or enable it again, which also unlocks it."""
    if disabled and "admin" in get_user(username, eng)["roles"].split(","):
        _keep_an_admin(username, eng)
    values = {"disabled": True} if disabled else {"disabled": False, "failed_logins": 0, "locked_until": None}
    return _change(username, "user_disable" if disabled else "user_enable", values, {}, actor, origin, eng)


def reset_password(username: str, password: str, *, actor: str | None = None, origin: str | None = None,
                   eng: sa.Engine | None = None) -> dict:
    """Set a new password; also clears failed logins and any lock."""
    values = {"password_hash": hash_password(password), "failed_logins": 0, "locked_until": None}
    return _change(username, "user_reset_password", values, {}, actor, origin, eng)


def update_user(username: str, *, roles=None, name: str | None = None, branch: str | None = None,
                staff_code: str | None = None, actor: str | None = None, origin: str | None = None,
                eng: sa.Engine | None = None) -> dict:
    """Change roles, display name, branch or staff code (None leaves a field as it is, '' clears it)."""
    before = get_user(username, eng)
    values: dict = {}
    if roles is not None:
        values["roles"] = ",".join(check_roles(roles))
        if "admin" in before["roles"].split(",") and "admin" not in values["roles"].split(",") \
                and not before["disabled"]:
            _keep_an_admin(username, eng)
    if name is not None:
        if not name.strip():
            raise UsageError("the user's display name is empty")
        values["name"] = name.strip()
    for key, value in (("branch", branch), ("staff_code", staff_code)):
        if value is not None:
            values[key] = value.strip() or None
    changed = {k: {"from": before[k], "to": v} for k, v in values.items() if before[k] != v}
    if not changed:
        return before
    action = "user_roles" if set(changed) == {"roles"} else "user_update"
    return _change(username, action, {k: values[k] for k in changed}, changed, actor, origin, eng)


# ---------------------------------------------------------------------------------------------- login
def record_success(username: str, *, origin: str | None = None, eng: sa.Engine | None = None,
                   now: Clock = workflow.now) -> Attempt:
    """A successful login: failures reset, activity stamped, audited."""
    eng = eng or workflow.engine()
    u = workflow.users
    with eng.begin() as c:
        c.execute(u.update().where(u.c.username == username).values(failed_logins=0, locked_until=None,
                                                                       last_seen_at=now()))
    workflow.audit("login", actor=username, origin=origin, eng=eng)
    return Attempt("ok")


def record_failure(username: str, *, origin: str | None = None, eng: sa.Engine | None = None,
                   now: Clock = workflow.now) -> Attempt:
    """A failed login for `username` (as typed, lower-cased). The max_failed_logins-th consecutive failure
    locks the account for lockout_minutes; attempts while it is locked are refused and not counted."""
    eng = eng or workflow.engine()
    username = (username or "").strip().lower()[:64] or "(empty)"
    u = workflow.users
    t = now()
    limit, minutes = config.setting("max_failed_logins"), config.setting("lockout_minutes")
    with eng.begin() as c:
        q = sa.select(u.c.failed_logins, u.c.locked_until, u.c.disabled).where(u.c.username == username)
        row = c.execute(q.with_for_update() if eng.dialect.name == "postgresql" else q).first()
        if row is None or row.disabled:
            outcome = Attempt("unknown")
        elif aware(row.locked_until) and aware(row.locked_until) > t:
            outcome = Attempt("refused_locked", row.failed_logins, aware(row.locked_until))
        else:
            failures = (0 if row.locked_until else row.failed_logins) + 1       # an expired lock starts afresh
            until = t + timedelta(minutes=minutes) if failures >= limit else None
            c.execute(u.update().where(u.c.username == username).values(failed_logins=failures, locked_until=until))
            outcome = Attempt("locked" if until else "failed", failures, until)
    reason = {"unknown": "unknown or disabled account", "refused_locked": "account locked",
              "failed": "wrong password", "locked": "wrong password"}[outcome.status]
    workflow.audit("login_failed", actor=username, origin=origin, eng=eng,
                   details={"reason": reason, "failures": outcome.failures})
    if outcome.status == "locked":
        workflow.audit("user_locked", actor=username, target=username, origin=origin, eng=eng,
                       details={"failures": outcome.failures, "locked_until": outcome.locked_until.isoformat(),
                                "minutes": minutes})
    return outcome


def lock_state(username: str, eng: sa.Engine | None = None, now: Clock = workflow.now) -> datetime | None:
    """When the account's lock ends, or None when it is not locked (or does not exist)."""
    u = workflow.users
    with (eng or workflow.engine()).connect() as c:
        until = c.execute(sa.select(u.c.locked_until).where(u.c.username == username)).scalar()
    until = aware(until)
    return until if until and until > now() else None


def touch(username: str, eng: sa.Engine | None = None, now: Clock = workflow.now) -> None:
    """Stamp the user's last activity (the app calls it at most once a minute per session)."""
    u = workflow.users
    with (eng or workflow.engine()).begin() as c:
        c.execute(u.update().where(u.c.username == username).values(last_seen_at=now()))


def idle_expired(last_activity: datetime | None, now: datetime, minutes: float | None = None) -> bool:
    """True when more than idle_timeout_minutes have passed since the last activity (None: no activity known)."""
    minutes = config.setting("idle_timeout_minutes") if minutes is None else minutes
    return last_activity is None or now - aware(last_activity) > timedelta(minutes=minutes)


def stale_login(username: str, eng: sa.Engine | None = None, now: Clock = workflow.now) -> bool:
    """A remembered login (cookie) whose user has been idle longer than the timeout: it must not sign in."""
    u = workflow.users
    with (eng or workflow.engine()).connect() as c:
        seen = c.execute(sa.select(u.c.last_seen_at).where(u.c.username == username)).scalar()
    return idle_expired(seen, now())
