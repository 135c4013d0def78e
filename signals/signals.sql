-- Early-warning signals: one named query per signal (signals/catalog.py), all open loans at once.
-- Parameters: $month the month-end of the book rows; $as_of the evaluation date ($month in the daily run,
-- the event's date for an event); $loan_ids only these loans (empty: all); the shared filters; and the
-- signal's own settings. Each returns loan_id, branch, officer and the evidence that fired it.

-- name: first_missed_payment
-- loan_id, branch, officer, dpd, prev_dpd, overdue_amount: overdue now, current (or not observed) at the month-end before
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
),
prev AS (
    SELECT loan_id, dpd FROM performance WHERE as_of = last_day($month - INTERVAL 1 MONTH)
)
SELECT b.loan_id, b.branch, b.officer, b.dpd, coalesce(pr.dpd, 0) AS prev_dpd,
       CAST(b.overdue_amount AS DOUBLE) AS overdue_amount
FROM book b LEFT JOIN prev pr USING (loan_id)
WHERE b.dpd >= $min_dpd AND coalesce(pr.dpd, 0) = 0;

-- name: partial_payment
-- loan_id, branch, officer, amount_due, amount_paid: paid in the month up to $as_of more than 0 but below $share of the instalments due in it (net of reversals; yuan)
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
),
due AS (
    SELECT s.loan_id, sum(s.principal_due + s.interest_due + s.fee_due) AS due
    FROM schedules s
    WHERE s.loan_id IN (SELECT loan_id FROM book)
      AND s.due_date > last_day($as_of - INTERVAL 1 MONTH) AND s.due_date <= $as_of
    GROUP BY 1
), paid AS (
    SELECT p.loan_id, sum(p.amount) AS paid
    FROM payments p
    WHERE p.loan_id IN (SELECT loan_id FROM book)
      AND p.payment_date > last_day($as_of - INTERVAL 1 MONTH) AND p.payment_date <= $as_of
    GROUP BY 1
)
SELECT b.loan_id, b.branch, b.officer, CAST(d.due AS DOUBLE) AS amount_due, CAST(pd.paid AS DOUBLE) AS amount_paid
FROM book b JOIN due d USING (loan_id) JOIN paid pd USING (loan_id)
WHERE pd.paid > 0 AND pd.paid < round($share * d.due, 2);  -- compared to the cent

-- name: payment_reversed
-- loan_id, branch, officer, reversals, reversed_amount, last_reversal: reversals dated in the month up to $as_of (amount in yuan, positive)
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
)
SELECT b.loan_id, b.branch, b.officer, count(*) AS reversals, CAST(-sum(p.amount) AS DOUBLE) AS reversed_amount,
       max(p.payment_date) AS last_reversal
FROM book b JOIN payments p USING (loan_id)
WHERE p.is_reversal AND p.payment_date > last_day($as_of - INTERVAL 1 MONTH) AND p.payment_date <= $as_of
GROUP BY ALL;

-- name: dpd_rising
-- loan_id, branch, officer, dpd_2m_ago, dpd_1m_ago, dpd: DPD higher at each of the last two month-ends than at the one before
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
),
hist AS (
    SELECT loan_id, as_of, dpd FROM performance
    WHERE as_of IN (last_day($month - INTERVAL 1 MONTH), last_day($month - INTERVAL 2 MONTH))
      AND loan_id IN (SELECT loan_id FROM book)
)
SELECT b.loan_id, b.branch, b.officer, m2.dpd AS dpd_2m_ago, m1.dpd AS dpd_1m_ago, b.dpd
FROM book b
JOIN hist m1 ON m1.loan_id = b.loan_id AND m1.as_of = last_day($month - INTERVAL 1 MONTH)
JOIN hist m2 ON m2.loan_id = b.loan_id AND m2.as_of = last_day($month - INTERVAL 2 MONTH)
WHERE b.dpd > m1.dpd AND m1.dpd > m2.dpd;

