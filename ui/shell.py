"""The sidebar every signed-in page shares: as-of month-end, global filters, language, the user and logout.

The choices live in plain session-state keys (`as_of`, `filters`, `lang`) that outlive the widgets, so they carry
across pages and survive a logout; pages read them through `as_of()`, `filters()` and `ui.i18n.current()`.
Widgets copy their value into those keys in `on_change` callbacks, which run before the script: the run a click
starts already renders every text, title and figure with the new choice.
"""
from __future__ import annotations

import datetime as dt
import logging

import streamlit as st

from analytics.filters import Filters
from ui import auth, data, i18n
from ui.i18n import t

AS_OF, FILTERS, LANG = "as_of", "filters", "lang"
DIMENSIONS = (("products", "product"), ("regions", "region"), ("branches", "branch"))   # Filters field, label kind
log = logging.getLogger("loanwatch.ui")


# ---- what pages read ---------------------------------------------------------------------------------------

def book() -> data.Book:
    """The published book, or an empty state that says what to do (and the page stops)."""
    b = data.book()
    if b is None:
        st.info(t("common.no_data"))
        st.stop()
    return b


def as_of(b: data.Book) -> dt.date:
    """The chosen month-end, or the latest one (also when the chosen one is not in the data any more)."""
    months = data.months(b)
    chosen = st.session_state.get(AS_OF)
    return chosen if chosen in months else months[-1]


def previous_month(b: data.Book, month: dt.date) -> dt.date | None:
    """The month-end with data just before `month`, or None for the first."""
    months = data.months(b)
    i = months.index(month)
    return months[i - 1] if i > 0 else None


def filters() -> Filters:
    f = st.session_state.get(FILTERS)
    return f if isinstance(f, Filters) else Filters()


def context(month: dt.date) -> str:
    """'Month-end 2026-10-31 · whole book' or '... · Product: card; Region: North': what every figure covers."""
    f = filters()
    parts = [t("common.filter_item", name=t(f"common.{kind}"), values=", ".join(i18n.label(kind, v) for v in
                                                                            getattr(f, field)))
             for field, kind in DIMENSIONS if getattr(f, field)]
    scope = "; ".join(parts) if parts else t("common.whole_book")
    return f"{t('common.month_end', date=i18n.date(month))} · {scope}"


def stop_if_empty(open_loans: int, month: dt.date) -> None:
    """The empty state of a filter that matches no open loan: say so and how to widen it."""
    if not open_loans:
        st.info(t("common.no_match", date=i18n.date(month)))
        st.stop()


# ---- the sidebar -------------------------------------------------------------------------------------------

def sidebar(user: auth.User) -> None:
    """As-of month-end and filters (when data is published), language, the user and roles, logout."""
    b = data.book()
    with st.sidebar:
        if b is not None:
            _month_picker(b)
            _filter_pickers(b)
        st.divider()
        language_picker()
        st.divider()
        st.markdown(f"**{user.name}**")
        roles = ", ".join(i18n.label("role", r) for r in user.roles) or t("common.no_roles")
        st.caption(t("common.roles_line", roles=roles))
        st.button(t("common.logout"), key="shell_logout", on_click=auth.request_logout, icon=":material/logout:")


def language_picker() -> None:
    """English / 简体中文; also shown to a visitor on the login page."""
    langs = list(i18n.LANGUAGES)
    _seed("shell_lang", st.session_state.get(LANG, i18n.DEFAULT), langs)
    st.radio(t("common.language"), langs, key="shell_lang", format_func=i18n.LANGUAGES.get, horizontal=True,
             on_change=_copy, args=("shell_lang", LANG))


def _key(name: str) -> str:
    """A picker's widget key, per language: the browser keeps a choice as its label, which a language switch
    changes, so each language gets fresh widgets seeded from the lasting state."""
    return f"shell_{name}_{i18n.current()}"


def _month_picker(b: data.Book) -> None:
    months = list(reversed(data.months(b)))                       # latest first
    key, lang = _key("as_of"), i18n.current()                     # lang bound: AppTest formats outside the run
    _seed(key, as_of(b), months)
    st.selectbox(t("common.as_of"), months, key=key, format_func=lambda m: i18n.date(m, lang),
                 on_change=_copy, args=(key, AS_OF), help=t("common.as_of_help"))


def _filter_pickers(b: data.Book) -> None:
    options = data.filter_options(b)
    current = filters()
    st.markdown(f"**{t('common.filters')}**")
    for field, kind in DIMENSIONS:
        choices = options.get(field, [])
        key = _key(field)
        have = st.session_state.get(key)
        if have is None or not set(have) <= set(choices):      # first run, after logout, or a new book
            st.session_state[key] = [v for v in getattr(current, field) if v in choices]
        st.multiselect(t(f"common.{kind}"), choices, key=key, on_change=_store_filters,
                       format_func=lambda v, k=kind, lang=i18n.current(): i18n.label(k, v, lang),
                       placeholder=t("common.all"))
    if filters().active:
        st.button(t("common.clear_filters"), key="shell_clear", on_click=_clear_filters, icon=":material/close:")


def _seed(key: str, value, allowed: list) -> None:
    """Give a widget its value from the lasting state when it has none (first run, after logout) or an invalid one."""
    if st.session_state.get(key) not in allowed:
        st.session_state[key] = value


def _copy(widget_key: str, state_key: str) -> None:
    st.session_state[state_key] = st.session_state[widget_key]


def _store_filters() -> None:
    st.session_state[FILTERS] = Filters(**{field: tuple(st.session_state.get(_key(field)) or ())
                                           for field, _ in DIMENSIONS})


def _clear_filters() -> None:
    for field, _ in DIMENSIONS:
        st.session_state[_key(field)] = []
    st.session_state[FILTERS] = Filters()


# ---- running a page ----------------------------------------------------------------------------------------

def run(page) -> None:
    """Run the chosen page; an unexpected error is logged with its traceback and shown as a plain message."""
    try:
        page.run()
    except Exception:                    # st.stop() and st.rerun() are BaseExceptions and pass through
        log.exception("page %s failed", getattr(page, "url_path", page))
        st.error(t("common.unexpected_error"), icon=":material/error:")
