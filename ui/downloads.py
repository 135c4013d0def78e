"""Every table a page shows can be taken away: CSV (any size) and Excel (up to EXCEL_MAX_ROWS), built only when
the button is pressed and audited as an export (who, what, how many rows, the filters)."""
from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from data import workflow
from ui import auth
from ui.i18n import t

EXCEL_MAX_ROWS = 200_000      # xlsxwriter writes ~10k rows/s with formats (TECH-NOTES); beyond this offer CSV only


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Chinese text correctly; ISO dates; no index."""
    return df.to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8-sig")


def excel_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    """One sheet, header frozen, columns sized to their header, numbers with thousands separators."""
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="xlsxwriter", datetime_format="yyyy-mm-dd", date_format="yyyy-mm-dd") as xl:
        df.to_excel(xl, sheet_name=sheet[:31], index=False)
        book, ws = xl.book, xl.sheets[sheet[:31]]
        ws.freeze_panes(1, 0)
        amount = book.add_format({"num_format": "#,##0.00"})
        whole = book.add_format({"num_format": "#,##0"})
        for i, col in enumerate(df.columns):
            kind = df[col].dtype.kind
            fmt = amount if kind == "f" else whole if kind in "iu" else None
            ws.set_column(i, i, max(10, min(40, len(str(col)) + 2)), fmt)
    return out.getvalue()


def _exported(what: str, fmt: str, df: pd.DataFrame, details: dict, user: str, origin: str, data: bytes) -> bytes:
    workflow.audit("export", actor=user, origin=origin, target=what,
                   details={"format": fmt, "rows": len(df), **details})
    return data


def buttons(df: pd.DataFrame, what: str, details: dict | None = None, key: str | None = None) -> None:
    """CSV and Excel download buttons for `df`, named `loanwatch-<what>.csv|xlsx`; each download is audited with
    `details` (for example the month-end and filters the table was drawn with)."""
    user = auth.current_user()
    username = user.username if user else None
    origin = auth.origin()               # read here: the callables run outside this script run
    details = {k: (v if isinstance(v, (int, float, bool, type(None))) else str(v)) for k, v in (details or {}).items()}
    key = key or f"dl_{what}"
    cols = st.columns([1, 1, 4])
    cols[0].download_button(t("common.download_csv"), lambda: _exported(what, "csv", df, details, username, origin,
                                                                       csv_bytes(df)),
                            file_name=f"loanwatch-{what}.csv", mime="text/csv", on_click="ignore",
                            icon=":material/download:", key=f"{key}_csv")
    if len(df) <= EXCEL_MAX_ROWS:
        cols[1].download_button(
            t("common.download_excel"),
            lambda: _exported(what, "xlsx", df, details, username, origin, excel_bytes(df, what)),
            file_name=f"loanwatch-{what}.xlsx", on_click="ignore", icon=":material/table_view:", key=f"{key}_xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        cols[1].caption(t("common.excel_too_big", n=f"{EXCEL_MAX_ROWS:,}"))
