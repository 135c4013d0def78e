-- Taiwan credit-card panel (UCI "default of credit card clients") to canonical tables.
-- Reads table raw (one row per client, aliases declared in taiwan.py); each query gives one table plus _line.

-- name: tw_monthly
-- one row per client and statement month-end, April to September 2005 (k = suffix of BILL_AMT / PAY_AMT)
WITH months(as_of, k) AS (VALUES (DATE '2005-04-30', 6), (DATE '2005-05-31', 5), (DATE '2005-06-30', 4),
                                 (DATE '2005-07-31', 3), (DATE '2005-08-31', 2), (DATE '2005-09-30', 1))
SELECT r._line, 'TW-' || r.id AS loan_id, m.as_of, r.limit_bal,
       CASE m.k WHEN 6 THEN r.pay_6 WHEN 5 THEN r.pay_5 WHEN 4 THEN r.pay_4
                WHEN 3 THEN r.pay_3 WHEN 2 THEN r.pay_2 ELSE r.pay_0 END AS status,      -- repayment status code
       CASE m.k WHEN 6 THEN r.bill_amt6 WHEN 5 THEN r.bill_amt5 WHEN 4 THEN r.bill_amt4
                WHEN 3 THEN r.bill_amt3 WHEN 2 THEN r.bill_amt2 ELSE r.bill_amt1 END AS bill,  -- NT$, may be < 0
       CASE m.k WHEN 6 THEN r.pay_amt6 WHEN 5 THEN r.pay_amt5 WHEN 4 THEN r.pay_amt4
                WHEN 3 THEN r.pay_amt3 WHEN 2 THEN r.pay_amt2 ELSE r.pay_amt1 END AS paid   -- NT$ paid in the month
FROM raw r CROSS JOIN months m

-- name: in_borrowers
-- one retail borrower per client: demographic codes decoded, no personal data
SELECT _line, 'TW-' || id AS borrower_id, 'retail' AS borrower_type,
       CASE WHEN sex IS NULL THEN NULL WHEN sex = 1 THEN 'male' WHEN sex = 2 THEN 'female' ELSE 'unknown' END AS gender,
       2005 - age AS birth_year,
       CASE WHEN education IS NULL THEN NULL WHEN education = 1 THEN 'graduate_school'
            WHEN education = 2 THEN 'university' WHEN education = 3 THEN 'high_school'
            WHEN education = 4 THEN 'other' ELSE 'unknown' END AS education,
       CASE WHEN marriage IS NULL THEN NULL WHEN marriage = 1 THEN 'married' WHEN marriage = 2 THEN 'single'
            WHEN marriage = 3 THEN 'other' ELSE 'unknown' END AS marital_status,
       'taiwan' AS source
FROM raw

-- name: in_loans
-- one revolving card line per client; the opening date is unknown, 2005-04-01 stands in for it
SELECT _line, 'TW-' || id AS loan_id, 'TW-' || id AS borrower_id, 'card' AS product,
       'revolving' AS product_type, DATE '2005-04-01' AS origination_date, 0 AS principal,
       limit_bal AS credit_limit, 'TWD' AS currency, 'taiwan' AS source
FROM raw

-- name: in_performance
-- April-September month-ends from PAY_x / BILL_AMTx, then October from default.payment.next.month
SELECT _line, loan_id, as_of, greatest(bill, 0) AS balance, 30 * greatest(status, 0) AS dpd,
       bucket_of_dpd(30 * greatest(status, 0)) AS bucket, paid AS amount_paid, limit_bal AS credit_limit
FROM tw_monthly
UNION ALL
SELECT _line, 'TW-' || id, DATE '2005-10-31', greatest(bill_amt1, 0), CASE WHEN default_next = 1 THEN 30 ELSE 0 END,
       CASE WHEN default_next = 1 THEN '1-30' ELSE 'current' END, NULL, limit_bal
FROM raw

-- name: in_payments
-- one payment per client and month with a non-zero PAY_AMT, dated on that month-end (the day is unknown)
SELECT _line, loan_id || '-' || strftime(as_of, '%Y-%m') AS payment_id, loan_id, as_of AS payment_date,
       paid AS amount, 'unknown' AS channel, paid < 0 AS is_reversal
FROM tw_monthly WHERE paid <> 0
