"""Portfolio explorer: balance and 30+ delinquency by a dimension, one segment's loans, one loan's history, and the
largest borrower exposures.

Segment figures come from the publish-time summaries (summary_buckets; summary_segments for officer, cohort and
origination grade) when the store has them, else from the monthly rows with the same definitions. With current
summaries the loan list pages through the month-end's stored per-loan rows (summary_loan_class) and reads the page's
terms by row number, one loan's detail is read by the row numbers in summary_loan_rows, and the top exposures come
from summary_exposures (n <= TOP_STORED); otherwise they read the raw rows, with the same results.

Risk grade: the master-scale grade of a model's scores at the month-end when a model has scored the book then
(the behaviour target first), else the origination grade of the loan (loans.grade), else the delinquency bucket.
`grade_source` says which, so a page can say it.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

import config
from analytics import summaries
from analytics.filters import Filters, params
from analytics.portfolio import resolve_as_of
from data import people

SQL = str(Path(__file__).with_suffix(".sql"))
DIMENSIONS = ("product", "region", "branch", "officer", "cohort", "grade")
COHORT_BY = ("month", "quarter")
ORDERS = ("balance", "dpd")
PAGE_SIZE = 500                 # loans per page of a segment's list: never the whole book into a browser
PREFERRED_TARGET = "behaviour"  # the model whose grade is the risk grade when several have scored the month
LOAN_LIST_COLUMNS = ["loan_id", "borrower_id", "product", "region", "branch", "officer", "origination_date",
                     "origination_grade", "model_grade", "balance", "dpd", "bucket", "currency"]
TOP_STORED = 100                # summary_exposures answers top_exposures exactly for n up to this


@dataclass(frozen=True)
class GradeSource:
    source: str                 # model, origination or bucket
    target: str = ""            # the model target when source == 'model'
    loans: int = 0              # loans with a grade from this source


@dataclass(frozen=True)
class LoanPage:
    rows: pd.DataFrame = field(repr=False)
    total: int                  # loans in the segment
    page: int                   # 1-based, after clamping to the pages there are
    pages: int
    page_size: int

    @property
    def first(self) -> int:
        """1-based position of the page's first loan in the segment (0 when the segment is empty)."""
        return (self.page - 1) * self.page_size + 1 if self.total else 0


@dataclass(frozen=True)
class LoanDetail:
    header: dict
    history: pd.DataFrame = field(repr=False)       # month-ends up to as_of: balance, dpd, bucket, amounts
    payments: pd.DataFrame = field(repr=False)
    bureau: pd.DataFrame = field(repr=False)
    actions: pd.DataFrame = field(repr=False)


def _check(dimension: str, cohort_by: str = "month", order: str = "balance") -> None:
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}")
    if cohort_by not in COHORT_BY:
        raise ValueError("cohort_by must be 'month' or 'quarter'")
    if order not in ORDERS:
        raise ValueError("order must be 'balance' or 'dpd'")


def grade_source(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None) -> GradeSource:
    """Where the risk grade comes from at a month-end: a model's scores of that month-end (behaviour first),
    else the origination grade when loans have one, else the delinquency bucket."""
    when = resolve_as_of(con, as_of)
    df = summaries.frame(con, SQL, "grade_sources", as_of=when)
    scored = df[(df.source == "model") & (df.loans > 0)].sort_values("target")
    if not scored.empty:
        pick = scored[scored.target == PREFERRED_TARGET]
        row = (pick if not pick.empty else scored).iloc[0]
        return GradeSource("model", str(row.target), int(row.loans))
    graded = int(df.loc[df.source == "origination", "loans"].sum())
    return GradeSource("origination", "", graded) if graded else GradeSource("bucket")


