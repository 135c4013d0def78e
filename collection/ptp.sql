-- Promises to pay (collection/ptp.py): collection actions with outcome promise_to_pay, judged on payments.
-- cx_recorded: the actions recorded in the workflow store (collection/work.py recorded_table).

-- name: promises
-- action_id, loan_id, agent, channel, made_on, promise_date, deadline, promised, paid: every promise made from $start
-- to $as_of, with the net payments in its window (made_on .. promise_date + $grace days, and not after $as_of).
-- A payment reversed by a reversal known at $as_of counts nothing, whenever the reversal came; a reversal that
-- names no payment subtracts when it falls inside the window. (Payments before $start are in no window, and
-- their reversals name payments in no window, so neither is read.)
WITH p AS (
    SELECT a.action_id, a.loan_id, a.agent, a.channel, a.action_date AS made_on, a.promise_date,
           CAST(a.promise_date + CAST($grace AS INTEGER) AS DATE) AS deadline,
           CAST(a.promise_amount AS DOUBLE) AS promised
    FROM (SELECT action_id, loan_id, agent, channel, action_date, promise_date, promise_amount, outcome
          FROM collection_actions
          WHERE $book
          UNION ALL                -- promises recorded on the my-queue page (workflow store, collection/work.py),
          SELECT action_id, loan_id, agent, channel, action_date, promise_date, promise_amount, outcome
          FROM cx_recorded         -- those already imported counted once, as the imported row
          WHERE NOT imported) a
    WHERE a.outcome = 'promise_to_pay' AND a.action_date BETWEEN $start AND $as_of
      AND (CAST($loan AS VARCHAR) IS NULL OR a.loan_id = $loan)      -- one loan, or the whole book
), x AS (
    SELECT y.payment_id, y.loan_id, y.payment_date, y.is_reversal, y.reverses_payment_id,
           CASE WHEN y.is_reversal THEN -abs(CAST(y.amount AS DOUBLE)) ELSE CAST(y.amount AS DOUBLE) END AS amount
    FROM payments y
    WHERE y.payment_date BETWEEN $start AND $as_of AND y.loan_id IN (SELECT loan_id FROM p)
), reversed AS (
    SELECT DISTINCT reverses_payment_id AS payment_id FROM x WHERE is_reversal AND reverses_payment_id IS NOT NULL
), counted AS (
    SELECT x.* FROM x
    WHERE (NOT x.is_reversal AND x.payment_id NOT IN (SELECT payment_id FROM reversed))
       OR (x.is_reversal AND x.reverses_payment_id IS NULL)
)
SELECT p.action_id, p.loan_id, p.agent, p.channel, p.made_on, p.promise_date, p.deadline, p.promised,
       coalesce(sum(c.amount), 0) AS paid
FROM p LEFT JOIN counted c
  ON c.loan_id = p.loan_id AND c.payment_date BETWEEN p.made_on AND least(p.deadline, $as_of)
GROUP BY ALL
ORDER BY p.made_on, p.action_id;
