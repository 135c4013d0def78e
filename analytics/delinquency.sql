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
-- per month-end up to $as_of (every one, zero when no open loan matches): open loans and balance, and the loans
-- and balance more than 30 / 60 / 90 days past due
WITH months AS (
    SELECT DISTINCT as_of FROM performance WHERE as_of <= $as_of
), source AS (
    SELECT p.as_of, p.dpd, p.balance FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of <= $as_of AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
)
SELECT m.as_of,
       count(s.as_of)                                              AS open_loans,
       coalesce(sum(s.balance), 0)::DOUBLE                         AS balance,
       count(s.as_of) FILTER (WHERE s.dpd > 30)                    AS dpd30_loans,
       coalesce(sum(s.balance) FILTER (WHERE s.dpd > 30), 0)::DOUBLE AS dpd30_balance,
       count(s.as_of) FILTER (WHERE s.dpd > 60)                    AS dpd60_loans,
       coalesce(sum(s.balance) FILTER (WHERE s.dpd > 60), 0)::DOUBLE AS dpd60_balance,
       count(s.as_of) FILTER (WHERE s.dpd > 90)                    AS dpd90_loans,
       coalesce(sum(s.balance) FILTER (WHERE s.dpd > 90), 0)::DOUBLE AS dpd90_balance
FROM months m LEFT JOIN source s ON s.as_of = m.as_of
GROUP BY m.as_of
ORDER BY m.as_of;

-- name: roll_rates_summary
-- the roll_rates figures read from summary_transitions (as_of there is the start month-end t of each pair)
SELECT l.from_bucket, l.to_bucket, sum(l.loans)::BIGINT AS loans, sum(l.balance)::DOUBLE AS balance
FROM summary_transitions l
WHERE l.as_of >= $start AND last_day(l.as_of + INTERVAL 1 MONTH) <= $stop
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
GROUP BY l.from_bucket, l.to_bucket;

-- name: bucket_trend_summary
-- the bucket_trend figures read from summary_buckets and summary_months
WITH buckets AS (
    SELECT * FROM (VALUES (1, 'current'), (2, '1-30'), (3, '31-60'), (4, '61-90'), (5, '91-120'),
                          (6, '121-150'), (7, '151-180'), (8, '180+')) b(ord, bucket)
), months AS (
    SELECT as_of FROM summary_months WHERE as_of <= $as_of
), source AS (
    SELECT l.as_of, l.bucket, l.loans, l.balance FROM summary_buckets l
    WHERE l.as_of <= $as_of AND l.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), aggregated AS (
    SELECT as_of, bucket, sum(loans)::BIGINT AS loans, sum(balance) AS balance FROM source GROUP BY as_of, bucket
), grid AS (
    SELECT m.as_of, b.ord, b.bucket, coalesce(a.loans, 0) AS loans, coalesce(a.balance, 0)::DOUBLE AS balance
    FROM months m CROSS JOIN buckets b LEFT JOIN aggregated a ON a.as_of = m.as_of AND a.bucket = b.bucket
)
SELECT as_of, bucket, loans, balance,
       (loans / nullif(sum(loans) OVER (PARTITION BY as_of), 0))::DOUBLE     AS loan_share,
       (balance / nullif(sum(balance) OVER (PARTITION BY as_of), 0))::DOUBLE AS balance_share
FROM grid
ORDER BY as_of, ord;

-- name: delinquency_trend_summary
-- the delinquency_trend figures read from summary_buckets (more than 30 DPD = bucket 31-60 and worse, more than
-- 60 = 61-90 and worse, more than 90 = 91-120 and worse)
WITH months AS (
    SELECT as_of FROM summary_months WHERE as_of <= $as_of
), source AS (
    SELECT l.as_of, l.bucket, l.loans, l.balance FROM summary_buckets l
    WHERE l.as_of <= $as_of AND l.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
)
SELECT m.as_of,
       coalesce(sum(s.loans), 0)::BIGINT                                                            AS open_loans,
       coalesce(sum(s.balance), 0)::DOUBLE                                                          AS balance,
       coalesce(sum(s.loans) FILTER (WHERE s.bucket NOT IN ('current', '1-30')), 0)::BIGINT           AS dpd30_loans,
       coalesce(sum(s.balance) FILTER (WHERE s.bucket NOT IN ('current', '1-30')), 0)::DOUBLE         AS dpd30_balance,
       coalesce(sum(s.loans) FILTER (WHERE s.bucket NOT IN ('current', '1-30', '31-60')), 0)::BIGINT  AS dpd60_loans,
       coalesce(sum(s.balance) FILTER (WHERE s.bucket NOT IN ('current', '1-30', '31-60')), 0)::DOUBLE AS dpd60_balance,
       coalesce(sum(s.loans) FILTER (WHERE s.bucket IN ('91-120', '121-150', '151-180', '180+')), 0)::BIGINT
                                                                                                     AS dpd90_loans,
       coalesce(sum(s.balance) FILTER (WHERE s.bucket IN ('91-120', '121-150', '151-180', '180+')), 0)::DOUBLE
                                                                                                     AS dpd90_balance
FROM months m LEFT JOIN source s ON s.as_of = m.as_of
GROUP BY m.as_of
ORDER BY m.as_of;

-- name: bucket_distribution_summary
-- the bucket_distribution figures read from summary_buckets
WITH buckets AS (
    SELECT * FROM (VALUES (1, 'current'), (2, '1-30'), (3, '31-60'), (4, '61-90'), (5, '91-120'),
                          (6, '121-150'), (7, '151-180'), (8, '180+')) b(ord, bucket)
), source AS (
    SELECT l.bucket, l.loans, l.balance FROM summary_buckets l
    WHERE l.as_of = $as_of AND l.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), aggregated AS (
    SELECT bucket, sum(loans)::BIGINT AS loans, sum(balance) AS balance FROM source GROUP BY bucket
)
SELECT b.bucket,
       coalesce(a.loans, 0)                         AS loans,
       coalesce(a.balance, 0)::DOUBLE               AS balance,
       coalesce(a.loans, 0) / nullif(sum(coalesce(a.loans, 0)) OVER (), 0)                 AS loan_share,
       (coalesce(a.balance, 0) / nullif(sum(coalesce(a.balance, 0)) OVER (), 0))::DOUBLE AS balance_share
FROM buckets b LEFT JOIN aggregated a USING (bucket)
ORDER BY b.ord;
