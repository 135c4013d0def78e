-- Targets of the risk models: did a loan in the population reach the bad state within the next $horizon
-- month-ends? Read forward from the observation month-end, which is what a target is (features never do).

-- name: targets
-- one row per loan in the population (open, not charged off, at most 90 DPD) at each month-end in $obs:
-- loan_id, as_of, bad (DPD >= $bad_dpd or charged off at a month-end t+1 .. t+$horizon, as far as the data goes),
-- mature (the data reaches month-end t+$horizon, so the whole window is seen), months_to_bad (from t, NULL if none);
-- unordered (targets.py orders them like the features)
WITH obs AS (
    SELECT DISTINCT unnest($obs::DATE[]) AS as_of
), book AS (   -- the data's last month-end, as a month index
    SELECT max(year(as_of) * 12 + month(as_of)) AS last_mi FROM performance
), population AS (
    SELECT p.loan_id, p.as_of, year(p.as_of) * 12 + month(p.as_of) AS t
    FROM performance p
    WHERE p.as_of IN (SELECT as_of FROM obs) AND p.bucket NOT IN ('charged_off', 'paid_off') AND p.dpd <= 90
), bad_months AS (   -- the few rows that are bad, after the first observation month-end
    SELECT loan_id, year(as_of) * 12 + month(as_of) AS mi
    FROM performance
    WHERE as_of > (SELECT min(as_of) FROM obs) AND (dpd >= $bad_dpd OR bucket = 'charged_off')
), first_bad AS (
    SELECT x.loan_id, x.t, min(b.mi) - x.t AS months_to_bad
    FROM population x JOIN bad_months b ON b.loan_id = x.loan_id AND b.mi BETWEEN x.t + 1 AND x.t + $horizon
    GROUP BY x.loan_id, x.t
)
SELECT x.loan_id, x.as_of,
       f.months_to_bad IS NOT NULL                                    AS bad,
       (SELECT last_mi FROM book) >= x.t + $horizon                   AS mature,
       f.months_to_bad
FROM population x LEFT JOIN first_bad f ON f.loan_id = x.loan_id AND f.t = x.t
