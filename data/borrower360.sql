-- Borrower 360 (data/borrower360.py): one loan's or one borrower's series beside data/people.sql.

-- name: alt_series
-- the alternative-data rows (account, salary, utilisation, flags) of the loan's borrower up to $as_of, oldest first
SELECT a.as_of, a.salary_deposit::DOUBLE AS salary_deposit, a.account_balance::DOUBLE AS account_balance,
       a.utilisation, a.litigation, a.negative_news, a.phone_reachable, a.address_changed
FROM alt_signals a SEMI JOIN (SELECT borrower_id FROM loans WHERE loan_id = $loan_id) l USING (borrower_id)
WHERE a.as_of <= $as_of
ORDER BY a.as_of;

-- name: score_series
-- the model scores of the loan up to $as_of: month-end, target, version, PD, grade and stored reason codes
SELECT as_of, target, model_version, pd, grade, reason_1, reason_2, reason_3
FROM scores
WHERE loan_id = $loan_id AND as_of <= $as_of
ORDER BY as_of, target;

-- name: class_history
-- the loan's five-tier classification at each month-end up to $as_of (summary_loan_class): tier, deciding rule,
-- IFRS 9 stage, PD, ECL
SELECT as_of, tier, rule, stage, pd, ecl
FROM summary_loan_class
WHERE loan_id = $loan_id AND as_of <= $as_of
ORDER BY as_of;
