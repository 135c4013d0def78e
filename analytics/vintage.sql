-- name: vintage_curves
-- per cohort (origination month 'YYYY-MM' or quarter 'YYYY-Qn') originated by $as_of and months on book 0..the
-- last MOB every loan of the cohort has reached by month-end $as_of: loans (and their original principal) that
-- were ever $metric by that MOB, cumulative, with the whole cohort's loans and principal (fixed denominators)
WITH history AS (
    SELECT min(as_of) AS first, $as_of::DATE AS last FROM summary_months
), source AS (
    SELECT l.cohort, l.loans, l.balance,
           CASE $metric WHEN 'ever30' THEN l.mob_ever30 WHEN 'ever60' THEN l.mob_ever60
                        WHEN 'ever90' THEN l.mob_ever90 ELSE l.mob_charged_off END AS first_mob
    FROM summary_vintage l
    WHERE l.cohort <= $as_of
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), cleaned AS (
    SELECT CASE WHEN $by = 'quarter' THEN strftime(cohort, '%Y') || '-Q' || quarter(cohort)
                ELSE strftime(cohort, '%Y-%m') END AS cohort,
           cohort AS origination_month, first_mob, loans, balance
    FROM source, history h
    -- a quarter that began before the observed history is left out (it is only partly observed)
    WHERE $by <> 'quarter' OR date_trunc('quarter', source.cohort) >= date_trunc('month', h.first)
), cohorts AS (
    SELECT cohort, sum(loans) AS cohort_loans, sum(balance) AS cohort_balance, max(origination_month) AS latest
    FROM cleaned GROUP BY cohort
), grid AS (
    SELECT c.cohort, c.cohort_loans, c.cohort_balance,
           unnest(range(0, datediff('month', c.latest, h.last) + 1)) AS mob
    FROM cohorts c, history h
), firsts AS (
    SELECT cohort, first_mob, sum(loans) AS loans, sum(balance) AS balance
    FROM cleaned WHERE first_mob IS NOT NULL GROUP BY ALL
), aggregated AS (
    SELECT g.cohort, g.mob, g.cohort_loans, g.cohort_balance,
           coalesce(sum(f.loans), 0) AS loans, coalesce(sum(f.balance), 0) AS balance
    FROM grid g LEFT JOIN firsts f ON f.cohort = g.cohort AND f.first_mob <= g.mob
    GROUP BY ALL
)
SELECT cohort, mob::INTEGER AS mob, loans::BIGINT AS loans, balance::DOUBLE AS balance,
       cohort_loans::BIGINT AS cohort_loans, cohort_balance::DOUBLE AS cohort_balance
FROM aggregated
ORDER BY cohort, mob;
