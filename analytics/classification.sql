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
SELECT l.loan_key, (CASE WHEN $by = 'stage' THEN l.stage - 1 ELSE l.severity END)::TINYINT AS code,
       l.balance::DOUBLE AS balance
FROM summary_loan_class l
WHERE l.as_of = $from
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch));

-- name: migration_finish
-- every open loan at month-end $to: loan_key and state code as in migration_start
SELECT loan_key, (CASE WHEN $by = 'stage' THEN stage - 1 ELSE severity END)::TINYINT AS code
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

-- name: loan_list
-- one page of the open loans at $as_of ($offset, $size rows), worst tier first, then largest ECL: loan_id, dpd,
-- tier, deciding rule, stage, ECL (loan's currency); optional $tier and rule kind $rule ('override' = any override);
-- rows with a stored place (pos) after $bound are left out (they cannot be on the page)
WITH source AS (
    SELECT l.loan_id, l.dpd, l.tier, l.rule, l.stage, l.ecl, l.balance::DOUBLE AS balance, l.product,
           list_position(['normal', 'special_mention', 'substandard', 'doubtful', 'loss'], l.tier) AS severity
    FROM summary_loan_class l
    WHERE l.as_of = $as_of
      AND ($tier::VARCHAR IS NULL OR l.tier = $tier::VARCHAR)
      AND ($rule::VARCHAR IS NULL OR l.rule = $rule::VARCHAR
           OR ($rule::VARCHAR = 'override' AND starts_with(l.rule, 'override:')))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
      AND (l.pos IS NULL OR l.pos <= $bound)
)
SELECT loan_id, product, dpd, balance, tier, rule, stage, round(ecl, 2) AS ecl
FROM source
ORDER BY severity DESC, ecl DESC, loan_id
LIMIT $size OFFSET $offset;

-- name: loan_list_seek
-- the same page as loan_list by the stored order (pos: worst tier, largest ECL in cents, loan id, within the
-- month-end): the first $size matching rows after pos $after (keyset paging; no inputs, so pos is current)
SELECT l.loan_id, l.product, l.dpd, l.balance::DOUBLE AS balance, l.tier, l.rule, l.stage, round(l.ecl, 2) AS ecl
FROM summary_loan_class l
WHERE l.as_of = $as_of AND l.pos > $after AND l.pos <= $until
  AND ($tier::VARCHAR IS NULL OR l.tier = $tier::VARCHAR)
  AND ($rule::VARCHAR IS NULL OR l.rule = $rule::VARCHAR
       OR ($rule::VARCHAR = 'override' AND starts_with(l.rule, 'override:')))
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
ORDER BY l.pos
LIMIT $size;

-- name: loan_list_after
-- the pos of the $offset-th matching row of loan_list (the last row before the page; 0 when $offset = 0)
SELECT coalesce(max(pos), 0) AS after
FROM (SELECT l.pos
      FROM summary_loan_class l
      WHERE l.as_of = $as_of
        AND ($tier::VARCHAR IS NULL OR l.tier = $tier::VARCHAR)
        AND ($rule::VARCHAR IS NULL OR l.rule = $rule::VARCHAR
             OR ($rule::VARCHAR = 'override' AND starts_with(l.rule, 'override:')))
        AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
        AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
        AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
      ORDER BY l.pos
      LIMIT $offset);

-- name: loan_list_bound
-- with officers' inputs (loan_list): the pos of the $upto-th matching row that kept its stored place (pos not
-- NULL); rows after it cannot be on the page, so loan_list sorts only the rows up to it and the re-classified ones
SELECT coalesce(max(pos), 0) AS bound
FROM (SELECT l.pos
      FROM summary_loan_class l
      WHERE l.as_of = $as_of AND l.pos IS NOT NULL
        AND ($tier::VARCHAR IS NULL OR l.tier = $tier::VARCHAR)
        AND ($rule::VARCHAR IS NULL OR l.rule = $rule::VARCHAR
             OR ($rule::VARCHAR = 'override' AND starts_with(l.rule, 'override:')))
        AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
        AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
        AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
      ORDER BY l.pos
      LIMIT $upto);

-- name: loan_list_count
-- how many loans loan_list pages through (same filters)
SELECT count(*) AS loans
FROM summary_loan_class l
WHERE l.as_of = $as_of
  AND ($tier::VARCHAR IS NULL OR l.tier = $tier::VARCHAR)
  AND ($rule::VARCHAR IS NULL OR l.rule = $rule::VARCHAR
       OR ($rule::VARCHAR = 'override' AND starts_with(l.rule, 'override:')))
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch));

-- name: rule_floor
-- one loan's rule-based classification at $as_of and its officer (loans.officer)
SELECT c.loan_id, o.officer, c.dpd, c.balance::DOUBLE AS balance, c.tier, c.rule, c.stage
FROM summary_loan_class c JOIN loans o ON o.loan_id = c.loan_id
WHERE c.as_of = $as_of AND c.loan_id = $loan_id;

-- name: loan_officer
-- the officer a loan is assigned to
SELECT officer FROM loans WHERE loan_id = $loan_id;
