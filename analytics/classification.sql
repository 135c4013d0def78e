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

-- name: class_totals_patched
-- class_totals at $as_of with some loans re-classified by officers' inputs: the stored totals (summary_class), less
-- what those loans added by the rules (lw_patch_before: their stored rows), plus what they add now (lw_patch_now);
-- a tier x stage x product left without loans is dropped, as a build over every loan would not have it
SELECT l.tier, l.stage, sum(l.loans)::BIGINT AS loans, sum(l.balance)::DOUBLE AS balance,
       sum(l.ead)::DOUBLE AS ead, sum(l.ecl)::DOUBLE AS ecl, l.product
FROM (SELECT product, region, branch, tier, stage, loans, balance, ead, ecl
      FROM summary_class WHERE as_of = $as_of
      UNION ALL
      SELECT product, region, branch, tier, stage, -1, -balance, -ead, -ecl
      FROM lw_patch_before
      UNION ALL
      SELECT product, region, branch, tier, stage, 1, balance, ead, ecl
      FROM lw_patch_now) l
WHERE (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
GROUP BY l.tier, l.stage, l.product
HAVING sum(l.loans) <> 0;

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

-- name: npl_movement_patched
-- npl_movement over ($from, $to] with the loans $keys re-classified at $to by officers' inputs: the stored movement,
-- less those loans' terms from the previous month-end $prev to $to as stored (lw_patch_before), plus their terms
-- now (lw_patch_now). The terms are build_npl_movement's (summaries.sql), loan by loan, for loans open at $to (so
-- neither paid off nor charged off then); $paired = $prev is a month-end with data (else $to has no movement).
-- DECIMAL sums, so the result is exactly a build over every loan.
WITH opened AS (                  -- NPL at $prev: their balance then
    SELECT loan_key, balance AS balance0
    FROM summary_loan_class
    WHERE as_of = $prev AND list_contains($keys::BIGINT[], loan_key) AND tier IN ('substandard', 'doubtful', 'loss')
), later AS (                     -- at $to: as stored (sign -1) and as now (sign 1)
    SELECT -1 AS sign, loan_key, product, region, branch, balance AS balance1,
           tier IN ('substandard', 'doubtful', 'loss') AS npl1
    FROM lw_patch_before
    UNION ALL
    SELECT 1, loan_key, product, region, branch, balance, tier IN ('substandard', 'doubtful', 'loss')
    FROM lw_patch_now
), moved AS (
    SELECT a.sign, a.product, a.region, a.branch, o.balance0, a.balance1, a.npl1
    FROM later a LEFT JOIN opened o USING (loan_key)
    WHERE $paired AND (o.balance0 IS NOT NULL OR a.npl1)
), terms AS (
    SELECT $to::DATE AS as_of, product, region, branch,
           sum(sign * coalesce(balance0, 0))                                            AS opening,
           sum(sign * balance1) FILTER (WHERE balance0 IS NULL)                         AS new_npl,
           sum(sign * balance0) FILTER (WHERE balance0 IS NOT NULL AND NOT npl1)        AS upgrades,
           sum(sign * CASE WHEN balance0 IS NULL THEN 0 WHEN npl1 THEN balance0 - balance1 ELSE 0 END)
                                                                                        AS collections,
           0                                                                            AS write_offs,
           sum(sign * balance1) FILTER (WHERE npl1)                                     AS closing,
           sum(sign) FILTER (WHERE balance0 IS NULL)                                    AS new_loans,
           sum(sign) FILTER (WHERE balance0 IS NOT NULL AND NOT npl1)                   AS upgraded_loans,
           0                                                                            AS written_off_loans
    FROM moved
    GROUP BY ALL
)
SELECT l.as_of, sum(l.opening) AS opening, sum(l.new_npl) AS new_npl, sum(l.upgrades) AS upgrades,
       sum(l.collections) AS collections, sum(l.write_offs) AS write_offs, sum(l.closing) AS closing,
       sum(l.new_loans)::BIGINT AS new_loans, sum(l.upgraded_loans)::BIGINT AS upgraded_loans,
       sum(l.written_off_loans)::BIGINT AS written_off_loans
FROM (SELECT as_of, product, region, branch, opening, new_npl, upgrades, collections, write_offs, closing,
             new_loans, upgraded_loans, written_off_loans
      FROM summary_npl_movement WHERE as_of > $from AND as_of <= $to
      UNION ALL
      SELECT as_of, product, region, branch, coalesce(opening, 0), coalesce(new_npl, 0), coalesce(upgrades, 0),
             coalesce(collections, 0), write_offs, coalesce(closing, 0), coalesce(new_loans, 0),
             coalesce(upgraded_loans, 0), written_off_loans
      FROM terms) l
WHERE (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
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

-- name: loan_list_patched_bound
-- loan_list_bound with the loans $keys re-classified by officers' inputs: the pos of the $upto-th matching stored
-- row of the other loans (the re-classified ones have no stored place; loan_list_patched sorts them in)
SELECT coalesce(max(pos), 0) AS bound
FROM (SELECT l.pos
      FROM summary_loan_class l
      WHERE l.as_of = $as_of AND NOT list_contains($keys::BIGINT[], l.loan_key)
        AND ($tier::VARCHAR IS NULL OR l.tier = $tier::VARCHAR)
        AND ($rule::VARCHAR IS NULL OR l.rule = $rule::VARCHAR
             OR ($rule::VARCHAR = 'override' AND starts_with(l.rule, 'override:')))
        AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
        AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
        AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
      ORDER BY l.pos
      LIMIT $upto);

-- name: loan_list_patched
-- loan_list with the loans $keys re-classified by officers' inputs (lw_patch_now: their rows now): the other loans'
-- stored rows up to pos $bound and the re-classified rows, in the loan list's order (worst tier first, then largest
-- ECL, then loan id)
WITH candidates AS (
    SELECT loan_id, product, region, branch, dpd, tier, rule, stage, ecl, balance
    FROM summary_loan_class
    WHERE as_of = $as_of AND pos <= $bound AND NOT list_contains($keys::BIGINT[], loan_key)
    UNION ALL
    SELECT loan_id, product, region, branch, dpd, tier, rule, stage, ecl, balance
    FROM lw_patch_now
), source AS (
    SELECT l.loan_id, l.dpd, l.tier, l.rule, l.stage, l.ecl, l.balance::DOUBLE AS balance, l.product,
           list_position(['normal', 'special_mention', 'substandard', 'doubtful', 'loss'], l.tier) AS severity
    FROM candidates l
    WHERE ($tier::VARCHAR IS NULL OR l.tier = $tier::VARCHAR)
      AND ($rule::VARCHAR IS NULL OR l.rule = $rule::VARCHAR
           OR ($rule::VARCHAR = 'override' AND starts_with(l.rule, 'override:')))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
)
SELECT loan_id, product, dpd, balance, tier, rule, stage, round(ecl, 2) AS ecl
FROM source
ORDER BY severity DESC, ecl DESC, loan_id
LIMIT $size OFFSET $offset;

-- name: loan_list_patched_count
-- loan_list_count with the loans $keys re-classified by officers' inputs (lw_patch_now: their rows now)
SELECT count(*) AS loans
FROM (SELECT tier, rule, product, region, branch
      FROM summary_loan_class
      WHERE as_of = $as_of AND NOT list_contains($keys::BIGINT[], loan_key)
      UNION ALL
      SELECT tier, rule, product, region, branch
      FROM lw_patch_now) l
WHERE ($tier::VARCHAR IS NULL OR l.tier = $tier::VARCHAR)
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
