-- Signal-quality backtest (signals/quality.py).

-- name: outcomes
-- as_of, loan_id, bad: every loan open and not yet bad (DPD at most $bad_dpd) at each month-end in $months,
-- within the filters; bad = 1 when at any of the next $horizon month-ends it is more than $bad_dpd days past due
-- or charged off
WITH perf AS (
    SELECT p.loan_id, p.as_of, p.dpd, p.bucket, year(p.as_of) * 12 + month(p.as_of) AS month_no
    FROM performance p JOIN loans l USING (loan_id)
    WHERE (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), flagged AS (
    SELECT loan_id, as_of, month_no,
           bucket NOT IN ('charged_off', 'paid_off') AND dpd <= $bad_dpd AS eligible,
           CAST(bucket = 'charged_off' OR (dpd > $bad_dpd AND bucket <> 'paid_off') AS INTEGER) AS bad_now
    FROM perf
), ahead AS (
    SELECT loan_id, as_of, eligible,
           max(bad_now) OVER (PARTITION BY loan_id ORDER BY month_no
                              RANGE BETWEEN 1 FOLLOWING AND $horizon FOLLOWING) AS bad_next
    FROM flagged
)
SELECT as_of, loan_id, coalesce(bad_next, 0) AS bad
FROM ahead
WHERE eligible AND list_contains($months::DATE[], as_of);

-- name: quality
-- signal, hits, bad_hits, precision, population, bad, base_rate, lift: per signal, the loan-months it fired for
-- in the population (hits), how many went bad (precision = bad_hits / hits), against the population's bad rate
-- (lift = precision / base_rate)
WITH pop AS (
    SELECT count(*) AS population, CAST(coalesce(sum(bad), 0) AS BIGINT) AS bad FROM outcomes
), per AS (
    SELECT h.signal, count(*) AS hits, CAST(sum(o.bad) AS BIGINT) AS bad_hits
    FROM hits h JOIN outcomes o USING (as_of, loan_id)
    GROUP BY 1
)
SELECT s.signal, coalesce(per.hits, 0) AS hits, coalesce(per.bad_hits, 0) AS bad_hits,
       per.bad_hits / nullif(per.hits, 0) AS precision, pop.population, pop.bad,
       pop.bad / nullif(pop.population, 0) AS base_rate,
       (per.bad_hits / nullif(per.hits, 0)) / nullif(pop.bad / nullif(pop.population, 0), 0) AS lift
FROM (SELECT unnest($signals::VARCHAR[]) AS signal, generate_subscripts($signals::VARCHAR[], 1) AS pos) s
LEFT JOIN per USING (signal) CROSS JOIN pop
ORDER BY s.pos;
