-- LendingClub loans to canonical tables. Reads table raw (aliases declared in lendingclub.py) after
-- lc_status is built; each in_* query gives one canonical table plus _line (the source row).

-- name: lc_status
-- LendingClub status ladder -> bucket and the representative DPD stated in lendingclub.py
SELECT * FROM (VALUES ('Current', 'current', 0), ('In Grace Period', '1-30', 15),
                      ('Late (16-30 days)', '1-30', 30), ('Late (31-120 days)', '31-60', 60),
                      ('Default', '121-150', 121), ('Charged Off', 'charged_off', 150),
                      ('Fully Paid', 'paid_off', 0)) s(status, bucket, dpd)

-- name: lc_source_accepted
-- accepted-loans file: LendingClub's own id; the snapshot is the month of the last payment
SELECT *, 'LC-' || id AS loan_id, CAST(NULL AS DATE) AS snapshot FROM raw

-- name: lc_source_openintro
-- OpenIntro loans_full_schema: no id (the row number stands in) and no recovery or settlement columns;
-- snapshot 2018-06-30 (see lendingclub.py for why)
SELECT *, 'LCOI-' || lpad(CAST(_line - 1 AS VARCHAR), 6, '0') AS loan_id, DATE '2018-06-30' AS snapshot,
       CAST(NULL AS DATE) AS last_pymnt_d, CAST(NULL AS DOUBLE) AS last_payment,
       CAST(NULL AS DOUBLE) AS recoveries, CAST(NULL AS DOUBLE) AS collection_fee,
       CAST(NULL AS DATE) AS settlement_d, CAST(NULL AS DOUBLE) AS settlement_amount,
       CAST(NULL AS VARCHAR) AS settlement_status, CAST(NULL AS DOUBLE) AS settlement_percentage,
       CAST(NULL AS INTEGER) AS settlement_term
FROM raw

-- name: lc_loans
-- one row per loan: status mapped, snapshot month-end chosen, amounts in USD
SELECT r.*, s.bucket, s.dpd,
       CASE WHEN r.snapshot IS NOT NULL THEN r.snapshot
            ELSE last_day(coalesce(r.last_pymnt_d, r.issue_d)) END AS as_of,
       greatest(r.funded - coalesce(r.principal_paid, 0), 0) AS charged_off_amount
FROM (SELECT *, regexp_replace(trim(loan_status), '^Does not meet the credit policy\. *Status: *', '') AS status
      FROM lc_source) r
JOIN lc_status s USING (status)

-- name: in_borrowers
-- one retail borrower per loan, no personal data
SELECT _line, loan_id AS borrower_id, 'retail' AS borrower_type, state AS region,
       round(annual_income / 12, 2) AS monthly_income, 'lendingclub' AS source
FROM lc_loans

-- name: in_loans
SELECT _line, loan_id, loan_id AS borrower_id, 'consumer' AS product, 'instalment' AS product_type,
       state AS region, issue_d AS origination_date,
       CAST(issue_d + to_months(term) AS DATE) AS maturity_date,
       funded AS principal, int_rate / 100 AS annual_rate, term AS term_months, installment AS instalment,
       grade, purpose, 'USD' AS currency, 'lendingclub' AS source
FROM lc_loans

-- name: in_performance
-- one month-end per loan; balance is outstanding principal, or the amount charged off on a charged_off row
SELECT _line, loan_id, as_of,
       CASE bucket WHEN 'charged_off' THEN charged_off_amount WHEN 'paid_off' THEN 0
                   ELSE greatest(coalesce(balance, 0), 0) END AS balance,
       dpd, bucket, last_payment AS amount_paid
FROM lc_loans

-- name: in_dispositions
-- charge-off, recoveries, collection fees and settlements (exact dates unknown: see lendingclub.py)
SELECT _line, loan_id || '-charge_off' AS disposition_id, loan_id, as_of AS disposition_date,
       'charge_off' AS kind, charged_off_amount AS amount, 'funded less principal received' AS details
FROM lc_loans WHERE bucket = 'charged_off'
UNION ALL
SELECT _line, loan_id || '-recovery', loan_id, greatest(as_of, coalesce(last_day(settlement_d), as_of)),
       'recovery', recoveries, 'gross recoveries after charge-off'
FROM lc_loans WHERE recoveries > 0
UNION ALL
SELECT _line, loan_id || '-collection_fee', loan_id, greatest(as_of, coalesce(last_day(settlement_d), as_of)),
       'collection_fee', collection_fee, 'collection agency fee on recoveries'
FROM lc_loans WHERE collection_fee > 0
UNION ALL
SELECT _line, loan_id || '-settlement', loan_id, coalesce(last_day(settlement_d), as_of), 'settlement',
       settlement_amount,
       concat_ws(', ', 'settlement ' || lower(settlement_status), settlement_percentage || '% of balance',
                 settlement_term || ' months')
FROM lc_loans WHERE settlement_amount > 0