-- name: bureau_score_drop
-- loan_id, branch, officer, score_before, score_now, score_drop: the newest score at least $points below the highest of the pulls in the $months months before it
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
),
bur AS (        -- the borrowers' bureau pulls in the window
    SELECT bu.borrower_id, bu.as_of, bu.score, bu.inquiries_30d, bu.delinquencies_elsewhere
    FROM bureau bu
    WHERE bu.borrower_id IN (SELECT borrower_id FROM book)
      AND bu.as_of > $as_of - to_months($months + 1) AND bu.as_of <= $as_of
), latest AS (  -- the newest pull, if it is from the last month
    SELECT borrower_id, max(as_of) AS pulled_on, arg_max(score, as_of) AS score, arg_max(inquiries_30d, as_of) AS inquiries,
           arg_max(delinquencies_elsewhere, as_of) AS dl
    FROM bur GROUP BY 1 HAVING max(as_of) > last_day($as_of - INTERVAL 1 MONTH)
),
peak AS (
    SELECT r.borrower_id, max(r.score) AS peak
    FROM bur r JOIN latest n USING (borrower_id)
    WHERE r.as_of < n.pulled_on AND r.as_of >= n.pulled_on - to_months($months)
    GROUP BY 1
)
SELECT b.loan_id, b.branch, b.officer, p.peak AS score_before, n.score AS score_now, p.peak - n.score AS score_drop
FROM book b JOIN latest n USING (borrower_id) JOIN peak p USING (borrower_id)
WHERE p.peak - n.score >= $points;

-- name: credit_inquiries
-- loan_id, branch, officer, inquiries_30d: the newest pull counts at least $min_inquiries inquiries in 30 days
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
),
bur AS (        -- the borrowers' bureau pulls in the window
    SELECT bu.borrower_id, bu.as_of, bu.score, bu.inquiries_30d, bu.delinquencies_elsewhere
    FROM bureau bu
    WHERE bu.borrower_id IN (SELECT borrower_id FROM book)
      AND bu.as_of > $as_of - to_months(1) AND bu.as_of <= $as_of
), latest AS (  -- the newest pull, if it is from the last month
    SELECT borrower_id, max(as_of) AS pulled_on, arg_max(score, as_of) AS score, arg_max(inquiries_30d, as_of) AS inquiries,
           arg_max(delinquencies_elsewhere, as_of) AS dl
    FROM bur GROUP BY 1 HAVING max(as_of) > last_day($as_of - INTERVAL 1 MONTH)
)
SELECT b.loan_id, b.branch, b.officer, n.inquiries AS inquiries_30d
FROM book b JOIN latest n USING (borrower_id)
WHERE n.inquiries >= $min_inquiries;

-- name: delinquency_elsewhere
-- loan_id, branch, officer, delinquencies_before, delinquencies_now: more delinquencies at other lenders in the newest pull than in the pull before it (within 3 months)
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
),
bur AS (        -- the borrowers' bureau pulls in the window
    SELECT bu.borrower_id, bu.as_of, bu.score, bu.inquiries_30d, bu.delinquencies_elsewhere
    FROM bureau bu
    WHERE bu.borrower_id IN (SELECT borrower_id FROM book)
      AND bu.as_of > $as_of - to_months(4) AND bu.as_of <= $as_of
), latest AS (  -- the newest pull, if it is from the last month
    SELECT borrower_id, max(as_of) AS pulled_on, arg_max(score, as_of) AS score, arg_max(inquiries_30d, as_of) AS inquiries,
           arg_max(delinquencies_elsewhere, as_of) AS dl
    FROM bur GROUP BY 1 HAVING max(as_of) > last_day($as_of - INTERVAL 1 MONTH)
),
prev AS (
    SELECT r.borrower_id, arg_max(r.delinquencies_elsewhere, r.as_of) AS dl
    FROM bur r JOIN latest n USING (borrower_id)
    WHERE r.as_of < n.pulled_on GROUP BY 1
)
SELECT b.loan_id, b.branch, b.officer, p.dl AS delinquencies_before, n.dl AS delinquencies_now
FROM book b JOIN latest n USING (borrower_id) JOIN prev p USING (borrower_id)
WHERE n.dl > p.dl;

-- name: salary_stopped
-- loan_id, branch, officer, last_salary, months_without: no salary (0 or none) in the newest $months month-ends, a salary in the one before them (yuan)
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
),
alt AS (        -- the borrowers' account and external data, newest first (rn = 1 is the newest)
    SELECT a.*, row_number() OVER (PARTITION BY a.borrower_id ORDER BY a.as_of DESC) AS rn,
           max(a.as_of) OVER (PARTITION BY a.borrower_id) AS newest
    FROM alt_signals a
    WHERE a.borrower_id IN (SELECT borrower_id FROM book)
      AND a.as_of > $as_of - to_months($months + 2) AND a.as_of <= $as_of
), latest AS (
    SELECT * FROM alt WHERE rn = 1 AND as_of > last_day($as_of - INTERVAL 1 MONTH)
),
runs AS (
    SELECT a.borrower_id,
           count(*) FILTER (WHERE a.rn <= $months AND coalesce(a.salary_deposit, 0) = 0) AS months_without,
           max(a.salary_deposit) FILTER (WHERE a.rn = $months + 1) AS last_salary
    FROM alt a WHERE a.borrower_id IN (SELECT borrower_id FROM latest)
    GROUP BY 1
)
SELECT b.loan_id, b.branch, b.officer, CAST(r.last_salary AS DOUBLE) AS last_salary, r.months_without
FROM book b JOIN runs r USING (borrower_id)
WHERE r.months_without = $months AND r.last_salary > 0;

