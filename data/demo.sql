-- Statements of the demo builder (data/demo.py). Each block loads one chunk's Arrow table `chunk` (integer keys,
-- dictionary-coded labels, money as DECIMAL(18,2), dates as DATE; NULLs already in place) into a canonical
-- table, or reads back a summary figure.

-- name: insert_borrowers
-- every column already in canonical form; personal data arrives encrypted
INSERT INTO borrowers (borrower_id, borrower_type, name_enc, national_id_enc, phone_enc, address_enc,
                       national_id_hash, gender, birth_year, education, marital_status, region, city,
                       monthly_income, locale, source)
SELECT borrower_id, borrower_type, name_enc, national_id_enc, phone_enc, address_enc, national_id_hash, gender,
       birth_year, education, marital_status, region, city, monthly_income, locale, 'demo'
FROM chunk;

-- name: insert_loans
INSERT INTO loans
SELECT 'L' || lpad(CAST(loan AS VARCHAR), 8, '0'), 'B' || lpad(CAST(borrower AS VARCHAR), 8, '0'), product,
       product_type, region, branch,
       printf('OF%03d-%02d', branch_no, officer_slot + 1),
       origination_date, maturity_date, principal,
       credit_limit, annual_rate,
       NULLIF(term_months, 0), instalment,
       payment_day, collateral_type, collateral_value,
       grade, purpose, 'CNY', 'demo'
FROM chunk;

-- name: insert_schedules
INSERT INTO schedules
SELECT 'L' || lpad(CAST(loan AS VARCHAR), 8, '0'), no, day, principal, interest, 0
FROM chunk;

-- name: insert_payments
INSERT INTO payments
SELECT 'P' || lpad(CAST(id AS VARCHAR), 11, '0'), 'L' || lpad(CAST(loan AS VARCHAR), 8, '0'), day, amount, channel, rev,
       'P' || lpad(CAST(ref AS VARCHAR), 11, '0')
FROM chunk;

-- name: insert_performance
INSERT INTO performance
SELECT 'L' || lpad(CAST(loan AS VARCHAR), 8, '0'), as_of, bal, dpd, bucket, due,
       paid, overdue,
       lim, restructured
FROM chunk;

-- name: insert_bureau
INSERT INTO bureau
SELECT 'B' || lpad(CAST(borrower AS VARCHAR), 8, '0'), as_of, score, inquiries, dl, debt FROM chunk;

-- name: insert_alt_signals
INSERT INTO alt_signals
SELECT 'B' || lpad(CAST(borrower AS VARCHAR), 8, '0'), as_of, salary, balance,
       round(util, 4), litigation, news, reachable, moved
FROM chunk;

-- name: insert_macro
INSERT INTO macro SELECT as_of, round(macro_index, 2) FROM chunk;

-- name: insert_collection_actions
INSERT INTO collection_actions
SELECT 'CA' || lpad(CAST(id AS VARCHAR), 10, '0'), 'L' || lpad(CAST(loan AS VARCHAR), 8, '0'), day, channel,
       CASE WHEN agent >= 900 THEN printf('AGY-%02d', agent - 900)
            ELSE printf('AG%d-%02d', agent // 100, agent % 100) END,
       outcome, promise, promise_day
FROM chunk;

-- name: insert_reviews
INSERT INTO reviews
SELECT 'RV' || lpad(CAST(id AS VARCHAR), 10, '0'), 'L' || lpad(CAST(loan AS VARCHAR), 8, '0'), day, kind,
       CASE WHEN reviewer = 0 THEN printf('OF%03d-%02d', branch_no, officer_slot + 1)
            ELSE printf('RISK-%d', region) END,
       finding, cls, follow
FROM chunk;

-- name: insert_alerts
-- evidence: the figures that raised the alert, in words
INSERT INTO alerts
SELECT 'AL' || lpad(CAST(id AS VARCHAR), 10, '0'), 'L' || lpad(CAST(loan AS VARCHAR), 8, '0'), day, signal,
       severity, status,
       CASE signal
           WHEN 'bureau_score_drop' THEN printf('bureau score %d -> %d', v1::INTEGER, v2::INTEGER)
           WHEN 'credit_inquiries' THEN printf('%d credit inquiries in 30 days', v1::INTEGER)
           WHEN 'salary_stopped' THEN 'no salary deposit this month'
           WHEN 'balance_drain' THEN printf('deposit balance down to %.2f', v1)
           WHEN 'utilisation_spike' THEN printf('revolving utilisation %d%%', v1::INTEGER)
           WHEN 'litigation' THEN 'borrower named in a lawsuit'
           WHEN 'phone_unreachable' THEN 'phone unreachable'
           WHEN 'negative_news' THEN 'negative news about the borrower'
           WHEN 'missed_payment' THEN printf('instalment missed: %d DPD, %.2f overdue', v1::INTEGER, v2)
           WHEN 'payment_reversed' THEN 'automatic debit returned unpaid'
           WHEN 'partial_payment' THEN printf('paid %.2f of %.2f overdue', v1, v1 + v2)
           ELSE printf('%d DPD, %.2f overdue', v1::INTEGER, v2) END
FROM chunk;

-- name: insert_dispositions
INSERT INTO dispositions
SELECT 'D' || lpad(CAST(id AS VARCHAR), 10, '0'), 'L' || lpad(CAST(loan AS VARCHAR), 8, '0'), day, kind, amount,
       CASE kind
           WHEN 'restructure' THEN printf('term extended by %d months; new instalment %.2f', v1::INTEGER, v2)
           WHEN 'charge_off' THEN printf('charged off at %d DPD', v1::INTEGER)
           WHEN 'write_off' THEN 'written off (account kept for recovery)'
           WHEN 'sale' THEN printf('sold to an asset management company in portfolio sale %d', v1::INTEGER)
           WHEN 'recovery' THEN 'recovered by collection agency'
           WHEN 'settlement' THEN 'settled at a discount; remainder forgiven'
           WHEN 'collection_fee' THEN printf('agency commission %d%%', v1::INTEGER)
           ELSE printf('lawsuit filed at %d DPD', v1::INTEGER) END
FROM chunk;

-- name: transitions
-- loans per (bucket at a month-end, bucket at the next month-end), over the whole history
WITH p AS (
    SELECT loan_id, year(as_of) * 12 + month(as_of) AS m, bucket FROM performance
), pairs AS (
    SELECT a.bucket AS from_bucket, b.bucket AS to_bucket, a.m AS m
    FROM p a JOIN p b ON a.loan_id = b.loan_id AND b.m = a.m + 1
)
SELECT from_bucket, to_bucket, count(*) AS loans FROM pairs GROUP BY ALL;

-- name: charge_off_rate_12m
-- balance charged off over the last 12 month-ends / average open balance over them
WITH last12 AS (
    SELECT as_of, bucket, balance FROM performance
    WHERE as_of > (SELECT max(as_of) FROM performance) - INTERVAL 12 MONTH
)
SELECT sum(balance) FILTER (WHERE bucket = 'charged_off')
       / (sum(balance) FILTER (WHERE bucket NOT IN ('charged_off', 'paid_off')) / count(DISTINCT as_of))
FROM last12;
