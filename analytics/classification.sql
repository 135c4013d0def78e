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

-- name: migration
-- loans and balance (at $from) moving from tier (or stage when $by = 'stage') at month-end $from to the tier
-- (stage) at month-end $to; a loan closed in between goes to charged_off / paid_off, one not observed at $to
-- (and not closed) is left out
WITH start AS (
    SELECT l.loan_key, CASE WHEN $by = 'stage' THEN l.stage::VARCHAR ELSE l.tier END AS from_state, l.balance
    FROM summary_loan_class l
    WHERE l.as_of = $from
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), finish AS (
    SELECT loan_key, CASE WHEN $by = 'stage' THEN stage::VARCHAR ELSE tier END AS to_state
    FROM summary_loan_class WHERE as_of = $to
), closed AS (
    SELECT loan_key, state AS to_state FROM summary_closures WHERE as_of > $from AND as_of <= $to
), moves AS (
    SELECT s.from_state, coalesce(f.to_state, c.to_state) AS to_state, s.balance
    FROM start s LEFT JOIN finish f USING (loan_key) LEFT JOIN closed c USING (loan_key)
)
SELECT from_state, to_state, count(*) AS loans, sum(balance)::DOUBLE AS balance
FROM moves
WHERE to_state IS NOT NULL
GROUP BY ALL;

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