def _has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    """Stored summaries that are current and hold these tables (a store published before the explorer's
    summaries existed has the others only)."""
    if not summaries.available(con):
        return False
    found = summaries.cached(con, ("explorer_tables",), lambda: {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'summary_%'").fetchall()})
    return all(n in found for n in names)


def _values(con, as_of, dimension, filters, cohort_by) -> dict:
    grade = grade_source(con, as_of) if dimension == "grade" else GradeSource("origination")
    return dict(as_of=as_of, dimension=dimension, cohort_by=cohort_by, grade_source=grade.source,
                target=grade.target, **params(filters))


def _segment_order(dimension: str, df: pd.DataFrame) -> pd.DataFrame:
    """Cohorts in time order, grades in grade order (G2 before G10; buckets current to 180+), else balance."""
    if dimension == "cohort":
        return df.sort_values("segment")
    if dimension == "grade":
        rank = {b: i for i, b in enumerate(config.BUCKETS)}
        key = df["segment"].map(lambda s: (s == "", rank.get(s, -1), len(s), s))
        return df.iloc[sorted(range(len(df)), key=lambda i: key.iloc[i])]
    return df.sort_values(["balance", "segment"], ascending=[False, True])


def segment_table(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None, dimension: str = "product",
                  filters: Filters | None = None, cohort_by: str = "month") -> pd.DataFrame:
    """segment, loans, balance, dpd30_loans, dpd30_balance, dpd30_rate (share of the segment's balance more than
    30 DPD), dpd30_rate_count, balance_share (of all open balance under the filters), over open loans at a
    month-end; segment '' = not recorded (or, for a model grade, not scored)."""
    _check(dimension, cohort_by)
    when = resolve_as_of(con, as_of)
    values = _values(con, when, dimension, filters, cohort_by)
    by_segments = dimension in ("officer", "cohort") or (dimension == "grade" and values["grade_source"] == "origination")
    needs = "segments" if by_segments else "buckets"
    stored = values["grade_source"] != "model" and _has_tables(con, f"summary_{needs}")
    df = summaries.frame(con, SQL, "segments_summary" if stored else "segments", **values)
    df = df[df.loans > 0].copy()
    df["loans"] = df["loans"].astype("int64")
    df["dpd30_loans"] = df["dpd30_loans"].astype("int64")
    df["dpd30_rate"] = (df.dpd30_balance / df.balance.where(df.balance != 0)).fillna(0.0)
    df["dpd30_rate_count"] = df.dpd30_loans / df.loans
    total = float(df.balance.sum())
    df["balance_share"] = df.balance / total if total else 0.0
    return _segment_order(dimension, df).reset_index(drop=True)


def loan_list(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None, dimension: str, segment: str,
              filters: Filters | None = None, cohort_by: str = "month", order: str = "balance", page: int = 1,
              page_size: int = PAGE_SIZE, total: int | None = None) -> LoanPage:
    """One page of the open loans of a segment at a month-end (largest balance, or most DPD, first). `total` is
    the segment's loans when the caller knows it (segment_table), else counted here."""
    _check(dimension, cohort_by, order)
    when = resolve_as_of(con, as_of)
    values = _values(con, when, dimension, filters, cohort_by)
    if total is None:
        seg = segment_table(con, when, dimension, filters, cohort_by)
        total = int(seg.loc[seg.segment == segment, "loans"].sum())
    size = max(1, min(int(page_size), PAGE_SIZE))
    pages = max(1, math.ceil(total / size))
    page = min(max(1, int(page)), pages)
    page_values = dict(values, segment=segment, order=order, limit=size, offset=(page - 1) * size)
    if values["grade_source"] != "model" and _has_tables(con, "summary_loan_class"):
        # the page's loans from the stored per-loan rows, then their terms by row number (no join of the book)
        found = summaries.frame(con, SQL, "loan_list_keys", **page_values)
        terms = summaries.frame(con, SQL, "loan_list_terms", keys=found["loan_key"].tolist())
        rows = found.merge(terms, on="loan_key", how="left")[LOAN_LIST_COLUMNS]
    else:
        rows = summaries.frame(con, SQL, "loan_list", **page_values)
    rows["dpd"] = rows["dpd"].astype("int64")
    return LoanPage(rows, int(total), page, pages, size)


def loan_detail(con: duckdb.DuckDBPyConnection, loan_id: str, as_of: str | dt.date | None = None) -> LoanDetail | None:
    """One loan up to a month-end (point in time): terms, month-end history (data/people.sql performance_history),
    payments, the borrower's bureau pulls and the collection actions. None for an unknown loan."""
    when = resolve_as_of(con, as_of)
    header = summaries.frame(con, SQL, "loan_header", loan_id=loan_id)
    if header.empty:
        return None
    found = summaries.frame(con, SQL, "loan_rows", loan_id=loan_id) if _has_tables(con, "summary_loan_rows") \
        else pd.DataFrame()
    if not found.empty:                 # read by row number (summary_loan_rows) instead of scanning each table
        where = found.iloc[0]
        def rows(name: str) -> list[int]:
            return [int(r) for r in where[name]]
        history = summaries.frame(con, SQL, "history_rows", loan_id=loan_id, rows=rows("performance_rows"))
        payments = summaries.frame(con, SQL, "payments_rows", loan_id=loan_id, as_of=when, rows=rows("payment_rows"))
        bureau = summaries.frame(con, SQL, "bureau_rows", as_of=when, rows=rows("bureau_rows"))
        actions = summaries.frame(con, SQL, "actions_rows", loan_id=loan_id, as_of=when, rows=rows("action_rows"))
    else:
        history = summaries.frame(con, str(people.SQL), "performance_history", loan_id=loan_id)
        payments = summaries.frame(con, SQL, "loan_payments", loan_id=loan_id, as_of=when)
        bureau = summaries.frame(con, SQL, "loan_bureau", loan_id=loan_id, as_of=when)
        actions = summaries.frame(con, SQL, "loan_actions", loan_id=loan_id, as_of=when)
    history = history[pd.to_datetime(history["as_of"]).dt.date <= when].reset_index(drop=True)
    history[["balance", "amount_due", "amount_paid", "overdue_amount"]] = \
        history[["balance", "amount_due", "amount_paid", "overdue_amount"]].astype(float)
    row = {k: (None if pd.isna(v) else v.date() if isinstance(v, pd.Timestamp) else v)
           for k, v in header.iloc[0].to_dict().items()}
    return LoanDetail(row, history, payments, bureau, actions)


def top_exposures(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None, filters: Filters | None = None,
                  n: int = 20) -> pd.DataFrame:
    """rank, borrower_id, borrower_type, loans, balance, share (of all open balance under the filters), cum_share:
    the n borrowers with the largest open balance at a month-end, largest first (ids only, no personal data)."""
    when = resolve_as_of(con, as_of)
    if int(n) <= TOP_STORED and _has_tables(con, "summary_exposures", "summary_buckets"):
        query = "top_exposures_stored"
    elif _has_tables(con, "summary_loan_class", "summary_borrower_loans"):
        query = "top_exposures_summary"
    else:
        query = "top_exposures"
    df = summaries.frame(con, SQL, query, as_of=when, n=int(n), **params(filters))
    book = float(df["book_balance"].iloc[0]) if len(df) else 0.0
    df.insert(0, "rank", range(1, len(df) + 1))
    df["loans"] = df["loans"].astype("int64")
    df["share"] = df["balance"] / book if book else 0.0
    df["cum_share"] = df["share"].cumsum()
    return df.drop(columns="book_balance")


def top_share(exposures: pd.DataFrame, k: int = 10) -> float:
    """Share of the open balance held by the k largest borrowers (from top_exposures with n >= k)."""
    return float(exposures["share"].head(k).sum())
