-- Champion/challenger outcomes (collection/compare.py). cx_assigned: loan_id, bucket, segment, arm, strategy,
-- agent, overdue_amount at $as_of; cx_costs: channel, cost (yuan per action); cx_recorded: the actions recorded on
-- the my-queue page (collection/work.py recorded_table; empty when only the book's actions are wanted).

-- name: arm_outcomes
-- loan_id, bucket, segment, arm, strategy, agent, cured, rolled, collected, due, cost, product, region, branch:
-- each assigned account observed at the next month-end: current or paid off there (cured), worse bucket or
-- charged off (rolled), net payments and channel costs of the actions (the book's and the recorded ones not yet
-- imported) after $as_of up to the next month-end, and the amount due then (overdue at $as_of plus the instalments
-- scheduled in the next month); the loan's product, region and branch
WITH state_rank AS (
    SELECT * FROM (VALUES ('paid_off', 0), ('current', 1), ('1-30', 2), ('31-60', 3), ('61-90', 4), ('91-120', 5),
                          ('121-150', 6), ('151-180', 7), ('180+', 8), ('charged_off', 9)) t(state, r)
), nxt AS (
    SELECT p.loan_id, p.bucket, CAST(p.amount_due AS DOUBLE) AS amount_due FROM performance p
    WHERE p.as_of = last_day($as_of + INTERVAL 1 MONTH) AND p.loan_id IN (SELECT loan_id FROM cx_assigned)
), paid AS (
    SELECT loan_id, sum(CASE WHEN is_reversal THEN -abs(CAST(amount AS DOUBLE)) ELSE CAST(amount AS DOUBLE) END)
           AS collected
    FROM payments
    WHERE payment_date > $as_of AND payment_date <= last_day($as_of + INTERVAL 1 MONTH)
      AND loan_id IN (SELECT loan_id FROM cx_assigned)
    GROUP BY loan_id
), spent AS (
    SELECT a.loan_id, sum(coalesce(c.cost, 0)) AS cost
    FROM (SELECT loan_id, channel, action_date FROM collection_actions
          UNION ALL SELECT loan_id, channel, action_date FROM cx_recorded WHERE NOT imported) a
         LEFT JOIN cx_costs c USING (channel)
    WHERE a.action_date > $as_of AND a.action_date <= last_day($as_of + INTERVAL 1 MONTH)
      AND a.loan_id IN (SELECT loan_id FROM cx_assigned)
    GROUP BY a.loan_id
)
SELECT x.loan_id, x.bucket, x.segment, x.arm, x.strategy, x.agent,
       n.bucket IN ('current', 'paid_off') AS cured, rn.r > rf.r AS rolled,
       coalesce(pd.collected, 0) AS collected,
       coalesce(x.overdue_amount, 0) + coalesce(n.amount_due, 0) AS due, coalesce(s.cost, 0) AS cost,
       l.product, l.region, l.branch
FROM cx_assigned x
JOIN nxt n USING (loan_id)
JOIN state_rank rf ON rf.state = x.bucket
JOIN state_rank rn ON rn.state = n.bucket
LEFT JOIN paid pd USING (loan_id)
LEFT JOIN spent s USING (loan_id)
LEFT JOIN loans l ON l.loan_id = x.loan_id
ORDER BY x.loan_id;
