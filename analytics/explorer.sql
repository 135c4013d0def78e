-- Portfolio explorer (analytics/explorer.py): balance and 30+ delinquency by a chosen dimension, the loans of one
-- segment a page at a time, one loan's history, and the largest borrower exposures. Open loans are month-end rows
-- not charged_off / paid_off; 30+ = bucket 31-60 and worse (more than 30 DPD); money in the loans' currency.
-- $dimension is one of product, region, branch, officer, cohort, grade (checked in explorer.py); a cohort is the
-- origination month 'YYYY-MM' or quarter 'YYYY-Qn' ($cohort_by); the grade comes from $grade_source: 'model'
-- (scores of $target at the month-end; NULL = not scored), 'origination' (loans.grade) or 'bucket'.

-- name: grade_sources
-- what a risk grade can come from at a month-end: scored loans per model target, and loans with an origination grade
SELECT 'model' AS source, target, count(*) AS loans FROM scores WHERE as_of = $as_of GROUP BY target
UNION ALL
SELECT 'origination', NULL, count(grade) FROM loans;

-- name: segments_summary
-- per segment of the dimension at a month-end, from the publish-time summaries (summary_buckets for product,
-- region, branch and the bucket grade; summary_segments for officer, cohort and the origination grade): open loans,
-- balance, and the loans and balance more than 30 DPD
WITH buckets AS (
    SELECT CASE $dimension WHEN 'product' THEN l.product WHEN 'region' THEN l.region WHEN 'branch' THEN l.branch
                ELSE l.bucket END AS segment,
           l.loans, l.balance, l.bucket NOT IN ('current', '1-30') AS over30
    FROM summary_buckets l
    WHERE l.as_of = $as_of AND l.bucket NOT IN ('charged_off', 'paid_off')
      AND ($dimension IN ('product', 'region', 'branch') OR ($dimension = 'grade' AND $grade_source = 'bucket'))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), segments AS (
    SELECT CASE WHEN $dimension = 'cohort' AND $cohort_by = 'quarter'
                THEN l.value[1:4] || '-Q' || ((l.value[6:7]::INTEGER + 2) // 3)::VARCHAR ELSE l.value END AS segment,
           l.loans, l.balance, l.dpd30_loans, l.dpd30_balance
    FROM summary_segments l
    WHERE l.as_of = $as_of AND l.dimension = $dimension
      AND ($dimension IN ('officer', 'cohort') OR ($dimension = 'grade' AND $grade_source = 'origination'))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), source AS (
    SELECT segment, loans, balance, CASE WHEN over30 THEN loans ELSE 0 END AS dpd30_loans,
           CASE WHEN over30 THEN balance ELSE 0 END AS dpd30_balance
    FROM buckets
    UNION ALL
    SELECT segment, loans, balance, dpd30_loans, dpd30_balance FROM segments
)
SELECT coalesce(segment, '') AS segment, sum(loans)::BIGINT AS loans, sum(balance)::DOUBLE AS balance,
       sum(dpd30_loans)::BIGINT AS dpd30_loans, sum(dpd30_balance)::DOUBLE AS dpd30_balance
FROM source
GROUP BY ALL;

-- name: segments
-- the same figures as segments_summary computed from the monthly rows (no summaries, or a model grade)
WITH scored AS (
    SELECT loan_id, grade FROM scores WHERE as_of = $as_of AND target = $target
), source AS (
    SELECT CASE $dimension WHEN 'product' THEN l.product WHEN 'region' THEN l.region WHEN 'branch' THEN l.branch
                WHEN 'officer' THEN l.officer
                WHEN 'cohort' THEN CASE WHEN $cohort_by = 'quarter'
                                        THEN strftime(l.origination_date, '%Y') || '-Q' || quarter(l.origination_date)
                                        ELSE strftime(l.origination_date, '%Y-%m') END
                ELSE CASE $grade_source WHEN 'model' THEN s.grade WHEN 'origination' THEN l.grade ELSE p.bucket END
           END AS segment,
           p.balance, p.bucket NOT IN ('current', '1-30') AS over30
    FROM performance p JOIN loans l USING (loan_id) LEFT JOIN scored s USING (loan_id)
    WHERE p.as_of = $as_of AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
)
SELECT coalesce(segment, '') AS segment, count(*)::BIGINT AS loans, sum(balance)::DOUBLE AS balance,
       count(*) FILTER (WHERE over30)::BIGINT AS dpd30_loans,
       coalesce(sum(balance) FILTER (WHERE over30), 0)::DOUBLE AS dpd30_balance
FROM source
GROUP BY ALL;

-- name: loan_list
-- one page of the open loans in segment $segment ('' = not recorded) at a month-end: largest balance first, or
-- most days past due first ($order = 'dpd'), then loan id; $limit rows from row $offset. A segment that is a loan
-- attribute picks its loans before the month-end rows are joined (a model grade or bucket is picked after)
WITH scored AS (
    SELECT loan_id, grade FROM scores WHERE as_of = $as_of AND target = $target
), chosen AS (
    SELECT l.*
    FROM loans l
    WHERE (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
      AND (($dimension = 'grade' AND $grade_source <> 'origination') OR $segment = coalesce(
           CASE $dimension WHEN 'product' THEN l.product WHEN 'region' THEN l.region WHEN 'branch' THEN l.branch
                WHEN 'officer' THEN l.officer
                WHEN 'cohort' THEN CASE WHEN $cohort_by = 'quarter'
                                        THEN strftime(l.origination_date, '%Y') || '-Q' || quarter(l.origination_date)
                                        ELSE strftime(l.origination_date, '%Y-%m') END
                ELSE l.grade END, ''))
), source AS (
    SELECT p.loan_id, l.borrower_id, l.product, l.region, l.branch, l.officer, l.origination_date,
           l.grade AS origination_grade, s.grade AS model_grade, p.balance::DOUBLE AS balance, p.dpd, p.bucket,
           l.currency,
           CASE WHEN $dimension <> 'grade' OR $grade_source = 'origination' THEN $segment
                WHEN $grade_source = 'model' THEN s.grade ELSE p.bucket END AS segment
    FROM performance p JOIN chosen l USING (loan_id) LEFT JOIN scored s USING (loan_id)
    WHERE p.as_of = $as_of AND p.bucket NOT IN ('charged_off', 'paid_off')
)
SELECT * EXCLUDE (segment)
FROM source
WHERE coalesce(segment, '') = $segment
ORDER BY CASE WHEN $order = 'dpd' THEN dpd ELSE 0 END DESC, balance DESC, loan_id
LIMIT $limit OFFSET $offset;

-- name: loan_header
-- one loan's terms and segment (no personal data: the borrower by id only)
SELECT l.loan_id, l.borrower_id, b.borrower_type, l.product, l.product_type, l.region, l.branch, l.officer,
       l.origination_date, l.maturity_date, l.principal::DOUBLE AS principal, l.credit_limit::DOUBLE AS credit_limit,
       l.annual_rate, l.term_months, l.instalment::DOUBLE AS instalment, l.grade, l.currency
FROM loans l LEFT JOIN borrowers b USING (borrower_id)
WHERE l.loan_id = $loan_id;

-- name: loan_payments
-- one loan's payments up to the month-end, oldest first (a reversal is negative)
SELECT payment_date, amount::DOUBLE AS amount, channel, is_reversal
FROM payments
WHERE loan_id = $loan_id AND payment_date <= $as_of
ORDER BY payment_date, payment_id;

-- name: loan_bureau
-- the bureau pulls of the loan's borrower up to the month-end, oldest first
SELECT b.as_of, b.score, b.inquiries_30d, b.delinquencies_elsewhere, b.total_debt::DOUBLE AS total_debt
FROM bureau b SEMI JOIN (SELECT borrower_id FROM loans WHERE loan_id = $loan_id) l USING (borrower_id)
WHERE b.as_of <= $as_of
ORDER BY b.as_of;

-- name: loan_actions
-- the collection actions on one loan up to the month-end, oldest first
SELECT action_date, channel, agent, outcome, promise_amount::DOUBLE AS promise_amount, promise_date
FROM collection_actions
WHERE loan_id = $loan_id AND action_date <= $as_of
ORDER BY action_date, action_id;

-- name: top_exposures
-- the $n borrowers with the largest open balance at a month-end (their loans under the filters), with the
-- filtered book's open balance as the denominator of their share
WITH source AS (
    SELECT l.borrower_id, p.balance
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $as_of AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), per_borrower AS (
    SELECT borrower_id, count(*) AS loans, sum(balance) AS balance FROM source GROUP BY borrower_id
), top AS (
    SELECT * FROM per_borrower ORDER BY balance DESC, borrower_id LIMIT $n
)
SELECT t.borrower_id, b.borrower_type, t.loans::BIGINT AS loans, t.balance::DOUBLE AS balance,
       (SELECT sum(balance) FROM source)::DOUBLE AS book_balance
FROM top t LEFT JOIN borrowers b USING (borrower_id)
ORDER BY t.balance DESC, t.borrower_id;

-- name: top_exposures_summary
-- the same from the summaries: open loans of the month-end in summary_loan_class; a borrower with one loan is
-- that loan (only the $n largest loans can matter), the others add up their loans (summary_borrower_loans)
WITH positions AS (
    SELECT l.loan_key, l.loan_id, l.balance
    FROM summary_loan_class l
    WHERE l.as_of = $as_of AND l.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), several AS (
    SELECT m.borrower_id, count(*) AS loans, sum(p.balance) AS balance
    FROM positions p JOIN summary_borrower_loans m USING (loan_key)
    GROUP BY m.borrower_id
), single AS (
    SELECT p.loan_id, p.balance FROM positions p ANTI JOIN summary_borrower_loans m USING (loan_key)
), largest AS (                            -- ties at the n-th balance all stay, so the order below is exact
    SELECT * FROM single WHERE balance >= (SELECT min(balance) FROM (SELECT balance FROM single
                                                                     ORDER BY balance DESC LIMIT $n))
), candidates AS (
    SELECT borrower_id, loans, balance FROM several
    UNION ALL
    SELECT l.borrower_id, 1, s.balance FROM largest s JOIN loans l USING (loan_id)
), top AS (
    SELECT * FROM candidates ORDER BY balance DESC, borrower_id LIMIT $n
)
SELECT t.borrower_id, b.borrower_type, t.loans::BIGINT AS loans, t.balance::DOUBLE AS balance,
       (SELECT sum(balance) FROM positions)::DOUBLE AS book_balance
FROM top t LEFT JOIN borrowers b USING (borrower_id)
ORDER BY t.balance DESC, t.borrower_id;

-- name: top_exposures_stored
-- the same from summary_exposures (exact for $n <= 100: see summaries.sql build_exposures), with the filtered
-- book's open balance from summary_buckets
WITH rows AS (
    SELECT l.borrower_id, l.borrower_type, l.loans, l.balance
    FROM summary_exposures l
    WHERE l.as_of = $as_of
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), top AS (
    SELECT borrower_id, any_value(borrower_type) AS borrower_type, sum(loans) AS loans, sum(balance) AS balance
    FROM rows
    GROUP BY borrower_id
    ORDER BY balance DESC, borrower_id
    LIMIT $n
), book AS (
    SELECT sum(l.balance) AS balance
    FROM summary_buckets l
    WHERE l.as_of = $as_of AND l.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
)
SELECT t.borrower_id, t.borrower_type, t.loans::BIGINT AS loans, t.balance::DOUBLE AS balance,
       (SELECT balance FROM book)::DOUBLE AS book_balance
FROM top t
ORDER BY t.balance DESC, t.borrower_id;

-- name: loan_list_keys
-- loan_list from the stored per-loan rows (summary_loan_class holds every open loan of a month-end with its
-- balance, DPD and bucket) when the segment is a loan attribute or the bucket: the page's loans in order; their
-- terms are then read by row number (loan_list_terms)
WITH chosen AS (
    SELECT o.rowid AS loan_key
    FROM loans o
    WHERE $dimension IN ('officer', 'cohort', 'grade') AND $segment = coalesce(
           CASE $dimension WHEN 'officer' THEN o.officer
                WHEN 'cohort' THEN CASE WHEN $cohort_by = 'quarter'
                                        THEN strftime(o.origination_date, '%Y') || '-Q' || quarter(o.origination_date)
                                        ELSE strftime(o.origination_date, '%Y-%m') END
                ELSE o.grade END, '')
)
SELECT l.loan_key, l.loan_id, l.balance::DOUBLE AS balance, l.dpd, l.bucket
FROM summary_loan_class l
WHERE l.as_of = $as_of
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
  AND CASE WHEN $dimension = 'product' THEN coalesce(l.product, '') = $segment
           WHEN $dimension = 'region' THEN coalesce(l.region, '') = $segment
           WHEN $dimension = 'branch' THEN coalesce(l.branch, '') = $segment
           WHEN $dimension = 'grade' AND $grade_source = 'bucket' THEN l.bucket = $segment
           ELSE l.loan_key IN (SELECT loan_key FROM chosen) END
ORDER BY CASE WHEN $order = 'dpd' THEN l.dpd ELSE 0 END DESC, balance DESC, l.loan_id
LIMIT $limit OFFSET $offset;

-- name: loan_list_terms
-- the loans' columns of loan_list for the loans with row numbers $keys (order restored by the caller)
SELECT rowid AS loan_key, borrower_id, product, region, branch, officer, origination_date,
       grade AS origination_grade, NULL::VARCHAR AS model_grade, currency
FROM loans
WHERE rowid = ANY($keys::BIGINT[]);

-- name: loan_rows
-- where one loan's rows are (summary_loan_rows)
SELECT loan_key, performance_rows, payment_rows, action_rows, bureau_rows
FROM summary_loan_rows
WHERE loan_id = $loan_id;

-- name: history_rows
-- data/people.sql performance_history by row number
SELECT as_of, balance, dpd, bucket, amount_due, amount_paid, overdue_amount, restructured
FROM performance
WHERE rowid = ANY($rows::BIGINT[]) AND loan_id = $loan_id
ORDER BY as_of;

-- name: payments_rows
-- loan_payments by row number
SELECT payment_date, amount::DOUBLE AS amount, channel, is_reversal
FROM payments
WHERE rowid = ANY($rows::BIGINT[]) AND loan_id = $loan_id AND payment_date <= $as_of
ORDER BY payment_date, payment_id;

-- name: bureau_rows
-- loan_bureau by row number
SELECT b.as_of, b.score, b.inquiries_30d, b.delinquencies_elsewhere, b.total_debt::DOUBLE AS total_debt
FROM bureau b
WHERE rowid = ANY($rows::BIGINT[]) AND b.as_of <= $as_of
ORDER BY b.as_of;

-- name: actions_rows
-- loan_actions by row number
SELECT action_date, channel, agent, outcome, promise_amount::DOUBLE AS promise_amount, promise_date
FROM collection_actions
WHERE rowid = ANY($rows::BIGINT[]) AND loan_id = $loan_id AND action_date <= $as_of
ORDER BY action_date, action_id;
