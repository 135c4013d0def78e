-- Batch scores of the models (table scores, data/schema.sql): one row per loan, month-end and target.

-- name: latest_month
-- the last month-end with performance data (NULL when there is none)
SELECT max(as_of) AS as_of FROM performance

-- name: has_month
-- whether month-end $as_of has performance data (1 row: found)
SELECT count(*) > 0 AS found FROM (SELECT 1 FROM performance WHERE as_of = $as_of LIMIT 1)

-- name: delete_scores
-- replaces a target's scores of a month-end: the earlier run's rows go first
DELETE FROM scores WHERE as_of = $as_of AND target = $target

-- name: insert_scores
-- the new rows, from the registered Arrow table new_scores (same columns as scores)
INSERT INTO scores (loan_id, as_of, target, model_version, pd, grade, reason_1, reason_2, reason_3)
SELECT loan_id, as_of, target, model_version, pd, grade, reason_1, reason_2, reason_3 FROM new_scores

-- name: score_summary
-- per grade of one target's scores at a month-end: loans, mean PD
SELECT grade, count(*) AS loans, avg(pd) AS mean_pd FROM scores
WHERE as_of = $as_of AND target = $target GROUP BY grade ORDER BY grade

-- name: scores_contracts
-- the data contracts of the scores table (the other tables are copied unchanged from a checked generation):
-- rows breaking each one (0 when it may be published)
SELECT
    (SELECT count(*) FROM (SELECT 1 FROM scores GROUP BY loan_id, as_of, target HAVING count(*) > 1)) AS duplicate_keys,
    (SELECT count(*) FROM scores WHERE loan_id IS NULL OR as_of IS NULL OR target IS NULL)           AS null_keys,
    (SELECT count(*) FROM scores s ANTI JOIN loans l ON s.loan_id = l.loan_id)                       AS unknown_loans,
    (SELECT count(*) FROM scores WHERE as_of <> last_day(as_of))                                     AS not_month_ends
