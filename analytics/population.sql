-- name: behaviour_population
-- per observation month-end up to $as_of: the modelling population (open loans not in default, i.e. at most 90
-- days past due), its balance, and how many of those loans reached the target (DPD >= $bad_dpd, or charged off)
-- at a later month-end within $horizon months, seen with the data known at $as_of
WITH source AS (
    SELECT p.loan_id, p.as_of, p.balance, p.dpd, p.bucket FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of <= $as_of
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), flagged AS (
    SELECT *, min(CASE WHEN dpd >= $bad_dpd OR bucket = 'charged_off' THEN as_of END) OVER (
                  PARTITION BY loan_id ORDER BY as_of ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_bad
    FROM source
), population AS (
    SELECT as_of, balance, coalesce(next_bad <= last_day(as_of + to_months($horizon)), FALSE) AS bad
    FROM flagged
    WHERE bucket NOT IN ('charged_off', 'paid_off') AND dpd <= 90
)
SELECT as_of,
       count(*)                                              AS loans,
       sum(balance)::DOUBLE                                  AS balance,
       count(*) FILTER (WHERE bad)                           AS bads,
       last_day(as_of + to_months($horizon)) <= $as_of       AS mature,
       least(datediff('month', as_of, $as_of), $horizon)     AS months_observed
FROM population
GROUP BY as_of
ORDER BY as_of;
