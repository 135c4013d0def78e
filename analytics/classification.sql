-- name: loan_detail
-- per open loan at $as_of: tier and the rule that decided it, IFRS 9 stage, PD, LGD, EAD and ECL (money in the
-- loan's currency)
SELECT l.loan_id, l.product, l.region, l.branch, l.dpd, l.bucket, l.balance::DOUBLE AS balance, l.tier, l.rule,
       l.stage, l.pd, l.lgd, l.ead, l.ecl
FROM summary_loan_class l
WHERE l.as_of = $as_of
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
ORDER BY l.loan_id;

-- name: class_totals
-- open loans, balance, EAD and ECL per tier and stage at $as_of (from summary_class)
SELECT l.tier, l.stage, sum(l.loans)::BIGINT AS loans, sum(l.balance)::DOUBLE AS balance,
       sum(l.ead)::DOUBLE AS ead, sum(l.ecl)::DOUBLE AS ecl, l.product
FROM summary_class l
WHERE l.as_of = $as_of
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
GROUP BY l.tier, l.stage, l.product;

-- name: migration_start
-- the open loans at month-end $from under the filters: loan_key, state code (tier 0-4 in TIERS order, or stage
-- 1-3 as 0-2 when $by = 'stage') and balance at $from
SELECT l.loan_key,
       (CASE WHEN $by = 'stage' THEN l.stage - 1
             ELSE list_position(['normal', 'special_mention', 'substandard', 'doubtful', 'loss'], l.tier) - 1
        END)::TINYINT AS code,
       l.balance::DOUBLE AS balance
FROM summary_loan_class l
WHERE l.as_of = $from
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch));

-- name: migration_finish
-- every open loan at month-end $to: loan_key and state code as in migration_start
SELECT loan_key,
       (CASE WHEN $by = 'stage' THEN stage - 1
             ELSE list_position(['normal', 'special_mention', 'substandard', 'doubtful', 'loss'], tier) - 1
        END)::TINYINT AS code
FROM summary_loan_class
WHERE as_of = $to;

-- name: migration_closed
-- loans closed after $from and by $to: loan_key and 0 = charged_off, 1 = paid_off
SELECT loan_key, (CASE state WHEN 'charged_off' THEN 0 ELSE 1 END)::TINYINT AS code
FROM summary_closures
WHERE as_of > $from AND as_of <= $to;

-- name: npl_movement
-- NPL movement per month-end in ($from, $to] (terms defined in summaries.sql build_npl_movement), DECIMAL
SELECT l.as_of, sum(l.opening) AS opening, sum(l.new_npl) AS new_npl, sum(l.upgrades) AS upgrades,
       sum(l.collections) AS collections, sum(l.write_offs) AS write_offs, sum(l.closing) AS closing,
       sum(l.new_loans)::BIGINT AS new_loans, sum(l.upgraded_loans)::BIGINT AS upgraded_loans,
       sum(l.written_off_loans)::BIGINT AS written_off_loans
FROM summary_npl_movement l
WHERE l.as_of > $from AND l.as_of <= $to
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
GROUP BY l.as_of
ORDER BY l.as_of;
