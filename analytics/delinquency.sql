-- name: bucket_distribution
-- open loans and balance per bucket at one month-end (every bucket listed, zero when empty)
WITH buckets AS (
    SELECT * FROM (VALUES (1, 'current'), (2, '1-30'), (3, '31-60'), (4, '61-90'), (5, '91-120'),
                          (6, '121-150'), (7, '151-180'), (8, '180+')) b(ord, bucket)
), source AS (
    SELECT p.bucket, p.balance FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $as_of AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), aggregated AS (
    SELECT bucket, count(*) AS loans, sum(balance) AS balance FROM source GROUP BY bucket
)
SELECT b.bucket,
       coalesce(a.loans, 0)                         AS loans,
       coalesce(a.balance, 0)::DOUBLE               AS balance,
       coalesce(a.loans, 0) / nullif(sum(coalesce(a.loans, 0)) OVER (), 0)                 AS loan_share,
       (coalesce(a.balance, 0) / nullif(sum(coalesce(a.balance, 0)) OVER (), 0))::DOUBLE AS balance_share
FROM buckets b LEFT JOIN aggregated a USING (bucket)
ORDER BY b.ord;

-- name: roll_rates
-- loans and balance (at t) moving from bucket i at month-end t to state j at month-end t+1, summed over
-- every consecutive pair of month-ends with t >= $start and t+1 <= $stop; loans unseen at t+1 are left out
WITH source AS (
    SELECT p.loan_id, p.as_of, p.bucket, p.balance FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of BETWEEN $start AND $stop
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), pairs AS (
    SELECT a.bucket AS from_bucket, b.bucket AS to_bucket, a.balance
    FROM source a JOIN source b
      ON b.loan_id = a.loan_id AND b.as_of = last_day(a.as_of + INTERVAL 1 MONTH)
    WHERE a.bucket NOT IN ('charged_off', 'paid_off')
)
SELECT from_bucket, to_bucket, count(*) AS loans, sum(balance)::DOUBLE AS balance
FROM pairs
GROUP BY from_bucket, to_bucket;

-- name: month_range
-- first and last month-end with performance rows
SELECT min(as_of) AS first, max(as_of) AS last FROM performance;

-- name: bucket_trend
-- open loans and balance per bucket at every month-end up to $as_of (every bucket listed, zero when empty);
-- shares are of that month-end's open loans / open balance
WITH buckets AS (
    SELECT * FROM (VALUES (1, 'current'), (2, '1-30'), (3, '31-60'), (4, '61-90'), (5, '91-120'),
                          (6, '121-150'), (7, '151-180'), (8, '180+')) b(ord, bucket)
), months AS (
    SELECT DISTINCT as_of FROM performance WHERE as_of <= $as_of
), source AS (
    SELECT p.as_of, p.bucket, p.balance FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of <= $as_of AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), aggregated AS (
    SELECT as_of, bucket, count(*) AS loans, sum(balance) AS balance FROM source GROUP BY as_of, bucket
), grid AS (
    SELECT m.as_of, b.ord, b.bucket, coalesce(a.loans, 0) AS loans, coalesce(a.balance, 0)::DOUBLE AS balance
    FROM months m CROSS JOIN buckets b LEFT JOIN aggregated a ON a.as_of = m.as_of AND a.bucket = b.bucket
)
SELECT as_of, bucket, loans, balance,
       (loans / nullif(sum(loans) OVER (PARTITION BY as_of), 0))::DOUBLE     AS loan_share,
       (balance / nullif(sum(balance) OVER (PARTITION BY as_of), 0))::DOUBLE AS balance_share
FROM grid
ORDER BY as_of, ord;

-- name: delinquency_trend
-- per month-end up to $as_of: open loans and balance, and the loans and balance more than 30 / 90 days past due
WITH source AS (
    SELECT p.as_of, p.dpd, p.balance FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of <= $as_of AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
)
SELECT as_of,
       count(*)                                                  AS open_loans,
       coalesce(sum(balance), 0)::DOUBLE                         AS balance,
       count(*) FILTER (WHERE dpd > 30)                          AS dpd30_loans,
       coalesce(sum(balance) FILTER (WHERE dpd > 30), 0)::DOUBLE AS dpd30_balance,
       count(*) FILTER (WHERE dpd > 90)                          AS dpd90_loans,
       coalesce(sum(balance) FILTER (WHERE dpd > 90), 0)::DOUBLE AS dpd90_balance
FROM source
GROUP BY as_of
ORDER BY as_of;
