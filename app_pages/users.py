"""Users (admin): list accounts, add one, change roles and details, disable or enable, reset a password."""
import pandas as pd
import streamlit as st

import config
from data import accounts
from data.errors import DataError, UsageError
from ui import auth, i18n
from ui.i18n import t

admin = auth.require_page(__file__)
FLASH = "users_flash"


def _act(do, ok_key: str) -> dict | None:
    """Run an account change in a callback (before the page draws, so the table shows it); note the outcome."""
    try:
        user = do()
    except (DataError, UsageError) as exc:
        st.session_state[FLASH] = ("error", t("users.failed", error=exc))
        return None
    st.session_state[FLASH] = ("success", t(ok_key, username=user["username"]))
    return user


def _add() -> None:
    s = st.session_state
    if s["users_new_password"] != s["users_new_password2"]:
        s[FLASH] = ("error", t("users.passwords_differ"))
        return
    _act(lambda: accounts.add_user(s["users_new_username"], s["users_new_name"], s["users_new_roles"],
                                   s["users_new_password"], branch=s["users_new_branch"],
                                   staff_code=s["users_new_staff_code"], email=s["users_new_email"],
                                   actor=admin.username, origin=auth.origin()), "users.added")


def _save(username: str) -> None:
    s = st.session_state
    before = accounts.get_user(username)
    after = _act(lambda: accounts.update_user(
        username, roles=s[f"users_edit_roles_{username}"], name=s[f"users_edit_name_{username}"],
        branch=s[f"users_edit_branch_{username}"], staff_code=s[f"users_edit_staff_code_{username}"],
        actor=admin.username, origin=auth.origin()), "users.saved")
    if after == before:
        s[FLASH] = ("info", t("users.unchanged"))


def _toggle(username: str, disable: bool) -> None:
    _act(lambda: accounts.set_disabled(username, disable, actor=admin.username, origin=auth.origin()),
         "users.disabled" if disable else "users.enabled")


def _reset(username: str) -> None:
    s = st.session_state
    if s[f"users_reset_password_{username}"] != s[f"users_reset_password2_{username}"]:
        s[FLASH] = ("error", t("users.passwords_differ"))
        return
    _act(lambda: accounts.reset_password(username, s[f"users_reset_password_{username}"], actor=admin.username,
                                         origin=auth.origin()), "users.reset_done")


def _roles_label(roles: str) -> str:
    return ", ".join(i18n.label("role", r) for r in roles.split(",") if r)


st.title(t("users.title"))
st.caption(t("users.caption"))
if FLASH in st.session_state:
    kind, text = st.session_state.pop(FLASH)
    getattr(st, kind)(text)

users = accounts.list_users()
table = pd.DataFrame([{
    t("users.username"): u["username"], t("users.name"): u["name"], t("users.roles"): _roles_label(u["roles"]),
    t("users.branch"): u["branch"] or "", t("users.staff_code"): u["staff_code"] or "",
    t("users.status"): t(f"users.status_{u['status']}"), t("users.failed_logins"): u["failed_logins"],
    t("users.locked_until"): u["locked_until"], t("users.last_seen"): u["last_seen_at"],
    t("users.created"): u["created_at"]} for u in users])
when = {t(f"users.{k}"): st.column_config.DatetimeColumn(t(f"users.{k}"), format="YYYY-MM-DD HH:mm")
        for k in ("locked_until", "last_seen", "created")}
st.dataframe(table, hide_index=True, width="stretch", column_config=when)

add_tab, change_tab = st.tabs([t("users.tab_add"), t("users.tab_change")])
with add_tab, st.form("users_add", clear_on_submit=True):
    left, right = st.columns(2)
    left.text_input(t("users.username"), key="users_new_username", max_chars=64)
    right.text_input(t("users.name"), key="users_new_name")
    left.multiselect(t("users.roles"), config.ROLES, key="users_new_roles",
                     format_func=lambda r: i18n.label("role", r))
    right.text_input(t("users.email"), key="users_new_email")
    left.text_input(t("users.branch"), key="users_new_branch")
    right.text_input(t("users.staff_code"), key="users_new_staff_code")
    left.text_input(t("users.password"), type="password", key="users_new_password")
    right.text_input(t("users.password_again"), type="password", key="users_new_password2")
    st.form_submit_button(t("users.add"), on_click=_add, type="primary")

with change_tab:
    names = [u["username"] for u in users]
    chosen = st.selectbox(t("users.choose"), names, key="users_chosen") if names else None
    if chosen:
        u = next(x for x in users if x["username"] == chosen)
        with st.form("users_edit"):
            st.markdown(f"**{t('users.details_title')}**")
            left, right = st.columns(2)
            left.multiselect(t("users.roles"), config.ROLES, default=u["roles"].split(","),
                             key=f"users_edit_roles_{chosen}", format_func=lambda r: i18n.label("role", r))
            right.text_input(t("users.name"), value=u["name"], key=f"users_edit_name_{chosen}")
            left.text_input(t("users.branch"), value=u["branch"] or "", key=f"users_edit_branch_{chosen}")
            right.text_input(t("users.staff_code"), value=u["staff_code"] or "",
                             key=f"users_edit_staff_code_{chosen}")
            st.form_submit_button(t("users.save"), on_click=_save, args=(chosen,))
        st.markdown(f"**{t('users.access_title')}** · {t('users.status_' + u['status'])}")
        if u["disabled"] or u["status"] == "locked":
            st.button(t("users.enable"), key="users_enable", on_click=_toggle, args=(chosen, False))
        if not u["disabled"]:
            st.button(t("users.disable"), key="users_disable", on_click=_toggle, args=(chosen, True))
        with st.form("users_reset", clear_on_submit=True):
            st.markdown(f"**{t('users.reset_title')}**")
            left, right = st.columns(2)
            left.text_input(t("users.new_password"), type="password", key=f"users_reset_password_{chosen}")
            right.text_input(t("users.password_again"), type="password", key=f"users_reset_password2_{chosen}")
            st.form_submit_button(t("users.reset"), on_click=_reset, args=(chosen,))
