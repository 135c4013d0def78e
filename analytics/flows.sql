-- name: roll_cure
-- per consecutive pair of month-ends t, t+1 (as_of = t+1, $start <= t, t+1 <= $stop) and bucket at t: loans
-- and balance at t (loans unseen at t+1 left out), those in the next worse state at t+1 (roll; 180+ rolls to
-- charged_off) and those current at t+1 (cure)
WITH ladder AS (
    SELECT * FROM (VALUES (1, 'current', '1-30'), (2, '1-30', '31-60'), (3, '31-60', '61-90'),
                          (4, '61-90', '91-120'), (5, '91-120', '121-150'), (6, '121-150', '151-180'),
                          (7, '151-180', '180+'), (8, '180+', 'charged_off')) x(ord, from_bucket, next_state)
), source AS (
    SELECT l.as_of, l.from_bucket, l.to_bucket, l.loans, l.balance
    FROM summary_transitions l
    WHERE l.as_of >= $start AND last_day(l.as_of + INTERVAL 1 MONTH) <= $stop
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
)
SELECT last_day(s.as_of + INTERVAL 1 MONTH) AS as_of, s.from_bucket AS bucket, x.ord,
       sum(s.loans)::BIGINT                                                           AS loans,
       sum(s.balance)::DOUBLE                                                         AS balance,
       coalesce(sum(s.loans) FILTER (WHERE s.to_bucket = x.next_state), 0)::BIGINT      AS roll_loans,
       coalesce(sum(s.balance) FILTER (WHERE s.to_bucket = x.next_state), 0)::DOUBLE    AS roll_balance,
       coalesce(sum(s.loans) FILTER (WHERE s.to_bucket = 'current'), 0)::BIGINT         AS cure_loans,
       coalesce(sum(s.balance) FILTER (WHERE s.to_bucket = 'current'), 0)::DOUBLE       AS cure_balance
FROM source s JOIN ladder x USING (from_bucket)
GROUP BY ALL
ORDER BY as_of, x.ord;

-- name: state_balances
-- balance (loans' currency) per month-end $start..$stop and state: the buckets of open loans, and charged_off
-- = the amounts charged off at that month-end (each loan's terminal row)
SELECT l.as_of, l.bucket, sum(l.balance)::DOUBLE AS balance
FROM summary_buckets l
WHERE l.as_of BETWEEN $start AND $stop AND l.bucket <> 'paid_off'
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
GROUP BY ALL
ORDER BY l.as_of;
