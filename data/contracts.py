"""Data contracts of the canonical tables: unique keys, foreign keys, month-ends, bucket-DPD agreement."""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

# table -> its key columns
KEYS: dict[str, tuple[str, ...]] = {
    "borrowers": ("borrower_id",),
    "loans": ("loan_id",),
    "schedules": ("loan_id", "instalment_no"),
    "payments": ("payment_id",),
    "performance": ("loan_id", "as_of"),
    "bureau": ("borrower_id", "as_of"),
    "alt_signals": ("borrower_id", "as_of"),
    "macro": ("as_of",),
    "collection_actions": ("action_id",),
    "reviews": ("review_id",),
    "alerts": ("alert_id",),
    "dispositions": ("disposition_id",),
    "scores": ("loan_id", "as_of", "target"),
}

# (child table, child column, parent table, parent column)
FOREIGN_KEYS: tuple[tuple[str, str, str, str], ...] = (
    ("loans", "borrower_id", "borrowers", "borrower_id"),
    ("schedules", "loan_id", "loans", "loan_id"),
    ("payments", "loan_id", "loans", "loan_id"),
    ("performance", "loan_id", "loans", "loan_id"),
    ("bureau", "borrower_id", "borrowers", "borrower_id"),
    ("alt_signals", "borrower_id", "borrowers", "borrower_id"),
    ("collection_actions", "loan_id", "loans", "loan_id"),
    ("reviews", "loan_id", "loans", "loan_id"),
    ("alerts", "loan_id", "loans", "loan_id"),
    ("dispositions", "loan_id", "loans", "loan_id"),
    ("scores", "loan_id", "loans", "loan_id"),
)

MONTH_END_COLUMNS = (("performance", "as_of"), ("bureau", "as_of"), ("alt_signals", "as_of"), ("macro", "as_of"),
                     ("scores", "as_of"))

BUCKET_OF_DPD_SQL = """CASE WHEN dpd = 0 THEN 'current' WHEN dpd <= 30 THEN '1-30' WHEN dpd <= 60 THEN '31-60'
    WHEN dpd <= 90 THEN '61-90' WHEN dpd <= 120 THEN '91-120' WHEN dpd <= 150 THEN '121-150'
    WHEN dpd <= 180 THEN '151-180' ELSE '180+' END"""


@dataclass(frozen=True)
class Violation:
    contract: str
    table: str
    rows: int
    example: str

    def __str__(self) -> str:
        return f"{self.table}: {self.contract} broken by {self.rows:,} rows (e.g. {self.example})"


def _check(con: duckdb.DuckDBPyConnection, contract: str, table: str, sql: str) -> Violation | None:
    rows, example = con.execute(sql).fetchone()
    return Violation(contract, table, rows, str(example)) if rows else None


def violations(con: duckdb.DuckDBPyConnection) -> list[Violation]:
    """Every broken contract in the store; empty when the data may be published."""
    found: list[Violation | None] = []
    for table, key in KEYS.items():
        cols = ", ".join(key)
        found.append(_check(con, f"unique key ({cols})", table,
                            f"SELECT count(*), any_value(({cols})::VARCHAR) FROM (SELECT {cols} FROM {table} "
                            f"GROUP BY {cols} HAVING count(*) > 1)"))
        found.append(_check(con, f"key ({cols}) not null", table,
                            f"SELECT count(*), 'null key' FROM {table} WHERE " +
                            " OR ".join(f"{c} IS NULL" for c in key)))
    for child, col, parent, pcol in FOREIGN_KEYS:
        found.append(_check(con, f"{col} references {parent}", child,
                            f"SELECT count(*), any_value(c.{col}) FROM {child} c ANTI JOIN {parent} p "
                            f"ON c.{col} = p.{pcol}"))
    for table, col in MONTH_END_COLUMNS:
        found.append(_check(con, f"{col} is a month-end", table,
                            f"SELECT count(*), any_value({col}) FROM {table} WHERE {col} <> last_day({col})"))
    found.append(_check(con, "bucket agrees with dpd", "performance",
                        f"SELECT count(*), any_value(loan_id || ' ' || as_of) FROM performance "
                        f"WHERE bucket NOT IN ('charged_off', 'paid_off') AND bucket <> {BUCKET_OF_DPD_SQL}"))
    found.append(_check(con, "no row after a terminal state", "performance",
                        "SELECT count(*), any_value(p.loan_id) FROM performance p JOIN "
                        "(SELECT loan_id, min(as_of) AS ended FROM performance "
                        " WHERE bucket IN ('charged_off', 'paid_off') GROUP BY loan_id) t "
                        "ON p.loan_id = t.loan_id AND p.as_of > t.ended"))
    found.append(_check(con, "performance not before origination month", "performance",
                        "SELECT count(*), any_value(p.loan_id) FROM performance p JOIN loans l USING (loan_id) "
                        "WHERE p.as_of < last_day(l.origination_date)"))
    return [v for v in found if v is not None]
