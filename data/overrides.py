"""Credit officers' inputs to classification, kept in the workflow store: tier overrides and the watch list.

An override sets a loan's tier at a month-end (and the month-ends after it) worse than the rules put it; it needs a
reason and may never be better than the rule-based tier (DOMAIN.md). A loan has at most one active override: a new
one supersedes it, and it can be withdrawn. The watch list puts a loan in at least IFRS 9 Stage 2 from a month-end
on until it is removed. Who may change them: admins and risk managers on any loan, credit officers on their own
loans (loans.officer = their staff code). Every change is audited. The checks live here, not in the page, so the
REST API and any script get them too. `inputs_at` gives analytics the inputs in force at a month-end as tuples
(hashable, so pages can cache what is computed from them).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd
import sqlalchemy as sa

from analytics.tiers import TIERS
from data import workflow

EDITORS = ("admin", "risk_manager", "credit_officer")
ANY_LOAN = ("admin", "risk_manager")
OVERRIDE_COLUMNS = ("override_id", "loan_id", "as_of", "tier", "rule_tier", "reason", "actor", "at", "status",
                    "ended_at", "ended_by")
WATCH_COLUMNS = ("entry_id", "loan_id", "as_of", "added_at", "reason", "actor", "removed_at", "removed_by")


class Refused(ValueError):
    """A change the rules do not allow; `key` and `values` name the reason for a translated message."""

    def __init__(self, key: str, message: str, **values):
        super().__init__(message)
        self.key, self.values = key, values


@dataclass(frozen=True)
class Editor:
    """Who asks for a change: user name, roles and staff code (loans.officer for a credit officer)."""
    username: str
    roles: tuple[str, ...]
    staff_code: str | None = None
    origin: str | None = None


def _loan(con: duckdb.DuckDBPyConnection, loan_id: str, as_of) -> dict:
    from analytics import classification
    loan_id = str(loan_id or "").strip()
    if not loan_id:
        raise Refused("no_loan", "give a loan id")
    floor = classification.rule_floor(con, loan_id, as_of)
    if floor is None:
        raise Refused("not_open", f"loan {loan_id} is not an open loan at this month-end", loan_id=loan_id)
    return floor


def _check_editor(editor: Editor, loan: dict) -> None:
    roles = set(editor.roles)
    if not roles & set(EDITORS):
        raise Refused("role", f"user {editor.username} may not change classifications (roles: "
                              f"{', '.join(editor.roles) or 'none'})", user=editor.username)
    if roles & set(ANY_LOAN):
        return
    if not editor.staff_code or loan["officer"] != editor.staff_code:
        raise Refused("not_yours", f"credit officers may change only their own loans: loan {loan['loan_id']} is "
                                   f"not assigned to {editor.staff_code or editor.username}",
                      loan_id=loan["loan_id"])


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if len(text) < 3:
        raise Refused("reason", "a reason is required (at least 3 characters)")
    return text[:2000]


def _month(con: duckdb.DuckDBPyConnection, as_of) -> dt.date:
    from analytics import summaries
    return summaries.resolve(con, as_of)


def add_override(con: duckdb.DuckDBPyConnection, loan_id: str, tier: str, reason: str, editor: Editor,
                 as_of=None, eng: sa.Engine | None = None) -> int:
    """Record a tier worse than the rule-based one for a loan at month-end `as_of` (default: the latest);
    supersedes the loan's active override. Returns the new override's id; Refused when not allowed."""
    when = _month(con, as_of)
    if tier not in TIERS:
        raise Refused("tier", f"tier must be one of {', '.join(TIERS)}, got {tier!r}", tier=tier)
    loan = _loan(con, loan_id, when)
    _check_editor(editor, loan)
    text = _reason(reason)
    if TIERS.index(tier) <= TIERS.index(loan["tier"]):
        raise Refused("not_worse", f"an override may only classify worse than the rules: loan {loan['loan_id']} is "
                                   f"{loan['tier']} by rule {loan['rule']} at {when}, so {tier} is not allowed",
                      loan_id=loan["loan_id"], tier=tier, floor=loan["tier"])
    o, eng = workflow.classification_overrides, eng or workflow.engine()
    at = workflow.now()
    with eng.begin() as c:
        c.execute(o.update().where((o.c.loan_id == loan["loan_id"]) & (o.c.status == "active"))
                  .values(status="superseded", ended_at=at, ended_by=editor.username))
        new_id = c.execute(o.insert().values(loan_id=loan["loan_id"], as_of=when, tier=tier, rule_tier=loan["tier"],
                                             reason=text, actor=editor.username, at=at, status="active")
                           ).inserted_primary_key[0]
    workflow.audit("classification_override", actor=editor.username, target=loan["loan_id"], origin=editor.origin,
                   eng=eng, details={"override_id": new_id, "as_of": when, "tier": tier, "rule_tier": loan["tier"],
                                     "rule": loan["rule"], "reason": text})
    return new_id


def withdraw_override(con: duckdb.DuckDBPyConnection, override_id: int, editor: Editor, reason: str = "",
                      eng: sa.Engine | None = None) -> None:
    """End an active override (the rules decide the loan's tier again); Refused when not allowed."""
    o, eng = workflow.classification_overrides, eng or workflow.engine()
    with eng.connect() as c:
        row = c.execute(sa.select(o).where(o.c.override_id == int(override_id))).first()
    if row is None or row.status != "active":
        raise Refused("no_override", f"no active override {override_id}", override_id=override_id)
    _check_editor(editor, {"loan_id": row.loan_id, "officer": _officer(con, row.loan_id)})
    with eng.begin() as c:
        c.execute(o.update().where(o.c.override_id == row.override_id)
                  .values(status="withdrawn", ended_at=workflow.now(), ended_by=editor.username))
    workflow.audit("classification_override_withdrawn", actor=editor.username, target=row.loan_id,
                   origin=editor.origin, eng=eng, details={"override_id": row.override_id, "tier": row.tier,
                                                           "as_of": row.as_of, "reason": (reason or "").strip()})


def add_to_watch_list(con: duckdb.DuckDBPyConnection, loan_id: str, reason: str, editor: Editor, as_of=None,
                      eng: sa.Engine | None = None) -> int:
    """Put an open loan on the watch list from month-end `as_of` (default: the latest) on; the entry's id."""
    when = _month(con, as_of)
    loan = _loan(con, loan_id, when)
    _check_editor(editor, loan)
    text = _reason(reason)
    w, eng = workflow.watch_list, eng or workflow.engine()
    with eng.begin() as c:
        if c.execute(sa.select(w.c.entry_id).where((w.c.loan_id == loan["loan_id"]) & w.c.removed_at.is_(None))
                     ).first():
            raise Refused("watched", f"loan {loan['loan_id']} is already on the watch list", loan_id=loan["loan_id"])
        new_id = c.execute(w.insert().values(loan_id=loan["loan_id"], as_of=when, added_at=workflow.now(),
                                             reason=text, actor=editor.username)).inserted_primary_key[0]
    workflow.audit("watch_list_add", actor=editor.username, target=loan["loan_id"], origin=editor.origin, eng=eng,
                   details={"entry_id": new_id, "as_of": when, "reason": text})
    return new_id


def remove_from_watch_list(con: duckdb.DuckDBPyConnection, loan_id: str, editor: Editor, reason: str = "",
                           eng: sa.Engine | None = None) -> None:
    """Take a loan off the watch list; Refused when it is not on it or the editor may not."""
    w, eng = workflow.watch_list, eng or workflow.engine()
    loan_id = str(loan_id or "").strip()
    with eng.connect() as c:
        row = c.execute(sa.select(w).where((w.c.loan_id == loan_id) & w.c.removed_at.is_(None))).first()
    if row is None:
        raise Refused("not_watched", f"loan {loan_id} is not on the watch list", loan_id=loan_id)
    _check_editor(editor, {"loan_id": loan_id, "officer": _officer(con, loan_id)})
    with eng.begin() as c:
        c.execute(w.update().where(w.c.entry_id == row.entry_id)
                  .values(removed_at=workflow.now(), removed_by=editor.username))
    workflow.audit("watch_list_remove", actor=editor.username, target=loan_id, origin=editor.origin, eng=eng,
                   details={"entry_id": row.entry_id, "reason": (reason or "").strip()})


def _officer(con: duckdb.DuckDBPyConnection, loan_id: str) -> str | None:
    from analytics import classification
    return classification.loan_officer(con, loan_id)


def overrides(loan_id: str | None = None, active_only: bool = True, eng: sa.Engine | None = None) -> pd.DataFrame:
    """Overrides (OVERRIDE_COLUMNS), newest first: the active ones, or all with active_only=False."""
    o = workflow.classification_overrides
    q = sa.select(*(o.c[n] for n in OVERRIDE_COLUMNS)).order_by(o.c.override_id.desc())
    if loan_id:
        q = q.where(o.c.loan_id == loan_id)
    if active_only:
        q = q.where(o.c.status == "active")
    with (eng or workflow.engine()).connect() as c:
        return pd.DataFrame([tuple(r) for r in c.execute(q)], columns=list(OVERRIDE_COLUMNS))


def watch_entries(loan_id: str | None = None, current_only: bool = True, eng: sa.Engine | None = None
                  ) -> pd.DataFrame:
    """Watch-list entries (WATCH_COLUMNS), newest first: those not removed, or all with current_only=False."""
    w = workflow.watch_list
    q = sa.select(*(w.c[n] for n in WATCH_COLUMNS)).order_by(w.c.entry_id.desc())
    if loan_id:
        q = q.where(w.c.loan_id == loan_id)
    if current_only:
        q = q.where(w.c.removed_at.is_(None))
    with (eng or workflow.engine()).connect() as c:
        return pd.DataFrame([tuple(r) for r in c.execute(q)], columns=list(WATCH_COLUMNS))


def inputs_at(as_of: dt.date, eng: sa.Engine | None = None) -> tuple[tuple, tuple]:
    """(overrides, watch_list) in force at month-end `as_of`: ((loan_id, tier, reason), ...) of the active
    overrides made for `as_of` or an earlier month-end, and the loan_ids on the watch list from `as_of` or
    earlier; sorted, so equal inputs give equal (cacheable) arguments."""
    o, w = workflow.classification_overrides, workflow.watch_list
    with (eng or workflow.engine()).connect() as c:
        ovr = c.execute(sa.select(o.c.loan_id, o.c.tier, o.c.reason)
                        .where((o.c.status == "active") & (o.c.as_of <= as_of))).all()
        watch = c.execute(sa.select(w.c.loan_id).distinct()
                          .where(w.c.removed_at.is_(None) & (w.c.as_of <= as_of))).scalars().all()
    return tuple(sorted(tuple(r) for r in ovr)), tuple(sorted(watch))
