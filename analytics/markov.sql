-- name: transition_counts_raw
-- loans moving from bucket i at month-end t to state j at month-end t+1, per product, for every consecutive
-- pair with t+1 <= $until (a loan unseen at t+1 is left out); the counts behind the Markov-chain PD
WITH source AS (
    SELECT p.as_of, p.bucket, l.product,
           lead(p.as_of) OVER w AS next_as_of, lead(p.bucket) OVER w AS next_bucket
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of <= $until
    WINDOW w AS (PARTITION BY p.loan_id ORDER BY p.as_of)
), pairs AS (
    SELECT as_of, product, bucket AS from_bucket, next_bucket AS to_bucket
    FROM source
    WHERE bucket NOT IN ('charged_off', 'paid_off') AND next_as_of = last_day(as_of + INTERVAL 1 MONTH)
)
SELECT as_of, product, from_bucket, to_bucket, count(*) AS loans
FROM pairs
GROUP BY ALL;

-- name: transition_counts_summary
-- the same counts read from summary_transitions (as_of is the start month-end t of each pair)
SELECT as_of, product, from_bucket, to_bucket, sum(loans)::BIGINT AS loans
FROM summary_transitions
WHERE last_day(as_of + INTERVAL 1 MONTH) <= $until
GROUP BY ALL;

-- name: lgd_inputs
-- per month-end and product: amount charged off and recovered cash (disposition kinds in $recovery_kinds),
-- in the loans' currency, from the dispositions dated up to $until
WITH source AS (
    SELECT last_day(d.disposition_date) AS as_of, l.product, d.kind, d.amount
    FROM dispositions d JOIN loans l USING (loan_id)
    WHERE d.disposition_date <= $until
)
SELECT as_of, product,
       coalesce(sum(amount) FILTER (WHERE kind = 'charge_off'), 0)::DOUBLE AS charged_off,
       coalesce(sum(amount) FILTER (WHERE list_contains($recovery_kinds::VARCHAR[], kind)), 0)::DOUBLE AS recovered
FROM source
GROUP BY ALL
ORDER BY as_of, product;