-- name: balance_drain
-- loan_id, branch, officer, balance_before, balance_now, drained_share: the newest deposit balance more than $share below the highest of the $months month-ends before it (at least $min_balance yuan)
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
),
alt AS (        -- the borrowers' account and external data, newest first (rn = 1 is the newest)
    SELECT a.*, row_number() OVER (PARTITION BY a.borrower_id ORDER BY a.as_of DESC) AS rn,
           max(a.as_of) OVER (PARTITION BY a.borrower_id) AS newest
    FROM alt_signals a
    WHERE a.borrower_id IN (SELECT borrower_id FROM book)
      AND a.as_of > $as_of - to_months($months + 1) AND a.as_of <= $as_of
), latest AS (
    SELECT * FROM alt WHERE rn = 1 AND as_of > last_day($as_of - INTERVAL 1 MONTH)
),
peak AS (
    SELECT a.borrower_id, max(a.account_balance) AS peak
    FROM alt a WHERE a.rn BETWEEN 2 AND $months + 1 GROUP BY 1
)
SELECT b.loan_id, b.branch, b.officer, CAST(p.peak AS DOUBLE) AS balance_before,
       CAST(n.account_balance AS DOUBLE) AS balance_now,
       round(1 - CAST(n.account_balance AS DOUBLE) / CAST(p.peak AS DOUBLE), 4) AS drained_share
FROM book b JOIN latest n USING (borrower_id) JOIN peak p USING (borrower_id)
WHERE p.peak >= $min_balance AND n.account_balance < round((1 - $share) * p.peak, 2);  -- compared to the cent

-- name: utilisation_high
-- loan_id, branch, officer, utilisation: newest revolving utilisation above $threshold (share of the limit)
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
),
alt AS (        -- the borrowers' account and external data, newest first (rn = 1 is the newest)
    SELECT a.*, row_number() OVER (PARTITION BY a.borrower_id ORDER BY a.as_of DESC) AS rn,
           max(a.as_of) OVER (PARTITION BY a.borrower_id) AS newest
    FROM alt_signals a
    WHERE a.borrower_id IN (SELECT borrower_id FROM book)
      AND a.as_of > $as_of - to_months(1) AND a.as_of <= $as_of
), latest AS (
    SELECT * FROM alt WHERE rn = 1 AND as_of > last_day($as_of - INTERVAL 1 MONTH)
)
SELECT b.loan_id, b.branch, b.officer, n.utilisation
FROM book b JOIN latest n USING (borrower_id)
WHERE n.utilisation > $threshold;

-- name: litigation
-- loan_id, branch, officer, flagged_at: litigation or enforcement flag in the newest data, not in the data before it
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
),
alt AS (        -- the borrowers' account and external data, newest first (rn = 1 is the newest)
    SELECT a.*, row_number() OVER (PARTITION BY a.borrower_id ORDER BY a.as_of DESC) AS rn,
           max(a.as_of) OVER (PARTITION BY a.borrower_id) AS newest
    FROM alt_signals a
    WHERE a.borrower_id IN (SELECT borrower_id FROM book)
      AND a.as_of > $as_of - to_months(3) AND a.as_of <= $as_of
), latest AS (
    SELECT * FROM alt WHERE rn = 1 AND as_of > last_day($as_of - INTERVAL 1 MONTH)
)
SELECT b.loan_id, b.branch, b.officer, n.as_of AS flagged_at
FROM book b JOIN latest n USING (borrower_id)
LEFT JOIN alt p ON p.borrower_id = n.borrower_id AND p.rn = 2
WHERE n.litigation AND NOT coalesce(p.litigation, FALSE);

