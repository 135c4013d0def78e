"""Adapter for LendingClub loans: the accepted-loans file (e.g. lending_club_sample.csv) or OpenIntro's
loans_full_schema; which one is detected from the columns.

How the source becomes canonical tables (queries in lendingclub.sql):
- Each loan is one retail borrower (no personal data; region = state, monthly_income = annual income / 12) and
  one instalment loan: product 'consumer', currency 'USD', principal = funded_amnt (accepted file) or
  loan_amount (OpenIntro), annual_rate = int_rate / 100 (13.56 -> 0.1356), term_months from term ('36 months'
  or 36), instalment = installment, grade, purpose (loan_purpose), origination_date = the first day of the
  issue month (the day is not published), maturity_date = origination + term.
  loan_id / borrower_id: `LC-{id}` for the accepted file; the OpenIntro file has no id, so the data row number
  stands in: `LCOI-000001` is its first data row.
- One performance row per loan, at a snapshot month-end. Accepted file: the month-end of last_pymnt_d (the
  last month LendingClub received money; the issue month when there was no payment). OpenIntro: 2018-06-30 for
  every loan. Its documentation gives no snapshot date, but the loans (issued January to March 2018) have made a
  median of 5, 4 and 3 instalments for January, February and March issues, which matches a status taken after
  the June 2018 payments; 2018-03-31 would leave those payments in the future.
- Status -> bucket, with the representative DPD assigned (the status gives a range, not the days):
    Current -> current, 0 DPD
    In Grace Period (1-15 days late) -> 1-30, 15 DPD (the end of LendingClub's 15-day grace period)
    Late (16-30 days) -> 1-30, 30 DPD (the top of the range)
    Late (31-120 days) -> 31-60, 60 DPD (the most the 31-60 bucket allows; the true DPD may be up to 120, so
                          60+/90+ figures understate these loans)
    Default (121+ days, full LendingClub file only) -> 121-150, 121 DPD
    Charged Off -> charged_off, 150 DPD (LendingClub charges loans off at 150 days past due); the row's
                   balance is the amount charged off = principal funded - principal received (total_rec_prncp
                   or paid_principal), not below 0
    Fully Paid -> paid_off, 0 DPD, balance 0
  'Does not meet the credit policy. Status:' prefixes are dropped. Any other status rejects the file.
  Other rows' balance is out_prncp (accepted) or balance (OpenIntro); amount_paid is last_pymnt_amnt.
- Dispositions (exact dates are not published): a charged-off loan gets 'charge_off' (the amount above) on its
  snapshot month-end; recoveries > 0 -> 'recovery' and collection_recovery_fee > 0 -> 'collection_fee', both
  dated at the later of the snapshot and the settlement month; a debt settlement (settlement_amount > 0) ->
  'settlement' with the agreed amount on the settlement month-end, its status, percentage and term in details.
  LendingClub counts settlement payments inside recoveries, so settlement amounts must not be added to
  recoveries. Disposition ids are `{loan_id}-{kind}`.
"""
from __future__ import annotations

from pathlib import Path

from data.adapters import SourceColumn, build_tables, load_queries, run_adapter, stage_source
from data.errors import DataError
from data.importers import Progress, reject_if_problems
from data.staging import Staging, check_path, csv_header, source_format

QUERIES = Path(__file__).with_name("lendingclub.sql")
TABLES = ["borrowers", "loans", "performance", "dispositions"]

