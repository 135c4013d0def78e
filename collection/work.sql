-- A collector's account view (collection/work.py).

-- name: account_actions
-- action_id, loan_id, action_date, channel, agent, outcome, promise_amount, promise_date: one loan's collection
-- actions in the analytical store from $since
SELECT action_id, loan_id, action_date, channel, agent, outcome, CAST(promise_amount AS DOUBLE) AS promise_amount,
       promise_date
FROM collection_actions
WHERE loan_id = $loan AND action_date >= $since;

-- name: account_payments
-- payment_date, amount (yuan, reversals negative), channel, is_reversal: one loan's payments from $since, newest first
SELECT payment_date,
       CASE WHEN is_reversal THEN -abs(CAST(amount AS DOUBLE)) ELSE CAST(amount AS DOUBLE) END AS amount,
       channel, is_reversal
FROM payments
WHERE loan_id = $loan AND payment_date >= $since
ORDER BY payment_date DESC, payment_id DESC;

-- name: loan_borrower
-- borrower_id, locale: the borrower of one loan and their language setting
SELECT l.borrower_id, b.locale
FROM loans l LEFT JOIN borrowers b USING (borrower_id)
WHERE l.loan_id = $loan;

-- name: imported_ids
-- action_id: those of $ids (recorded actions' W-ids) already in the analytical store's collection_actions
SELECT action_id FROM collection_actions WHERE action_id = ANY($ids::VARCHAR[]);