-- name: negative_news
-- loan_id, branch, officer, reported_at: negative news in the newest data
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
),
alt AS (        -- the borrowers' account and external data, newest first (rn = 1 is the newest)
    SELECT a.*, row_number() OVER (PARTITION BY a.borrower_id ORDER BY a.as_of DESC) AS rn,
           max(a.as_of) OVER (PARTITION BY a.borrower_id) AS newest
    FROM alt_signals a
    WHERE a.borrower_id IN (SELECT borrower_id FROM book)
      AND a.as_of > $as_of - to_months(1) AND a.as_of <= $as_of
), latest AS (
    SELECT * FROM alt WHERE rn = 1 AND as_of > last_day($as_of - INTERVAL 1 MONTH)
)
SELECT b.loan_id, b.branch, b.officer, n.as_of AS reported_at
FROM book b JOIN latest n USING (borrower_id)
WHERE n.negative_news;

-- name: address_changed
-- loan_id, branch, officer, reported_at: change of address in the newest data
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
),
alt AS (        -- the borrowers' account and external data, newest first (rn = 1 is the newest)
    SELECT a.*, row_number() OVER (PARTITION BY a.borrower_id ORDER BY a.as_of DESC) AS rn,
           max(a.as_of) OVER (PARTITION BY a.borrower_id) AS newest
    FROM alt_signals a
    WHERE a.borrower_id IN (SELECT borrower_id FROM book)
      AND a.as_of > $as_of - to_months(1) AND a.as_of <= $as_of
), latest AS (
    SELECT * FROM alt WHERE rn = 1 AND as_of > last_day($as_of - INTERVAL 1 MONTH)
)
SELECT b.loan_id, b.branch, b.officer, n.as_of AS reported_at
FROM book b JOIN latest n USING (borrower_id)
WHERE n.address_changed;

-- name: phone_unreachable
-- loan_id, branch, officer, failed_attempts, last_attempt: at least $attempts failed contact attempts (calls and visits not reaching the borrower, contact-feed checks) in the last $days days, all after the last successful contact
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
),
attempts AS (
    SELECT c.loan_id, c.action_date AS tried_on, c.outcome IN ('no_answer', 'wrong_number') AS failed
    FROM collection_actions c
    WHERE c.loan_id IN (SELECT loan_id FROM book)
      AND c.channel IN ('robo_call', 'agent_call', 'field_visit')
      AND c.action_date > $as_of - to_days($days) AND c.action_date <= $as_of
    UNION ALL
    SELECT b.loan_id, a.as_of, TRUE                -- the feed only says unreachable; reachable is not a contact
    FROM alt_signals a JOIN book b USING (borrower_id)
    WHERE NOT a.phone_reachable AND a.as_of > $as_of - to_days($days) AND a.as_of <= $as_of
), since AS (
    SELECT loan_id, max(tried_on) FILTER (WHERE NOT failed) AS contacted_at FROM attempts GROUP BY 1
)
SELECT b.loan_id, b.branch, b.officer, count(*) AS failed_attempts, max(a.tried_on) AS last_attempt
FROM book b JOIN attempts a USING (loan_id) JOIN since s USING (loan_id)
WHERE a.failed AND (s.contacted_at IS NULL OR a.tried_on > s.contacted_at)
GROUP BY ALL
HAVING count(*) >= $attempts;

-- name: ew_model_pd
-- loan_id, branch, officer, pd, prev_pd, model_version, reason_1..3: the $target champion's PD at the month-end at least $threshold, or at least $multiple times a previous PD of at least $min_prev
WITH book AS (        -- open loans at the month-end, within the filters (and the event's loans)
    SELECT p.loan_id, l.borrower_id, l.branch, l.officer, p.dpd, p.overdue_amount
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($loan_ids::VARCHAR[]) = 0 OR list_contains($loan_ids::VARCHAR[], p.loan_id))
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
),
sc AS (
    SELECT loan_id, as_of, pd, model_version, reason_1, reason_2, reason_3 FROM scores
    WHERE target = $target AND as_of IN ($month, last_day($month - INTERVAL 1 MONTH))
      AND loan_id IN (SELECT loan_id FROM book)
)
SELECT b.loan_id, b.branch, b.officer, n.pd, p.pd AS prev_pd, n.model_version, n.reason_1, n.reason_2, n.reason_3
FROM book b
JOIN sc n ON n.loan_id = b.loan_id AND n.as_of = $month
LEFT JOIN sc p ON p.loan_id = b.loan_id AND p.as_of = last_day($month - INTERVAL 1 MONTH)
WHERE n.pd >= $threshold OR (p.pd >= $min_prev AND n.pd >= $multiple * p.pd);
