-- Collection performance over time (collection/monitor.py). Person channels: robo_call, agent_call, field_visit.

-- name: contact_trend
-- month, channel, agent, outcome, actions: actions on the person channels dated in the $months months up to $as_of
SELECT last_day(action_date) AS month, channel, coalesce(agent, '') AS agent, outcome, count(*) AS actions
FROM collection_actions
WHERE action_date > last_day($as_of - to_months($months)) AND action_date <= $as_of
  AND channel IN ('robo_call', 'agent_call', 'field_visit')
GROUP BY ALL
ORDER BY ALL;

-- name: bucket_outcomes
-- month, bucket, accounts, cured, rolled, collected, due: open delinquent loans at each month-end t of the last
-- $months transitions up to $as_of (month = t), observed at t+1 (a loan unseen there is left out): current or paid
-- off at t+1 (cured), worse bucket or charged off (rolled), net payments dated in the month after t (collected,
-- yuan) and the amount due (overdue at t plus the instalments due in the month after t, yuan)
WITH state_rank AS (
    SELECT * FROM (VALUES ('paid_off', 0), ('current', 1), ('1-30', 2), ('31-60', 3), ('61-90', 4), ('91-120', 5),
                          ('121-150', 6), ('151-180', 7), ('180+', 8), ('charged_off', 9)) t(state, r)
), frm AS (
    SELECT loan_id, as_of, bucket, CAST(coalesce(overdue_amount, 0) AS DOUBLE) AS overdue
    FROM performance
    WHERE as_of >= last_day($as_of - to_months($months)) AND as_of < $as_of
      AND bucket NOT IN ('current', 'charged_off', 'paid_off')
), nxt AS (
    SELECT loan_id, as_of, bucket, CAST(coalesce(amount_due, 0) AS DOUBLE) AS amount_due FROM performance
    WHERE as_of > last_day($as_of - to_months($months)) AND as_of <= $as_of
      AND loan_id IN (SELECT loan_id FROM frm)
), paid AS (
    SELECT loan_id, last_day(payment_date) AS month_paid,
           sum(CASE WHEN is_reversal THEN -abs(CAST(amount AS DOUBLE)) ELSE CAST(amount AS DOUBLE) END) AS collected
    FROM payments
    WHERE payment_date > last_day($as_of - to_months($months)) AND payment_date <= $as_of
      AND loan_id IN (SELECT loan_id FROM frm)
    GROUP BY ALL
)
SELECT f.as_of AS month, f.bucket, count(*) AS accounts,
       count(*) FILTER (WHERE n.bucket IN ('current', 'paid_off')) AS cured,
       count(*) FILTER (WHERE rn.r > rf.r) AS rolled,
       coalesce(sum(p.collected), 0) AS collected, sum(f.overdue + n.amount_due) AS due
FROM frm f
JOIN nxt n ON n.loan_id = f.loan_id AND n.as_of = last_day(f.as_of + INTERVAL 1 MONTH)
JOIN state_rank rf ON rf.state = f.bucket
JOIN state_rank rn ON rn.state = n.bucket
LEFT JOIN paid p ON p.loan_id = f.loan_id AND p.month_paid = n.as_of
GROUP BY ALL
ORDER BY ALL;

-- name: recoveries
-- month, charged_off, recovered: amounts charged off and recovered after charge-off (dispositions, yuan) per month
-- up to $as_of
SELECT last_day(disposition_date) AS month,
       coalesce(sum(CAST(amount AS DOUBLE)) FILTER (WHERE kind = 'charge_off'), 0) AS charged_off,
       coalesce(sum(CAST(amount AS DOUBLE)) FILTER (WHERE kind = 'recovery'), 0) AS recovered
FROM dispositions
WHERE kind IN ('charge_off', 'recovery') AND disposition_date <= $as_of
GROUP BY ALL
ORDER BY ALL;
