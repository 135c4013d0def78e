"""The login gate: streamlit-authenticator over the workflow users table, lockout, idle expiry, the role check.

Accounts, lockout and expiry rules live in data/accounts.py; this module only wires them into Streamlit.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import sqlalchemy as sa
import streamlit as st
import streamlit_authenticator as stauth

import config
from data import accounts, pii, workflow
from ui import nav
from ui.i18n import t

COOKIE_NAME = "loanwatch_auth"
LAST_ACTIVITY = "loanwatch_last_activity"     # session state: epoch seconds of the last run while logged in
LAST_TOUCH = "loanwatch_last_touch"           # session state: when users.last_seen_at was last stamped
MESSAGE = "loanwatch_login_message"           # session state: (catalog key, values) shown above the form
ATTEMPT = "loanwatch_login_attempt"           # session state: (username, ok) of this run's password check
TOUCH_EVERY = 60                              # seconds between stamps of users.last_seen_at


@dataclass(frozen=True)
class User:
    username: str
    name: str
    roles: tuple[str, ...]
    staff_code: str | None = None             # officer code (loans.officer) or agent code (collection_actions.agent)
    branch: str | None = None


def login_fields() -> dict[str, str]:
    return {"Form name": t("auth.form_name"), "Username": t("auth.username"), "Password": t("auth.password"),
            "Login": t("auth.login")}


def credentials(eng: sa.Engine | None = None) -> dict:
    """streamlit-authenticator's credentials dict: active, unlocked users with their bcrypt hashes and roles."""
    u = workflow.users
    now = workflow.now()
    with (eng or workflow.engine()).connect() as c:
        rows = c.execute(sa.select(u.c.username, u.c.name, u.c.email, u.c.password_hash, u.c.roles, u.c.branch,
                                   u.c.staff_code, u.c.locked_until).where(u.c.disabled.is_(False))).all()
    users = {}
    for r in rows:
        locked = r.locked_until and accounts.aware(r.locked_until) > now
        if not locked:
            users[r.username.lower()] = {           # the authenticator lower-cases what is typed
                "name": r.name, "email": r.email or "", "password": r.password_hash,
                "roles": [x.strip() for x in r.roles.split(",") if x.strip()],
                "staff_code": r.staff_code, "branch": r.branch}
    return {"usernames": users}


def _sleep_time() -> float:
    """Seconds each logged-out run waits for the cookie (the library's 0.7 s); tests set 0."""
    return config.setting("login_sleep_time")


def authenticator(users: dict) -> stauth.Authenticate:
    """One per script run: it renders the cookie component. Given a deep copy, since it mutates what it gets."""
    key = pii.read_secret("cookie_key")
    if not key:
        st.error(t("auth.no_cookie_key"))
        st.stop()
    auth = stauth.Authenticate(copy.deepcopy(users), COOKIE_NAME, key, config.setting("session_days"),
                               auto_hash=False, login_sleep_time=_sleep_time())
    _watch_attempts(auth)
    return auth


def _watch_attempts(auth: stauth.Authenticate) -> None:
    """Note each password check (the library calls back on success only; lockout needs the failures too)."""
    model = auth.authentication_controller.authentication_model
    check = model.check_credentials

    def checked(username: str, password: str):
        ok = check(username, password)
        st.session_state[ATTEMPT] = (username, bool(ok))
        return ok
    model.check_credentials = checked


def current_user() -> User | None:
    s = st.session_state
    if not s.get("authentication_status"):
        return None
    return User(s["username"], s.get("name") or s["username"], tuple(s.get("roles") or ()),
                s.get("staff_code"), s.get("branch"))


def origin() -> str:
    """Where a request came from, for the audit log: the client's IP when Streamlit knows it."""
    return f"web:{getattr(st.context, 'ip_address', None) or 'unknown'}"


def request_logout() -> None:
    """on_click of the sidebar's logout button (ui/shell.py): the next gate() run logs out and audits it."""
    st.session_state["loanwatch_logout_requested"] = True


def _say(key: str, **values) -> None:
    st.session_state[MESSAGE] = (key, values)


def _log_out(auth: stauth.Authenticate, username: str, action: str = "logout", **details) -> None:
    workflow.audit(action, actor=username, origin=origin(), details=details or None)
    # logged out here, during the run, so the component that deletes the cookie reaches the browser
    auth.logout(location="unrendered")
    st.session_state.pop(LAST_ACTIVITY, None)


