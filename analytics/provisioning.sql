-- name: month_loans
-- the open loans at the month-ends $first..$last with what the five-tier / IFRS 9 engine needs; keys are row
-- numbers of loans and borrowers (stable within one store generation); money in the loans' currency
WITH source AS (
    SELECT l.rowid AS loan_key, b.rowid AS borrower_key, p.as_of, p.loan_id, p.balance, p.dpd, p.bucket,
           p.restructured, coalesce(p.credit_limit, l.credit_limit) AS credit_limit, l.product, l.region, l.branch,
           l.product_type, l.origination_date, l.maturity_date, l.term_months, b.borrower_type
    FROM performance p JOIN loans l USING (loan_id) JOIN borrowers b ON b.borrower_id = l.borrower_id
    WHERE p.as_of BETWEEN $first AND $last AND p.bucket NOT IN ('charged_off', 'paid_off')
), cleaned AS (
    SELECT as_of, loan_key, borrower_key, loan_id, balance, dpd, bucket, restructured, product, region, branch,
           list_position($buckets::VARCHAR[], bucket) - 1                        AS bucket_index,
           product = 'card' OR product_type = 'revolving'                        AS card,
           borrower_type = 'business'                                           AS business,
           balance::DOUBLE                                                      AS balance_value,
           greatest(coalesce(credit_limit, 0) - balance, 0)::DOUBLE             AS undrawn,
           -- months from this month-end to maturity (origination + term when no maturity date), at least 1
           greatest(coalesce(datediff('month', as_of, last_day(coalesce(maturity_date,
                    CAST(origination_date + to_months(term_months) AS DATE)))), $default_life), 1) AS remaining
    FROM source
)
SELECT * FROM cleaned ORDER BY as_of, loan_key;

-- name: key_range
-- sizes of the key spaces (largest row number + 1) and the products, for the engine's state arrays
SELECT (SELECT coalesce(max(rowid), -1) + 1 FROM loans) AS loans,
       (SELECT coalesce(max(rowid), -1) + 1 FROM borrowers) AS borrowers,
       (SELECT list(DISTINCT product ORDER BY product) FROM loans) AS products;

-- name: month_ends
-- month-ends with performance rows up to $until, ascending
SELECT DISTINCT as_of FROM performance WHERE as_of <= $until ORDER BY as_of;

-- name: loan_keys
-- loan_key -> loan_id for the officer's inputs (overrides, watch list)
SELECT rowid AS loan_key, loan_id FROM loans WHERE list_contains($loan_ids::VARCHAR[], loan_id);

-- name: affected_keys
-- loan_keys of the loans $loan_ids and of every other loan of their borrowers open at $as_of (contagion; a
-- borrower's other loans are in summary_borrower_loans, so the loans table is not scanned by borrower)
WITH chosen AS (
    SELECT rowid AS loan_key, borrower_id FROM loans WHERE list_contains($loan_ids::VARCHAR[], loan_id)
), keyed AS (
    SELECT loan_key FROM chosen
    UNION
    SELECT m.loan_key FROM summary_borrower_loans m WHERE m.borrower_id IN (SELECT borrower_id FROM chosen)
)
SELECT c.loan_key
FROM summary_loan_class c
WHERE c.as_of = $as_of AND c.loan_key IN (SELECT loan_key FROM keyed)
ORDER BY c.loan_key;

-- name: month_loans_keys
-- month_loans at one month-end ($first = $last) for the loans $keys only (row numbers), ordered by loan_key
WITH source AS (
    SELECT l.rowid AS loan_key, b.rowid AS borrower_key, p.as_of, p.loan_id, p.balance, p.dpd, p.bucket,
           p.restructured, coalesce(p.credit_limit, l.credit_limit) AS credit_limit, l.product, l.region, l.branch,
           l.product_type, l.origination_date, l.maturity_date, l.term_months, b.borrower_type
    FROM performance p JOIN loans l USING (loan_id) JOIN borrowers b ON b.borrower_id = l.borrower_id
    WHERE p.as_of BETWEEN $first AND $last AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND l.rowid = ANY($keys::BIGINT[])
), cleaned AS (
    SELECT as_of, loan_key, borrower_key, loan_id, balance, dpd, bucket, restructured, product, region, branch,
           list_position($buckets::VARCHAR[], bucket) - 1                        AS bucket_index,
           product = 'card' OR product_type = 'revolving'                        AS card,
           borrower_type = 'business'                                           AS business,
           balance::DOUBLE                                                      AS balance_value,
           greatest(coalesce(credit_limit, 0) - balance, 0)::DOUBLE             AS undrawn,
           greatest(coalesce(datediff('month', as_of, last_day(coalesce(maturity_date,
                    CAST(origination_date + to_months(term_months) AS DATE)))), $default_life), 1) AS remaining
    FROM source
)
SELECT * FROM cleaned ORDER BY as_of, loan_key;