ACCEPTED = [
    SourceColumn("id", "id", "text", not_null=True), SourceColumn("loan_status", "loan_status", "text"),
    SourceColumn("issue_d", "issue_d", "mon_yyyy", not_null=True),
    SourceColumn("funded_amnt", "funded", "number", not_null=True),
    SourceColumn("total_rec_prncp", "principal_paid", "number"), SourceColumn("out_prncp", "balance", "number"),
    SourceColumn("term", "term", "months"), SourceColumn("int_rate", "int_rate", "percent"),
    SourceColumn("installment", "installment", "number"), SourceColumn("grade", "grade", "text"),
    SourceColumn("purpose", "purpose", "text"), SourceColumn("addr_state", "state", "text", False),
    SourceColumn("annual_inc", "annual_income", "number", False),
    SourceColumn("last_pymnt_d", "last_pymnt_d", "mon_yyyy", False),
    SourceColumn("last_pymnt_amnt", "last_payment", "number", False),
    SourceColumn("recoveries", "recoveries", "number", False),
    SourceColumn("collection_recovery_fee", "collection_fee", "number", False),
    SourceColumn("settlement_date", "settlement_d", "mon_yyyy", False),
    SourceColumn("settlement_amount", "settlement_amount", "number", False),
    SourceColumn("settlement_status", "settlement_status", "text", False),
    SourceColumn("settlement_percentage", "settlement_percentage", "number", False),
    SourceColumn("settlement_term", "settlement_term", "int", False),
]
OPENINTRO = [
    SourceColumn("loan_status", "loan_status", "text"),
    SourceColumn("issue_month", "issue_d", "mon_yyyy", not_null=True),
    SourceColumn("loan_amount", "funded", "number", not_null=True),
    SourceColumn("paid_principal", "principal_paid", "number"),
    SourceColumn("balance", "balance", "number"), SourceColumn("term", "term", "months"),
    SourceColumn("interest_rate", "int_rate", "percent"), SourceColumn("installment", "installment", "number"),
    SourceColumn("grade", "grade", "text"), SourceColumn("loan_purpose", "purpose", "text"),
    SourceColumn("state", "state", "text", False), SourceColumn("annual_income", "annual_income", "number", False),
]
STATUS_SQL = ("regexp_replace(trim(loan_status), '^Does not meet the credit policy\\. *Status: *', '')")


def detect(path) -> str:
    """'accepted' or 'openintro' from the file's columns; DataError when it is neither."""
    p = check_path(path)
    fmt = source_format(p)
    if fmt == "csv":
        header = {h.strip().lower() for h in csv_header(p)}
    else:
        import duckdb
        con = duckdb.connect()
        try:
            if fmt == "parquet":
                header = {d[0].lower() for d in con.execute("SELECT * FROM read_parquet(?) LIMIT 0",
                                                            [str(p)]).description}
            else:
                from openpyxl import load_workbook
                wb = load_workbook(p, read_only=True)
                header = {str(v).strip().lower() for v in next(wb.worksheets[0].iter_rows(values_only=True), ())
                          if v is not None}
                wb.close()
        except Exception as exc:
            raise DataError(f"{p.name}: could not be read ({type(exc).__name__})")
        finally:
            con.close()
    if {"id", "issue_d", "loan_status"} <= header:
        return "accepted"
    if {"issue_month", "loan_status", "loan_amount"} <= header:
        return "openintro"
    raise DataError(f"{p.name}: not a LendingClub file this adapter knows: expected the accepted-loans columns "
                    "(id, issue_d, loan_status, ...) or OpenIntro's loans_full_schema (issue_month, loan_status, "
                    "loan_amount, ...)")


def _build(path, variant: str):
    def build(stg: Staging) -> tuple[list[str], str]:
        source = Path(path).name
        _header, row_note = stage_source(stg, path, ACCEPTED if variant == "accepted" else OPENINTRO, source)
        queries = load_queries(QUERIES)
        build_tables(stg, queries, ["lc_status"])
        stg.problems.add_sql(f"SELECT '', _line, 'loan_status', 'not a LendingClub status this adapter knows', "
                             f"loan_status FROM raw WHERE loan_status IS NULL OR {STATUS_SQL} NOT IN "
                             f"(SELECT status FROM lc_status)")
        reject_if_problems(stg, source, row_note)
        queries["lc_source"] = queries[f"lc_source_{variant}"]
        build_tables(stg, queries, ["lc_source", "lc_loans"] + [f"in_{t}" for t in TABLES])
        return TABLES, row_note
    return build


def import_lendingclub(path, progress: Progress = None) -> dict:
    """Import a LendingClub file (accepted sample or OpenIntro loans_full_schema), all or nothing."""
    variant = detect(path)
    if progress:
        progress(f"{Path(path).name}: LendingClub {'accepted-loans' if variant == 'accepted' else 'OpenIntro'} "
                 "layout")
    return run_adapter("lendingclub", path, _build(path, variant), progress)
