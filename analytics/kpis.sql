-- name: kpi_table
-- per month-end in $months and segment ($by: 'all', 'product', 'region' or 'branch'): the executive KPIs.
-- Open loans are month-end rows not charged_off / paid_off; 30+/60+/90+ = more than 30/60/90 DPD (bucket 31-60
-- and worse); NPL = Substandard, Doubtful or Loss; money in the loans' currency (DECIMAL sums, DOUBLE out)
WITH months AS (
    SELECT unnest($months::DATE[]) AS as_of
), buckets AS (
    SELECT l.as_of, CASE $by WHEN 'product' THEN l.product WHEN 'region' THEN l.region
                             WHEN 'branch' THEN l.branch ELSE 'all' END AS segment,
           l.bucket, l.loans, l.balance
    FROM summary_buckets l
    WHERE list_contains($months::DATE[], l.as_of)
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), book AS (
    SELECT as_of, segment,
           sum(loans) FILTER (WHERE bucket NOT IN ('charged_off', 'paid_off'))   AS open_loans,
           sum(balance) FILTER (WHERE bucket NOT IN ('charged_off', 'paid_off')) AS outstanding_balance,
           -- more than 30 / 60 / 90 DPD = these buckets (bucket and DPD agree: a data contract)
           sum(loans) FILTER (WHERE bucket IN ('31-60', '61-90', '91-120', '121-150', '151-180', '180+'))
               AS dpd30_loans,
           sum(loans) FILTER (WHERE bucket IN ('61-90', '91-120', '121-150', '151-180', '180+')) AS dpd60_loans,
           sum(loans) FILTER (WHERE bucket IN ('91-120', '121-150', '151-180', '180+'))          AS dpd90_loans,
           sum(balance) FILTER (WHERE bucket IN ('31-60', '61-90', '91-120', '121-150', '151-180', '180+'))
               AS dpd30_balance,
           sum(balance) FILTER (WHERE bucket IN ('61-90', '91-120', '121-150', '151-180', '180+'))
               AS dpd60_balance,
           sum(balance) FILTER (WHERE bucket IN ('91-120', '121-150', '151-180', '180+'))
               AS dpd90_balance
    FROM buckets GROUP BY ALL
), classes AS (
    SELECT l.as_of, CASE $by WHEN 'product' THEN l.product WHEN 'region' THEN l.region
                             WHEN 'branch' THEN l.branch ELSE 'all' END AS segment,
           sum(l.balance) FILTER (WHERE l.tier IN ('substandard', 'doubtful', 'loss')) AS npl_balance,
           sum(l.loans) FILTER (WHERE l.tier IN ('substandard', 'doubtful', 'loss'))   AS npl_loans,
           sum(l.ecl) AS ecl
    FROM summary_class l
    WHERE list_contains($months::DATE[], l.as_of)
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
    GROUP BY ALL
), flows AS (
    SELECT l.as_of, CASE $by WHEN 'product' THEN l.product WHEN 'region' THEN l.region
                             WHEN 'branch' THEN l.branch ELSE 'all' END AS segment,
           sum(l.new_loans) AS new_loans, sum(l.new_principal) AS new_disbursements,
           sum(l.collections) AS collections, sum(l.charge_offs) AS charge_offs, sum(l.recoveries) AS recoveries
    FROM summary_cashflows l
    WHERE list_contains($months::DATE[], l.as_of)
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
    GROUP BY ALL
), segments AS (
    SELECT as_of, segment FROM book UNION SELECT as_of, segment FROM classes UNION SELECT as_of, segment FROM flows
    UNION SELECT as_of, 'all' FROM months WHERE $by = 'all'
)
SELECT s.as_of, s.segment,
       coalesce(b.open_loans, 0)::BIGINT                 AS open_loans,
       coalesce(b.outstanding_balance, 0)::DOUBLE        AS outstanding_balance,
       coalesce(b.dpd30_loans, 0)::BIGINT                AS dpd30_loans,
       coalesce(b.dpd60_loans, 0)::BIGINT                AS dpd60_loans,
       coalesce(b.dpd90_loans, 0)::BIGINT                AS dpd90_loans,
       coalesce(b.dpd30_balance, 0)::DOUBLE              AS dpd30_balance,
       coalesce(b.dpd60_balance, 0)::DOUBLE              AS dpd60_balance,
       coalesce(b.dpd90_balance, 0)::DOUBLE              AS dpd90_balance,
       coalesce(c.npl_loans, 0)::BIGINT                  AS npl_loans,
       coalesce(c.npl_balance, 0)::DOUBLE                AS npl_balance,
       coalesce(c.ecl, 0)::DOUBLE                        AS ecl,
       coalesce(f.new_loans, 0)::BIGINT                  AS new_loans,
       coalesce(f.new_disbursements, 0)::DOUBLE          AS new_disbursements,
       coalesce(f.collections, 0)::DOUBLE                AS collections,
       coalesce(f.charge_offs, 0)::DOUBLE                AS charge_offs,
       coalesce(f.recoveries, 0)::DOUBLE                 AS recoveries,
       (coalesce(b.dpd30_balance, 0) / nullif(b.outstanding_balance, 0))::DOUBLE AS dpd30_rate_balance,
       (coalesce(b.dpd60_balance, 0) / nullif(b.outstanding_balance, 0))::DOUBLE AS dpd60_rate_balance,
       (coalesce(b.dpd90_balance, 0) / nullif(b.outstanding_balance, 0))::DOUBLE AS dpd90_rate_balance,
       (coalesce(b.dpd30_loans, 0) / nullif(b.open_loans, 0))::DOUBLE AS dpd30_rate_count,
       (coalesce(b.dpd60_loans, 0) / nullif(b.open_loans, 0))::DOUBLE AS dpd60_rate_count,
       (coalesce(b.dpd90_loans, 0) / nullif(b.open_loans, 0))::DOUBLE AS dpd90_rate_count,
       (coalesce(c.npl_balance, 0) / nullif(b.outstanding_balance, 0))::DOUBLE AS npl_ratio,
       (coalesce(c.ecl, 0) / nullif(c.npl_balance, 0))::DOUBLE AS coverage_ratio
