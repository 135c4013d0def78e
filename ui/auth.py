"""The login gate: streamlit-authenticator over the workflow users table, and the per-page role check."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import timezone

import sqlalchemy as sa
import streamlit as st
import streamlit_authenticator as stauth

import config
from data import pii, workflow
from ui import nav

COOKIE_NAME = "loanwatch_auth"
LOGIN_FIELDS = {"Form name": "Log in to Loanwatch", "Username": "Username", "Password": "Password",
                "Login": "Log in"}


@dataclass(frozen=True)
class User:
    username: str
    name: str
    roles: tuple[str, ...]


def credentials(eng: sa.Engine | None = None) -> dict:
    """streamlit-authenticator's credentials dict: active, unlocked users with their bcrypt hashes and roles."""
    u = workflow.users
    now = workflow.now()
    with (eng or workflow.engine()).connect() as c:
        rows = c.execute(sa.select(u.c.username, u.c.name, u.c.email, u.c.password_hash, u.c.roles,
                                   u.c.locked_until).where(u.c.disabled.is_(False))).all()
    users = {}
    for r in rows:
        locked = r.locked_until and r.locked_until.replace(tzinfo=r.locked_until.tzinfo or timezone.utc) > now
        if not locked:
            users[r.username.lower()] = {           # the authenticator lower-cases what is typed
                "name": r.name, "email": r.email or "", "password": r.password_hash,
                "roles": [x.strip() for x in r.roles.split(",") if x.strip()]}
    return {"usernames": users}


def _sleep_time() -> float:
    """Seconds each logged-out run waits for the cookie (the library's 0.7 s); tests set 0."""
    return config.setting("login_sleep_time")


def authenticator(users: dict) -> stauth.Authenticate:
    """One per script run: it renders the cookie component. Given a deep copy, since it mutates what it gets."""
    key = pii.read_secret("cookie_key")
    if not key:
        st.error("No cookie key is configured: set LOANWATCH_COOKIE_KEY or `cookie_key` in "
                 ".streamlit/secrets.toml (see .streamlit/secrets.toml.example).")
        st.stop()
    return stauth.Authenticate(copy.deepcopy(users), COOKIE_NAME, key, config.setting("session_days"),
                               auto_hash=False, login_sleep_time=_sleep_time())


def current_user() -> User | None:
    s = st.session_state
    if not s.get("authentication_status"):
        return None
    return User(s["username"], s.get("name") or s["username"], tuple(s.get("roles") or ()))


def _origin() -> str:
    return f"web:{getattr(st.context, 'ip_address', None) or 'unknown'}"


def _audit(event: dict) -> None:
    action = "login" if event.get("widget") == "Login" else "logout"
    workflow.audit(action, actor=event.get("username") or "anonymous", origin=_origin())


def _request_logout() -> None:
    st.session_state["loanwatch_logout_requested"] = True


def _login_form(auth: stauth.Authenticate) -> None:
    try:
        auth.login(location="main", fields=LOGIN_FIELDS, callback=_audit)
    except stauth.LoginError:                    # a remembered login of an account no longer active
        st.session_state["logout"] = True        # the library's flag: ignore the cookie from now on
        auth.cookie_controller.delete_cookie()
        auth.login(location="main", fields=LOGIN_FIELDS, callback=_audit)


def gate() -> User | None:
    """The signed-in user (name, roles and a logout button in the sidebar); else the login form and None.

    Users are read afresh on every run, so disabling or locking an account, or changing its roles, takes
    effect at the user's next click rather than at their next login.
    """
    users = credentials()["usernames"]
    auth = authenticator({"usernames": users})
    user = current_user()
    if user and (user.username not in users or st.session_state.pop("loanwatch_logout_requested", False)):
        _audit({"widget": "Logout", "username": user.username})
        # logged out here, during the run, so the component that deletes the cookie reaches the browser
        auth.logout(location="unrendered")
    box = st.container(width=560)               # the form reads better narrow; empty once logged in
    header = box.container()
    with box:
        _login_form(auth)
    user = current_user()
    if user:
        st.session_state["roles"] = users[user.username]["roles"]
        user = current_user()
        st.sidebar.markdown(f"**{user.name}**")
        st.sidebar.caption("Roles: " + (", ".join(r.replace("_", " ") for r in user.roles) or "none"))
        st.sidebar.button("Log out", key="loanwatch_logout", on_click=_request_logout)
        return user
    header.title("Loanwatch")
    header.caption("Post-loan management: portfolio monitoring, early warning, reviews and collections.")
    if st.session_state.get("authentication_status") is False:
        box.error("Username or password is incorrect.")
    elif not users:
        box.warning("There are no user accounts yet: run `python cli.py demo` to create the demo users.")
    return None


def require_page(file: str) -> User:
    """Stop the page unless a signed-in user has a role it allows (navigation alone is not access control)."""
    user = current_user()
    if user is None:
        st.warning("Please log in.")
        st.stop()
    if not nav.spec_of(file).roles & set(user.roles):
        st.error("Your roles do not give access to this page.")
        st.stop()
    return user
