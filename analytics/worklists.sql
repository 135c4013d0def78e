-- name: scope_buckets
-- open loans and balance per bucket at one month-end for the loans in a scope (officer and/or branch; NULL = any)
WITH buckets AS (
    SELECT * FROM (VALUES (1, 'current'), (2, '1-30'), (3, '31-60'), (4, '61-90'), (5, '91-120'),
                          (6, '121-150'), (7, '151-180'), (8, '180+')) b(ord, bucket)
), source AS (
    SELECT p.bucket, p.balance FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $as_of AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND ($officer::VARCHAR IS NULL OR l.officer = $officer)
      AND ($branch::VARCHAR IS NULL OR l.branch = $branch)
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), aggregated AS (
    SELECT bucket, count(*) AS loans, sum(balance) AS balance FROM source GROUP BY bucket
)
SELECT b.bucket,
       coalesce(a.loans, 0)                                                              AS loans,
       coalesce(a.balance, 0)::DOUBLE                                                    AS balance,
       (coalesce(a.loans, 0) / nullif(sum(coalesce(a.loans, 0)) OVER (), 0))::DOUBLE     AS loan_share,
       (coalesce(a.balance, 0) / nullif(sum(coalesce(a.balance, 0)) OVER (), 0))::DOUBLE AS balance_share
FROM buckets b LEFT JOIN aggregated a USING (bucket)
ORDER BY b.ord;

-- name: delinquent_loans
-- open loans at least 1 day past due at one month-end in a scope (officer, branch, or the agent of the loan's
-- latest collection action up to that month-end; NULL = any), with that action; worst first (DPD, then balance)
WITH source AS (
    SELECT p.loan_id, l.borrower_id, l.product, l.region, l.branch, l.officer, p.dpd, p.bucket,
           p.balance::DOUBLE AS balance, p.overdue_amount::DOUBLE AS overdue_amount, l.currency
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $as_of AND p.dpd > 0 AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND ($officer::VARCHAR IS NULL OR l.officer = $officer)
      AND ($branch::VARCHAR IS NULL OR l.branch = $branch)
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), last_action AS (
    SELECT a.loan_id, a.action_date, a.channel, a.outcome, a.agent
    FROM collection_actions a JOIN source s USING (loan_id)
    WHERE a.action_date <= $as_of
    QUALIFY row_number() OVER (PARTITION BY a.loan_id ORDER BY a.action_date DESC, a.action_id DESC) = 1
)
SELECT s.loan_id, s.borrower_id, s.product, s.region, s.branch, s.officer, s.dpd, s.bucket, s.balance,
       s.overdue_amount, s.currency, la.action_date AS last_action_date, la.channel AS last_channel,
       la.outcome AS last_outcome, la.agent AS last_agent
FROM source s LEFT JOIN last_action la USING (loan_id)
WHERE $agent::VARCHAR IS NULL OR la.agent = $agent
ORDER BY s.dpd DESC, s.balance DESC, s.loan_id;
