-- Statements of data/people.py: one borrower's personal data, loans and history. Values are bound
-- parameters ($name); personal data leaves here as AES-GCM tokens and is decrypted in memory only.

-- name: borrower_of_loan
-- the borrower of a loan id
SELECT borrower_id FROM loans WHERE loan_id = $key;

-- name: borrower_by_id
-- a borrower id as it is stored
SELECT borrower_id FROM borrowers WHERE borrower_id = $key;

-- name: borrower_by_national_id
-- borrowers whose national ID has this keyed blind index (never the ID itself)
SELECT borrower_id FROM borrowers WHERE national_id_hash = $hash ORDER BY borrower_id LIMIT 1;

-- name: borrower
-- one borrower: type, encrypted personal data, non-personal attributes
SELECT borrower_id, borrower_type, name_enc, national_id_enc, phone_enc, address_enc,
       gender, birth_year, region, city, monthly_income
FROM borrowers
WHERE borrower_id = $borrower_id;

-- name: loans_of_borrower
-- the borrower's loans with their latest month-end state (balance in the loan's currency)
WITH source AS (
    SELECT loan_id, product, branch, officer, origination_date, principal, currency
    FROM loans
    WHERE borrower_id = $borrower_id
), latest AS (
    SELECT p.loan_id, arg_max(p.as_of, p.as_of) AS as_of, arg_max(p.balance, p.as_of) AS balance,
           arg_max(p.dpd, p.as_of) AS dpd, arg_max(p.bucket, p.as_of) AS bucket
    FROM performance p
    JOIN source s USING (loan_id)
    GROUP BY p.loan_id
)
SELECT s.loan_id, s.product, s.branch, s.officer, s.origination_date, s.principal, s.currency,
       l.as_of, l.balance, l.dpd, l.bucket
FROM source s
LEFT JOIN latest l USING (loan_id)
ORDER BY s.origination_date, s.loan_id;

-- name: loans_by_officer
-- the borrower's loans whose officer is this staff code
SELECT loan_id FROM loans WHERE borrower_id = $borrower_id AND officer = $code ORDER BY loan_id;

-- name: loans_by_agent
-- the borrower's loans on which this collector (agent code) has taken a collection action
SELECT DISTINCT l.loan_id
FROM loans l
JOIN collection_actions a ON a.loan_id = l.loan_id
WHERE l.borrower_id = $borrower_id AND a.agent = $code
ORDER BY l.loan_id;

-- name: performance_history
-- one loan's month-end history, oldest first (money in the loan's currency)
SELECT as_of, balance, dpd, bucket, amount_due, amount_paid, overdue_amount, restructured
FROM performance
WHERE loan_id = $loan_id
ORDER BY as_of;
