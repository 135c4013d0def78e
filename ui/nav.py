"""The page registry: every page, its title, icon and the roles allowed to open it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

import config

ROOT = Path(__file__).resolve().parent.parent
# Page scripts live in app_pages/: a folder named pages/ would put Streamlit in its v1 multipage mode, where
# every file in it is reachable by URL without running app.py (so without the login gate).
EVERYONE = frozenset(config.ROLES)


@dataclass(frozen=True)
class PageSpec:
    path: str                  # relative to the project root, as st.Page and AppTest.switch_page take it
    title: str
    icon: str
    roles: frozenset[str]
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/overview.py", "Portfolio overview", ":material/monitoring:", EVERYONE, default=True),
)


def allowed(roles: list[str] | tuple[str, ...]) -> list[PageSpec]:
    """The pages a person with these roles may open, in menu order."""
    return [p for p in PAGES if p.roles & set(roles)]


def spec_of(file: str) -> PageSpec:
    """The registry entry of a page script (pass __file__)."""
    rel = Path(file).resolve().relative_to(ROOT).as_posix()
    for p in PAGES:
        if p.path == rel:
            return p
    raise LookupError(f"{rel} is not in ui/nav.py PAGES")


def navigation(roles: list[str] | tuple[str, ...]):
    """st.navigation over the pages these roles may open (the caller runs it)."""
    pages = [st.Page(p.path, title=p.title, icon=p.icon, default=p.default) for p in allowed(roles)]
    if not pages:
        pages = [st.Page(_no_pages, title="No access", default=True)]
    return st.navigation(pages)


def _no_pages() -> None:
    st.warning("Your account has no role that opens a page. Ask an administrator to grant one.")
