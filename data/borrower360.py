"""Borrower 360: one loan's series beside its month-end history (data/people.py) and terms, payments, bureau and
collection actions (analytics.explorer.loan_detail): alternative data, model scores and reasons, classification
history, and its alerts and reviews from the workflow store."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import sqlalchemy as sa

from analytics import summaries
from data import workflow
from models import catalog

SQL = str(Path(__file__).with_suffix(".sql"))
CLASS_COLUMNS = ["as_of", "tier", "rule", "stage", "pd", "ecl"]


def alt_series(con: duckdb.DuckDBPyConnection, loan_id: str, as_of: dt.date) -> pd.DataFrame:
    """as_of, salary_deposit, account_balance, utilisation and the flags of the loan's borrower, oldest first."""
    return summaries.frame(con, SQL, "alt_series", loan_id=str(loan_id), as_of=as_of)


def score_series(con: duckdb.DuckDBPyConnection, loan_id: str, as_of: dt.date) -> pd.DataFrame:
    """as_of, target, model_version, pd, grade, reason_1..3 of the loan's scores, oldest first."""
    return summaries.frame(con, SQL, "score_series", loan_id=str(loan_id), as_of=as_of)


def latest_reasons(scores: pd.DataFrame, lang: str = "en") -> dict | None:
    """{as_of, target, pd, grade, reasons: [text...]} of the latest score (behaviour before other targets at
    the same month-end), the stored reason codes in words; None without scores."""
    if scores.empty:
        return None
    latest = scores[scores["as_of"] == scores["as_of"].max()]
    row = latest.assign(first=latest["target"] != "behaviour").sort_values(["first", "target"]).iloc[0]
    codes = [row[c] for c in ("reason_1", "reason_2", "reason_3") if isinstance(row[c], str) and row[c]]
    return {"as_of": pd.Timestamp(row["as_of"]).date(), "target": row["target"], "pd": float(row["pd"]),
            "grade": row["grade"], "reasons": [catalog.reason_text(c, lang) for c in codes]}


def class_history(con: duckdb.DuckDBPyConnection, loan_id: str, as_of: dt.date) -> pd.DataFrame:
    """as_of, tier, rule, stage, pd, ecl of the loan at each month-end (the stored summary_loan_class; empty when
    the summaries were not built)."""
    has = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'summary_loan_class'"
                      ).fetchone()[0]
    if not has:
        return pd.DataFrame(columns=CLASS_COLUMNS)
    return summaries.frame(con, SQL, "class_history", loan_id=str(loan_id), as_of=as_of)


def loan_alerts(loan_ids: tuple[str, ...], eng: sa.Engine | None = None) -> pd.DataFrame:
    """alert_id, loan_id, signal, severity, status, raised_at, due_date, owner of these loans, newest first."""
    t = workflow.alerts
    cols = [t.c.alert_id, t.c.loan_id, t.c.signal, t.c.severity, t.c.status, t.c.raised_at, t.c.due_date, t.c.owner]
    q = sa.select(*cols).where(t.c.loan_id.in_(list(loan_ids))).order_by(t.c.raised_at.desc(), t.c.alert_id.desc())
    with (eng or workflow.engine()).connect() as c:
        return pd.DataFrame([tuple(r) for r in c.execute(q)], columns=[c.name for c in cols])


def loan_reviews(loan_ids: tuple[str, ...], eng: sa.Engine | None = None) -> pd.DataFrame:
    """review_id, loan_id, kind, due_date, status, reviewer, completed_by, classification, findings of these
    loans, latest due first."""
    t = workflow.loan_reviews
    cols = [t.c.review_id, t.c.loan_id, t.c.kind, t.c.due_date, t.c.status, t.c.reviewer, t.c.completed_by,
            t.c.classification, t.c.findings]
    q = sa.select(*cols).where(t.c.loan_id.in_(list(loan_ids))).order_by(t.c.due_date.desc(), t.c.review_id.desc())
    with (eng or workflow.engine()).connect() as c:
        return pd.DataFrame([tuple(r) for r in c.execute(q)], columns=[c.name for c in cols])
