"""Borrower-level data for a person at a screen: who may see personal data in clear, and the audited view.

Executives, model validators and risk managers see personal data masked (pii.mask). Credit officers and
collectors see it in clear only for borrowers with an account assigned to them: an officer through
loans.officer = their staff code, a collector through a collection action on the loan with agent = their
staff code. Everyone else, and anyone without a staff code, sees masked values. Decrypted values live in
memory only: they are never cached, logged or written to the audit log (which records loan and borrower
ids). No Streamlit here: the page, and later the API, call the same functions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from data import pii, workflow

SQL = Path(__file__).with_suffix(".sql")
# role -> the query that finds a borrower's loans assigned to a staff code of that role
ASSIGNMENT = {"credit_officer": "loans_by_officer", "collector": "loans_by_agent"}
MASKED_ROLES = frozenset({"executive", "model_validator", "risk_manager"})
ATTRIBUTES = ("borrower_type", "gender", "birth_year", "region", "city", "monthly_income")


@dataclass(frozen=True)
class Viewer:
    username: str
    roles: tuple[str, ...]
    staff_code: str | None = None


@dataclass(frozen=True)
class BorrowerView:
    """One borrower as a viewer may see it: personal data in clear only when `revealed`."""
    borrower_id: str
    matched_by: str                              # loan, borrower or national_id
    loan_id: str | None                          # the loan whose history is shown
    personal: dict[str, str | None]              # name, national_id, phone, address: masked or clear
    attributes: dict
    revealed: bool
    assigned_loans: tuple[str, ...]
    loans: pd.DataFrame = field(repr=False)
    history: pd.DataFrame = field(repr=False)


@lru_cache(maxsize=1)
def queries() -> dict[str, str]:
    blocks = re.split(r"^-- name: (\w+)\n", SQL.read_text(), flags=re.M)
    return {name: body.strip() for name, body in zip(blocks[1::2], blocks[2::2])}


def _run(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    return con.execute(queries()[name], params).df()


def _first(con, name: str, **params) -> str | None:
    df = _run(con, name, **params)
    return None if df.empty else str(df.iloc[0, 0])


def find_borrower(con: duckdb.DuckDBPyConnection, key: str) -> tuple[str, str, str | None] | None:
    """(borrower id, what matched, loan id if a loan matched) for a loan id, a borrower id or a national ID."""
    key = (key or "").strip()
    if not key:
        return None
    if (b := _first(con, "borrower_of_loan", key=key)) is not None:
        return b, "loan", key
    if (b := _first(con, "borrower_by_id", key=key)) is not None:
        return b, "borrower", None
    try:
        digests = pii.blind_index_many(list(dict.fromkeys([key, key.upper()])))   # an ID card may end in x or X
    except pii.KeyMissing:
        return None
    for digest in digests:
        if (b := _first(con, "borrower_by_national_id", hash=digest)) is not None:
            return b, "national_id", None
    return None


def assigned_loans(con: duckdb.DuckDBPyConnection, borrower_id: str, viewer: Viewer) -> tuple[str, ...]:
    """The borrower's loans assigned to the viewer through any of their roles (none without a staff code)."""
    if not viewer.staff_code:
        return ()
    found: set[str] = set()
    for role, query in ASSIGNMENT.items():
        if role in viewer.roles:
            found.update(_run(con, query, borrower_id=borrower_id, code=viewer.staff_code)["loan_id"])
    return tuple(sorted(found))


def may_reveal(viewer: Viewer, assigned: tuple[str, ...] | list[str]) -> bool:
    """Clear personal data only for a role that works accounts (officer, collector) with one assigned here."""
    return bool(assigned) and any(r in ASSIGNMENT for r in viewer.roles)


def personal_data(tokens: dict[str, str | None], reveal: bool) -> dict[str, str | None]:
    """Decrypt the tokens {field: token} in memory; masked (pii.mask) unless reveal."""
    fields = list(pii.PII_FIELDS)
    plain = pii.decrypt_many([tokens.get(f"{f}_enc") for f in fields])
    return {f: v if reveal else pii.mask(f, v) for f, v in zip(fields, plain)}


def borrower_view(con: duckdb.DuckDBPyConnection, key: str, viewer: Viewer,
                  loan_id: str | None = None) -> BorrowerView | None:
    """The borrower found by `key` as this viewer may see it, with the history of `loan_id` (default: the
    loan looked up, else the borrower's latest). Not audited: call audit_view once per view shown."""
    found = find_borrower(con, key)
    if found is None:
        return None
    borrower_id, matched_by, matched_loan = found
    row = _run(con, "borrower", borrower_id=borrower_id).iloc[0].to_dict()
    loans = _run(con, "loans_of_borrower", borrower_id=borrower_id)
    ids = list(loans["loan_id"])
    chosen = loan_id if loan_id in ids else matched_loan if matched_loan in ids else (ids[-1] if ids else None)
    history = (_run(con, "performance_history", loan_id=chosen) if chosen is not None
               else pd.DataFrame(columns=["as_of", "balance", "dpd", "bucket"]))
    assigned = assigned_loans(con, borrower_id, viewer)
    reveal = may_reveal(viewer, assigned)
    attributes = {k: (None if pd.isna(row[k]) else row[k]) for k in ATTRIBUTES}
    return BorrowerView(borrower_id, matched_by, chosen, personal_data(row, reveal), attributes, reveal,
                        assigned, loans, history)


def audit_view(view: BorrowerView, viewer: Viewer, origin: str | None = None) -> None:
    """Record that the viewer saw this borrower ('view_borrower') and, when in clear, 'pii_reveal'."""
    details = {"borrower_id": view.borrower_id, "loan_id": view.loan_id, "matched_by": view.matched_by,
               "revealed": view.revealed}
    workflow.audit("view_borrower", actor=viewer.username, target=view.loan_id or view.borrower_id,
                   details=details, origin=origin)
    if view.revealed:
        workflow.audit("pii_reveal", actor=viewer.username, target=view.loan_id or view.borrower_id, origin=origin,
                       details={"borrower_id": view.borrower_id, "loan_id": view.loan_id,
                                "fields": list(pii.PII_FIELDS), "assigned_loans": list(view.assigned_loans),
                                "staff_code": viewer.staff_code})
