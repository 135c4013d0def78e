"""Tables shown on more than one page: columns picked, values in words, headers translated, numbers localised."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import i18n
from ui.i18n import t

LOAN_COLUMNS = ("loan_id", "borrower_id", "product", "branch", "officer", "dpd", "bucket", "balance",
                "overdue_amount", "last_action_date", "last_channel", "last_outcome", "last_agent")


BORROWER = "app_pages/borrower.py"       # Borrower 360 reads ?loan=


def may_open_borrower(roles) -> bool:
    """Whether these roles may open the borrower page (lists link to it only then)."""
    from ui import nav
    return any(p.path == BORROWER for p in nav.allowed(roles))


def open_selected_loan(event, loan_ids: pd.Series) -> None:
    """A list drawn with on_select="rerun", selection_mode="single-row": the selected row's loan opens on the
    Borrower 360 page (in this session, so the login and language carry over)."""
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if rows:
        st.switch_page(BORROWER, query_params={"loan": str(loan_ids.iloc[rows[0]])})


def delinquent_loans(df: pd.DataFrame, currency: str, hide: tuple[str, ...] = (), key: str = "delinquent") -> None:
    """The list from analytics.worklists.delinquent_loans, in its order (worst first), without the `hide` columns
    (those every row shares, such as the officer on an officer's own list)."""
    columns = [c for c in LOAN_COLUMNS if c not in hide]
    kinds = {"product": "product", "bucket": "bucket", "last_channel": "channel", "last_outcome": "outcome"}
    shown = i18n.localise(df[columns], {c: k for c, k in kinds.items() if c in columns})
    for c in ("last_channel", "last_outcome", "last_agent", "officer", "branch"):
        if c in shown:                                   # a loan nobody has worked yet: a dash, not "None"
            shown[c] = shown[c].astype(object).where(shown[c].notna() & (shown[c].astype(str) != ""), "—")
    if "last_action_date" in shown:
        when = pd.to_datetime(shown["last_action_date"])
        shown["last_action_date"] = when.dt.strftime("%Y-%m-%d").where(when.notna(), "—")
    money = dict(format="localized")
    event = st.dataframe(shown, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         key=f"{key}_table", column_config={
        "loan_id": st.column_config.TextColumn(t("tables.loan_id"), help=t("tables.loan_link_help")),
        "borrower_id": st.column_config.TextColumn(t("tables.borrower_id")),
        "product": st.column_config.TextColumn(t("common.product")),
        "branch": st.column_config.TextColumn(t("common.branch")),
        "officer": st.column_config.TextColumn(t("tables.officer")),
        "dpd": st.column_config.NumberColumn(t("tables.dpd"), format="%d"),
        "bucket": st.column_config.TextColumn(t("tables.bucket")),
        "balance": st.column_config.NumberColumn(t("tables.balance", currency=currency), **money),
        "overdue_amount": st.column_config.NumberColumn(t("tables.overdue", currency=currency), **money),
        "last_action_date": st.column_config.TextColumn(t("tables.last_action_date")),
        "last_channel": st.column_config.TextColumn(t("tables.last_channel")),
        "last_outcome": st.column_config.TextColumn(t("tables.last_outcome")),
        "last_agent": st.column_config.TextColumn(t("tables.last_agent")),
    })
    open_selected_loan(event, df["loan_id"].reset_index(drop=True))
