"""Adapter for the UCI Taiwan credit-card panel (UCI_Credit_Card.csv[.gz]): 30,000 card lines, April-October 2005.

How the source becomes canonical tables (queries in taiwan.sql):
- Each client (`ID`) is one retail borrower and one revolving credit line: borrower_id and loan_id are both
  `TW-{ID}`. Product 'card', product_type 'revolving', currency 'TWD', principal 0, credit_limit = LIMIT_BAL.
  The opening date is not in the data: origination_date is set to 2005-04-01 for every line, so vintage
  analysis is meaningless for this source.
- Borrowers carry no personal data (*_enc columns NULL). SEX 1/2 -> gender male/female; EDUCATION 1/2/3/4 ->
  graduate_school/university/high_school/other, the undocumented 0, 5, 6 -> unknown; MARRIAGE 1/2/3 ->
  married/single/other, 0 -> unknown; birth_year = 2005 - AGE.
- Performance: PAY_6, PAY_5, PAY_4, PAY_3, PAY_2, PAY_0 are the month-ends of April ... September 2005. A
  status s <= 0 (-2 no consumption, -1 paid in full, 0 revolving) is DPD 0; s >= 1 is DPD 30 x s (so 1 -> 30,
  bucket 1-30; 2 -> 60, bucket 31-60; ... 7 and more -> 180+). The balance is the matching statement amount
  (BILL_AMT6 = April ... BILL_AMT1 = September). A negative BILL_AMT is a credit balance in the customer's
  favour; balance >= 0 is a schema rule, so it is clipped to 0 (nothing is owed). credit_limit = LIMIT_BAL.
- `default.payment.next.month` becomes an October 2005 month-end row: DPD 30 (bucket 1-30) for a defaulter,
  0 otherwise, with the September balance carried over (October's statement is not in the data).
- Payments: following the UCI description (PAY_AMT1 = amount paid in September ... PAY_AMT6 = April), PAY_AMTn
  is money received in the month of statement BILL_AMTn. It is the performance row's amount_paid for that
  month, and one payment row (`TW-{ID}-YYYY-MM`, channel 'unknown') dated on that month-end, since the day is
  not known; months with PAY_AMT 0 have no payment row. (Some analyses pair PAY_AMT1 with BILL_AMT2 instead,
  reading the September payment as settling the August statement; the UCI text is followed here.)
"""
from __future__ import annotations

from pathlib import Path

from data.adapters import SourceColumn, build_tables, load_queries, run_adapter, stage_source
from data.importers import Progress, reject_if_problems
from data.staging import Staging

QUERIES = Path(__file__).with_name("taiwan.sql")
COLUMNS = ([SourceColumn("ID", "id", "int", not_null=True),
            SourceColumn("LIMIT_BAL", "limit_bal", "number"),
            SourceColumn("SEX", "sex", "int"), SourceColumn("EDUCATION", "education", "int"),
            SourceColumn("MARRIAGE", "marriage", "int"), SourceColumn("AGE", "age", "int")]
           + [SourceColumn(f"PAY_{k}", f"pay_{k}", "int") for k in (0, 2, 3, 4, 5, 6)]
           + [SourceColumn(f"BILL_AMT{k}", f"bill_amt{k}", "number") for k in range(1, 7)]
           + [SourceColumn(f"PAY_AMT{k}", f"pay_amt{k}", "number") for k in range(1, 7)]
           + [SourceColumn("default.payment.next.month", "default_next", "int")])
TABLES = ["borrowers", "loans", "performance", "payments"]


def _build(path):
    def build(stg: Staging) -> tuple[list[str], str]:
        _header, row_note = stage_source(stg, path, COLUMNS, Path(path).name)
        stg.problems.add_sql("SELECT '', _line, 'default.payment.next.month', 'must be 0 or 1', "
                             "CAST(default_next AS VARCHAR) FROM raw WHERE default_next NOT IN (0, 1)")
        reject_if_problems(stg, Path(path).name, row_note)
        build_tables(stg, load_queries(QUERIES), ["tw_monthly"] + [f"in_{t}" for t in TABLES])
        return TABLES, row_note
    return build


def import_taiwan(path, progress: Progress = None) -> dict:
    """Import the Taiwan credit-card file into borrowers, loans, performance and payments (all or nothing)."""
    return run_adapter("taiwan", path, _build(path), progress)
