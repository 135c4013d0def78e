-- Alerts (data/alerts.py): the model's view of an alert's loan.

-- name: alert_month
-- the month-end an alert raised on $day was evaluated against: the latest with performance data on or before it
SELECT max(as_of) AS month FROM performance WHERE as_of <= $day;

-- name: loan_score
-- the loan's batch score by the $target model at the month-end $month: version, PD and the stored reason codes,
-- largest first (NULL reasons: not among the riskiest loans explained when the book was scored)
SELECT model_version, pd, reason_1, reason_2, reason_3
FROM scores
WHERE as_of = $month AND target = $target AND loan_id = $loan_id;