FROM segments s
LEFT JOIN book b ON b.as_of = s.as_of AND b.segment IS NOT DISTINCT FROM s.segment
LEFT JOIN classes c ON c.as_of = s.as_of AND c.segment IS NOT DISTINCT FROM s.segment
LEFT JOIN flows f ON f.as_of = s.as_of AND f.segment IS NOT DISTINCT FROM s.segment
ORDER BY s.as_of, s.segment;

-- name: currency
-- the currencies of the loans the filters select
SELECT string_agg(DISTINCT l.currency, ',' ORDER BY l.currency) AS currency
FROM loans l
WHERE (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch));

-- name: segment_moves
-- per dimension (product, region, branch), segment and month-end in $months: open loans, outstanding balance and
-- the 30+/90+ rates by balance and by count (more than 30/90 DPD = bucket 31-60 / 91-120 and worse)
WITH buckets AS (
    SELECT l.as_of, l.product, l.region, l.branch, l.bucket, l.loans, l.balance
    FROM summary_buckets l
    WHERE list_contains($months::DATE[], l.as_of)
      AND l.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), aggregated AS (
    SELECT as_of,
           CASE WHEN grouping(product) = 0 THEN 'product' WHEN grouping(region) = 0 THEN 'region'
                ELSE 'branch' END AS dimension,
           CASE WHEN grouping(product) = 0 THEN product WHEN grouping(region) = 0 THEN region
                ELSE branch END AS segment,
           sum(loans) AS open_loans, sum(balance) AS outstanding_balance,
           sum(loans) FILTER (WHERE bucket IN ('31-60', '61-90', '91-120', '121-150', '151-180', '180+'))
               AS dpd30_loans,
           sum(balance) FILTER (WHERE bucket IN ('31-60', '61-90', '91-120', '121-150', '151-180', '180+'))
               AS dpd30_balance,
           sum(loans) FILTER (WHERE bucket IN ('91-120', '121-150', '151-180', '180+'))   AS dpd90_loans,
           sum(balance) FILTER (WHERE bucket IN ('91-120', '121-150', '151-180', '180+')) AS dpd90_balance
    FROM buckets
    GROUP BY GROUPING SETS ((as_of, product), (as_of, region), (as_of, branch))
)
SELECT as_of, dimension, segment,
       open_loans::BIGINT AS open_loans, outstanding_balance::DOUBLE AS outstanding_balance,
       (coalesce(dpd30_balance, 0) / nullif(outstanding_balance, 0))::DOUBLE AS dpd30_rate_balance,
       (coalesce(dpd30_loans, 0) / nullif(open_loans, 0))::DOUBLE         AS dpd30_rate_count,
       (coalesce(dpd90_balance, 0) / nullif(outstanding_balance, 0))::DOUBLE AS dpd90_rate_balance,
       (coalesce(dpd90_loans, 0) / nullif(open_loans, 0))::DOUBLE         AS dpd90_rate_count
FROM aggregated
ORDER BY as_of, dimension, segment;
