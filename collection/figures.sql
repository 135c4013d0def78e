-- The Collections page's book frames at segment grain (collection/figures.py): every figure keeps the loan's
-- product, region and branch, so a filter is a sum over these rows. Person channels: robo_call, agent_call,
-- field_visit. Month-ends $first .. $last are inclusive.

-- name: actions_by_segment
-- month, product, region, branch, channel, agent ('' when none), outcome, actions: the book's actions on the
-- person channels dated in the months ending $first .. $last (month = the month-end of the action's month)
SELECT last_day(a.action_date) AS month, l.product, l.region, l.branch, a.channel, coalesce(a.agent, '') AS agent,
       a.outcome, count(*) AS actions
FROM collection_actions a
LEFT JOIN loans l USING (loan_id)
WHERE a.action_date > last_day($first - INTERVAL 1 MONTH) AND a.action_date <= $last
  AND a.channel IN ('robo_call', 'agent_call', 'field_visit')
GROUP BY ALL;

-- name: flows_by_segment
-- month, product, region, branch, bucket, accounts, cured, rolled, collected, due: the open delinquent loans at
-- each month-end t = $first .. $last (month = t), observed at t+1 (a loan unseen there is left out): current or
-- paid off at t+1 (cured), worse bucket or charged off (rolled), net payments dated in the month after t
-- (collected, yuan) and the amount due (overdue at t plus the instalments due in the month after t, yuan)
WITH state_rank AS (
    SELECT * FROM (VALUES ('paid_off', 0), ('current', 1), ('1-30', 2), ('31-60', 3), ('61-90', 4), ('91-120', 5),
                          ('121-150', 6), ('151-180', 7), ('180+', 8), ('charged_off', 9)) t(state, r)
), frm AS (
    SELECT loan_id, as_of, bucket, CAST(coalesce(overdue_amount, 0) AS DOUBLE) AS overdue
    FROM performance
    WHERE as_of BETWEEN $first AND $last AND bucket NOT IN ('current', 'charged_off', 'paid_off')
), nxt AS (
    SELECT loan_id, as_of, bucket, CAST(coalesce(amount_due, 0) AS DOUBLE) AS amount_due FROM performance
    WHERE as_of > $first AND as_of <= last_day($last + INTERVAL 1 MONTH)
      AND loan_id IN (SELECT loan_id FROM frm)
), paid AS (
    SELECT loan_id, last_day(payment_date) AS month_paid,
           sum(CASE WHEN is_reversal THEN -abs(CAST(amount AS DOUBLE)) ELSE CAST(amount AS DOUBLE) END) AS collected
    FROM payments
    WHERE payment_date > $first AND payment_date <= last_day($last + INTERVAL 1 MONTH)
      AND loan_id IN (SELECT loan_id FROM frm)
    GROUP BY ALL
)
SELECT f.as_of AS month, l.product, l.region, l.branch, f.bucket, count(*) AS accounts,
       count(*) FILTER (WHERE n.bucket IN ('current', 'paid_off')) AS cured,
       count(*) FILTER (WHERE rn.r > rf.r) AS rolled,
       coalesce(sum(p.collected), 0) AS collected, sum(f.overdue + n.amount_due) AS due
FROM frm f
JOIN nxt n ON n.loan_id = f.loan_id AND n.as_of = last_day(f.as_of + INTERVAL 1 MONTH)
JOIN state_rank rf ON rf.state = f.bucket
JOIN state_rank rn ON rn.state = n.bucket
LEFT JOIN paid p ON p.loan_id = f.loan_id AND p.month_paid = n.as_of
LEFT JOIN loans l ON l.loan_id = f.loan_id
GROUP BY ALL;

-- name: recoveries_by_segment
-- month, product, region, branch, charged_off, recovered: amounts charged off and recovered after charge-off
-- (dispositions, yuan) per month up to $as_of
SELECT last_day(d.disposition_date) AS month, l.product, l.region, l.branch,
       coalesce(sum(CAST(d.amount AS DOUBLE)) FILTER (WHERE d.kind = 'charge_off'), 0) AS charged_off,
       coalesce(sum(CAST(d.amount AS DOUBLE)) FILTER (WHERE d.kind = 'recovery'), 0) AS recovered
FROM dispositions d
LEFT JOIN loans l USING (loan_id)
WHERE d.kind IN ('charge_off', 'recovery') AND d.disposition_date <= $as_of
GROUP BY ALL;

-- name: loan_segments
-- loan_id, product, region, branch of the loans $loans (the few that collectors recorded actions on)
SELECT loan_id, product, region, branch FROM loans WHERE loan_id = ANY($loans::VARCHAR[]);

-- name: promises_by_segment
-- month, product, region, branch, agent ('' when none), channel, status, promises: the judged promises cx_judged
-- (loan_id, made_on, agent, channel, status: collection/ptp.py) counted by the month-end of the day made
SELECT last_day(j.made_on) AS month, l.product, l.region, l.branch, coalesce(j.agent, '') AS agent, j.channel,
       j.status, count(*) AS promises
FROM cx_judged j
LEFT JOIN loans l USING (loan_id)
GROUP BY ALL;