def _idle_minutes() -> float:
    return config.setting("idle_timeout_minutes")


def _expire_stale_cookie(auth: stauth.Authenticate, users: dict) -> None:
    """A remembered login of a user idle longer than the timeout (no session anywhere) must not sign in."""
    if st.session_state.get("authentication_status") or st.session_state.get("logout"):
        return
    token = auth.cookie_controller.get_cookie()
    name = token.get("username") if token else None
    if name in users and accounts.stale_login(name):
        st.session_state["logout"] = True          # the library's flag: ignore the cookie from now on
        auth.cookie_controller.delete_cookie()
        workflow.audit("session_expired", actor=name, origin=origin(),
                       details={"reason": "remembered login idle", "idle_minutes": _idle_minutes()})
        _say("auth.expired", minutes=f"{_idle_minutes():g}")


def _login_form(auth: stauth.Authenticate) -> None:
    try:
        auth.login(location="main", fields=login_fields())
    except stauth.LoginError:                    # a remembered login of an account no longer active
        st.session_state["logout"] = True        # the library's flag: ignore the cookie from now on
        auth.cookie_controller.delete_cookie()
        auth.login(location="main", fields=login_fields())


def _record_attempt() -> None:
    """Count this run's password check, if any: success resets the count, failures lock (data/accounts.py)."""
    attempt = st.session_state.pop(ATTEMPT, None)
    if attempt is None:
        return
    username, ok = attempt
    if ok:
        accounts.record_success(username, origin=origin())
        st.session_state.pop(MESSAGE, None)
        st.session_state[LAST_TOUCH] = time.time()
        return
    outcome = accounts.record_failure(username, origin=origin())
    if outcome.locked_until is not None:
        _say("auth.locked", until=f"{outcome.locked_until:%Y-%m-%d %H:%M}")
    else:
        _say("auth.wrong_password")


def _mark_active(username: str) -> None:
    now = time.time()
    st.session_state[LAST_ACTIVITY] = now
    if now - st.session_state.get(LAST_TOUCH, 0) >= TOUCH_EVERY:
        accounts.touch(username)
        st.session_state[LAST_TOUCH] = now


def gate() -> User | None:
    """The signed-in user; else the login form and None.

    Users are read afresh on every run, so disabling or locking an account, or changing its roles, takes
    effect at the user's next click rather than at their next login. A session idle longer than
    idle_timeout_minutes is logged out at its next click.
    """
    users = credentials()["usernames"]
    auth = authenticator({"usernames": users})
    user = current_user()
    if user and user.username not in users:
        _log_out(auth, user.username, reason="account disabled, locked or removed")
    elif user and st.session_state.pop("loanwatch_logout_requested", False):
        _log_out(auth, user.username)
    elif user and time.time() - st.session_state.get(LAST_ACTIVITY, time.time()) > _idle_minutes() * 60:
        _log_out(auth, user.username, "session_expired", reason="idle", idle_minutes=_idle_minutes())
        _say("auth.expired", minutes=f"{_idle_minutes():g}")
    _expire_stale_cookie(auth, users)
    box = st.container(width=560)               # the form reads better narrow; empty once logged in
    header = box.container()
    with box:
        _login_form(auth)
    _record_attempt()
    user = current_user()
    if user:
        for key in ("roles", "staff_code", "branch"):
            st.session_state[key] = users[user.username][key]
        _mark_active(user.username)
        return current_user()                   # ui/shell.py shows the user, roles and logout in the sidebar
    header.title("Loanwatch")
    header.caption(t("auth.tagline"))
    message = st.session_state.get(MESSAGE)
    if message and (st.session_state.get("authentication_status") is False or message[0] == "auth.expired"):
        (box.info if message[0] == "auth.expired" else box.error)(t(message[0], **message[1]))
    elif st.session_state.get("authentication_status") is False:
        box.error(t("auth.wrong_password"))
    elif not users and not accounts.list_users():
        box.warning(t("auth.no_users"))
    return None


def require_page(file: str) -> User:
    """Stop the page unless a signed-in user has a role it allows (navigation alone is not access control)."""
    user = current_user()
    if user is None:
        st.warning(t("auth.please_log_in"))
        st.stop()
    if not nav.spec_of(file).roles & set(user.roles):
        st.error(t("auth.not_allowed"))
        st.stop()
    return user
