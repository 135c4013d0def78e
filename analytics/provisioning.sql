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

-- name: chosen_loans
-- loan_key, loan_id, borrower_id of the loans $loan_ids (the officers' inputs)
SELECT rowid AS loan_key, loan_id, borrower_id FROM loans WHERE list_contains($loan_ids::VARCHAR[], loan_id);

-- name: borrower_loans
-- loan_key, loan_id, borrower_id of every loan of the borrowers $borrowers that have more than one loan
-- (summary_borrower_loans; the loans table is not scanned by borrower)
SELECT loan_key, loan_id, borrower_id FROM summary_borrower_loans
WHERE list_contains($borrowers::VARCHAR[], borrower_id);

-- name: patch_loans
-- month_loans at month-end $as_of for the loans $loan_ids (keys $keys, borrowers $borrowers) that are open then, with
-- their stored state (observation, carry) and classification (stored_tier ... stored_ecl) from summary_loan_class,
-- ordered by loan_key. Each table is read through its constant list (zone maps skip to the few row groups that hold
-- them) and left-joined, so no join filter is pushed into the scans instead; every performance row has its loan,
-- every loan its borrower and every open loan its stored row.
WITH source AS (
    SELECT l.loan_key, b.borrower_key, p.as_of, p.loan_id, p.balance, p.dpd, p.bucket, p.restructured,
           coalesce(p.credit_limit, l.credit_limit) AS credit_limit, l.product, l.region, l.branch, l.product_type,
           l.origination_date, l.maturity_date, l.term_months, b.borrower_type, s.observation, s.carry,
           s.tier AS stored_tier, s.rule AS stored_rule, s.stage AS stored_stage, s.pd AS stored_pd,
           s.lgd AS stored_lgd, s.ead AS stored_ead, s.ecl AS stored_ecl
    FROM performance p
    LEFT JOIN (SELECT rowid AS loan_key, * FROM loans WHERE list_contains($loan_ids::VARCHAR[], loan_id)) l
           USING (loan_id)
    LEFT JOIN (SELECT rowid AS borrower_key, * FROM borrowers
               WHERE list_contains($borrowers::VARCHAR[], borrower_id)) b ON b.borrower_id = l.borrower_id
    LEFT JOIN (SELECT loan_key, observation, carry, tier, rule, stage, pd, lgd, ead, ecl FROM summary_loan_class
               WHERE as_of = $as_of AND list_contains($keys::BIGINT[], loan_key)) s ON s.loan_key = l.loan_key
    WHERE p.as_of = $as_of AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND list_contains($loan_ids::VARCHAR[], p.loan_id)
), cleaned AS (
    SELECT as_of, loan_key, borrower_key, loan_id, balance, dpd, bucket, restructured, product, region, branch,
           list_position($buckets::VARCHAR[], bucket) - 1                        AS bucket_index,
           product = 'card' OR product_type = 'revolving'                        AS card,
           borrower_type = 'business'                                           AS business,
           balance::DOUBLE                                                      AS balance_value,
           greatest(coalesce(credit_limit, 0) - balance, 0)::DOUBLE             AS undrawn,
           greatest(coalesce(datediff('month', as_of, last_day(coalesce(maturity_date,
                    CAST(origination_date + to_months(term_months) AS DATE)))), $default_life), 1) AS remaining,
           observation, carry, stored_tier, stored_rule, stored_stage, stored_pd, stored_lgd, stored_ead, stored_ecl
    FROM source
)
SELECT * FROM cleaned ORDER BY loan_key;
