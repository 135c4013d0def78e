"""The page registry: every page, its title, icon, menu section, the roles allowed to open it and whose home it is.

This is the one role-by-page matrix: it decides both what the navigation lists and what each page serves
(`ui.auth.require_page`). Titles are translated through ui/locales/nav.toml (`nav.<file stem>`, English `title`
when the catalog has no entry); section names through `nav.section_<section>`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

import config
from ui.i18n import catalog, current, t

ROOT = Path(__file__).resolve().parent.parent
# Page scripts live in app_pages/: a folder named pages/ would put Streamlit in its v1 multipage mode, where
# every file in it is reachable by URL without running app.py (so without the login gate).
EVERYONE = frozenset(config.ROLES)


RISK = frozenset({"admin", "risk_manager", "executive", "model_validator"})


@dataclass(frozen=True)
class PageSpec:
    path: str                  # relative to the project root, as st.Page and AppTest.switch_page take it
    title: str                 # English; shown translated from nav.toml when it has nav.<file stem>
    icon: str
    roles: frozenset[str]
    default: bool = False      # the home of a user none of whose roles has a page in `home_for`
    home_for: frozenset[str] = frozenset()     # roles that land here after login
    section: str = "portfolio"                 # menu group: portfolio, work, models, admin


PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/overview.py", "Portfolio overview", ":material/monitoring:", EVERYONE, default=True,
             home_for=frozenset({"executive", "admin"})),
    PageSpec("app_pages/delinquency.py", "Delinquency", ":material/stacked_bar_chart:", RISK,
             home_for=frozenset({"risk_manager"})),
    PageSpec("app_pages/explorer.py", "Portfolio explorer", ":material/travel_explore:",
             frozenset({"admin", "risk_manager", "executive"})),
    PageSpec("app_pages/vintage.py", "Vintage curves", ":material/ssid_chart:", RISK),
    PageSpec("app_pages/classification.py", "Classification & provisioning", ":material/account_balance:",
             RISK | {"credit_officer"}),
    PageSpec("app_pages/models.py", "Models", ":material/model_training:",
             frozenset({"admin", "risk_manager", "model_validator"}), home_for=frozenset({"model_validator"}),
             section="models"),
    PageSpec("app_pages/model_monitoring.py", "Model monitoring", ":material/monitor_heart:",
             frozenset({"admin", "risk_manager", "model_validator"}), section="models"),
    PageSpec("app_pages/my_portfolio.py", "My portfolio", ":material/work:", frozenset({"credit_officer"}),
             home_for=frozenset({"credit_officer"}), section="work"),
    PageSpec("app_pages/my_queue.py", "My queue", ":material/support_agent:", frozenset({"collector"}),
             home_for=frozenset({"collector"}), section="work"),
    PageSpec("app_pages/collections.py", "Collections", ":material/phone_in_talk:",
             frozenset({"admin", "risk_manager"}), section="work"),
    PageSpec("app_pages/alerts.py", "Alerts", ":material/notifications_active:",
             frozenset({"credit_officer", "risk_manager", "admin"}), section="work"),
    PageSpec("app_pages/alert_rules.py", "Alert rules", ":material/rule:", frozenset({"risk_manager", "admin"}),
             section="work"),
    PageSpec("app_pages/reviews.py", "Reviews", ":material/fact_check:",
             frozenset({"credit_officer", "risk_manager", "admin"}), section="work"),
    PageSpec("app_pages/borrower.py", "Borrower", ":material/person_search:", frozenset(
        {"risk_manager", "executive", "model_validator", "credit_officer", "collector"}), section="work"),
    PageSpec("app_pages/data.py", "Data", ":material/database:", frozenset({"admin"}), section="admin"),
    PageSpec("app_pages/users.py", "Users", ":material/manage_accounts:", frozenset({"admin"}), section="admin"),
    PageSpec("app_pages/audit.py", "Audit", ":material/policy:", frozenset({"admin"}), section="admin"),
)
SECTIONS = ("work", "portfolio", "models", "admin")     # menu order


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


def menu(roles: list[str] | tuple[str, ...]) -> list[PageSpec]:
    """The pages these roles may open in menu order: by section (SECTIONS, then any other), then as listed."""
    order = {s: i for i, s in enumerate(SECTIONS)}
    return sorted(allowed(roles), key=lambda p: (order.get(p.section, len(order)), p.section))


def home(roles: list[str] | tuple[str, ...]) -> PageSpec | None:
    """Where these roles land: the first page in the menu that is home to one of them, else the default."""
    pages = menu(roles)
    mine = [p for p in pages if p.home_for & set(roles)] or [p for p in pages if p.default] or pages
    return mine[0] if mine else None


def title(spec: PageSpec, lang: str | None = None) -> str:
    """The page title in the session's language (nav.<file stem> in the catalog), else the English title."""
    return catalog(lang or current()).get(f"nav.{Path(spec.path).stem}") or spec.title


def navigation(roles: list[str] | tuple[str, ...]):
    """st.navigation over the pages these roles may open, grouped in sections, landing on the roles' home page
    (the caller runs it)."""
    landing = home(roles)
    groups: dict[str, list] = {}
    for p in menu(roles):
        groups.setdefault(t(f"nav.section_{p.section}"), []).append(
            st.Page(p.path, title=title(p), icon=p.icon, default=p is landing))
    if not groups:
        return st.navigation([st.Page(_no_pages, title=t("nav.no_access"), default=True)])
    return st.navigation(groups, expanded=True)     # every page listed: no "View more" fold at 10


def _no_pages() -> None:
    st.warning(t("nav.no_pages"))
