-- Summary tables built when data is published (analytics/summaries.py). Every build query covers the month-ends
-- $start..$stop and the loans the global filters select, so the same query also computes a slice on demand
-- when a store has no (or stale) summaries. Money sums stay DECIMAL, so re-summing them is exact.

-- name: fingerprint
-- what the summaries were built from: row counts and control totals of the tables they read
SELECT (SELECT count(*) FROM performance)                      AS performance_rows,
       (SELECT coalesce(sum(balance), 0) FROM performance)::VARCHAR AS performance_balance,
       (SELECT coalesce(sum(dpd), 0) FROM performance)          AS performance_dpd,
       (SELECT count(*) FILTER (WHERE restructured) FROM performance) AS performance_restructured,
       (SELECT min(as_of)::VARCHAR || '/' || max(as_of)::VARCHAR FROM performance) AS performance_months,
       (SELECT count(*) FROM loans)                            AS loans_rows,
       (SELECT coalesce(sum(principal), 0) FROM loans)::VARCHAR AS loans_principal,
       (SELECT count(*) FROM borrowers)                        AS borrowers_rows,
       (SELECT count(*) FILTER (WHERE borrower_type = 'business') FROM borrowers) AS borrowers_business,
       (SELECT count(*) FROM payments)                         AS payments_rows,
       (SELECT coalesce(sum(amount), 0) FROM payments)::VARCHAR AS payments_amount,
       (SELECT count(*) FROM dispositions)                     AS dispositions_rows,
       (SELECT coalesce(sum(amount), 0) FROM dispositions)::VARCHAR AS dispositions_amount;

-- name: build_months
-- the month-ends with performance rows
SELECT DISTINCT as_of FROM performance WHERE as_of BETWEEN $start AND $stop ORDER BY as_of;

-- name: build_buckets
-- loans and balance (DECIMAL, loans' currency) per month-end, segment and state (buckets and terminal states;
-- a terminal row's balance is the amount charged off, or 0 when paid off)
WITH source AS (
    SELECT p.as_of, l.product, l.region, l.branch, p.bucket, p.balance
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of BETWEEN $start AND $stop
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
)
SELECT as_of, product, region, branch, bucket, count(*) AS loans, sum(balance) AS balance
FROM source
GROUP BY ALL;

-- name: build_transitions
-- loans, balance at t and balance at t+1 moving from bucket i at month-end t (as_of) to state j at t+1, per
-- segment, for $start <= t <= $stop; a loan unseen at t+1 is left out. Each row is paired with the loan's next
-- row by a window (faster here than a self-join on loan_id)
WITH source AS (
    SELECT p.as_of, p.bucket, p.balance, l.product, l.region, l.branch,
           lead(p.as_of) OVER w AS next_as_of, lead(p.bucket) OVER w AS next_bucket,
           lead(p.balance) OVER w AS next_balance
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of BETWEEN $start AND last_day($stop + INTERVAL 1 MONTH)
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
    WINDOW w AS (PARTITION BY p.loan_id ORDER BY p.as_of)
), pairs AS (
    SELECT as_of, product, region, branch, bucket AS from_bucket, next_bucket AS to_bucket, balance,
           next_balance AS balance_to
    FROM source
    WHERE bucket NOT IN ('charged_off', 'paid_off') AND as_of <= $stop
      AND next_as_of = last_day(as_of + INTERVAL 1 MONTH)
)
SELECT as_of, product, region, branch, from_bucket, to_bucket, count(*) AS loans, sum(balance) AS balance,
       sum(balance_to) AS balance_to
FROM pairs
GROUP BY ALL;

-- name: build_cashflows
-- per month-end and segment: loans originated in the month and their principal, payments received (net of
-- reversals), amounts charged off and recovered (dispositions; recovered = kinds in $recovery_kinds)
WITH months AS (
    SELECT DISTINCT as_of FROM performance WHERE as_of BETWEEN $start AND $stop
), originated AS (
    SELECT last_day(l.origination_date) AS as_of, l.product, l.region, l.branch, count(*) AS new_loans,
           sum(l.principal) AS new_principal
    FROM loans l
    WHERE l.origination_date BETWEEN $start - INTERVAL 1 MONTH AND $stop
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
    GROUP BY ALL
), paid AS (
    SELECT last_day(y.payment_date) AS as_of, l.product, l.region, l.branch, sum(y.amount) AS collections
    FROM payments y JOIN loans l USING (loan_id)
    WHERE y.payment_date BETWEEN $start - INTERVAL 1 MONTH AND $stop
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
    GROUP BY ALL
), disposed AS (
    SELECT last_day(d.disposition_date) AS as_of, l.product, l.region, l.branch,
           sum(d.amount) FILTER (WHERE d.kind = 'charge_off') AS charge_offs,
           sum(d.amount) FILTER (WHERE list_contains($recovery_kinds::VARCHAR[], d.kind)) AS recoveries
    FROM dispositions d JOIN loans l USING (loan_id)
    WHERE d.disposition_date BETWEEN $start - INTERVAL 1 MONTH AND $stop
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
    GROUP BY ALL
), combined AS (
    SELECT * FROM originated UNION ALL BY NAME SELECT * FROM paid UNION ALL BY NAME SELECT * FROM disposed
)
SELECT as_of, product, region, branch,
       coalesce(sum(new_loans), 0)::BIGINT AS new_loans,
       coalesce(sum(new_principal), 0)::DECIMAL(38, 2) AS new_principal,
       coalesce(sum(collections), 0)::DECIMAL(38, 2) AS collections,
       coalesce(sum(charge_offs), 0)::DECIMAL(38, 2) AS charge_offs,
       coalesce(sum(recoveries), 0)::DECIMAL(38, 2) AS recoveries
FROM combined SEMI JOIN months USING (as_of)
GROUP BY ALL;

-- name: build_vintage
-- per origination month (cohort = its month-end), segment and the months on book (MOB, 0 = the origination
-- month) at which the loan was first more than 30 / 60 / 90 DPD or charged off, and first charged off (NULL =
-- not yet): loans and original principal (the credit limit stands in for a revolving line opened with principal
-- 0). Only cohorts originated inside the observed history.
WITH history AS (
    SELECT min(as_of) AS first, max(as_of) AS last FROM performance
), cohort AS (
    SELECT l.loan_id, last_day(l.origination_date) AS cohort, l.product, l.region, l.branch,
           coalesce(nullif(l.principal, 0), l.credit_limit, 0) AS weight
    FROM loans l, history h
    WHERE last_day(l.origination_date) BETWEEN h.first AND h.last
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), events AS (
    SELECT p.loan_id,
           min(p.as_of) FILTER (WHERE p.dpd > 30 OR p.bucket = 'charged_off') AS ever30,
           min(p.as_of) FILTER (WHERE p.dpd > 60 OR p.bucket = 'charged_off') AS ever60,
           min(p.as_of) FILTER (WHERE p.dpd > 90 OR p.bucket = 'charged_off') AS ever90,
           min(p.as_of) FILTER (WHERE p.bucket = 'charged_off')                AS charged_off
    FROM performance p SEMI JOIN cohort c USING (loan_id)
    GROUP BY p.loan_id
)
SELECT c.cohort, c.product, c.region, c.branch,
       datediff('month', c.cohort, e.ever30)::INTEGER      AS mob_ever30,
       datediff('month', c.cohort, e.ever60)::INTEGER      AS mob_ever60,
       datediff('month', c.cohort, e.ever90)::INTEGER      AS mob_ever90,
       datediff('month', c.cohort, e.charged_off)::INTEGER AS mob_charged_off,
       count(*) AS loans, sum(c.weight) AS balance
FROM cohort c LEFT JOIN events e USING (loan_id)
GROUP BY ALL;

-- name: build_closures
-- each loan's terminal row: month-end, state (charged_off / paid_off) and amount (charged off; 0 when paid off);
-- loan_key is the loan's row number (as in summary_loan_class)
SELECT l.rowid AS loan_key, p.loan_id, p.as_of, p.bucket AS state, p.balance
FROM performance p JOIN loans l USING (loan_id)
WHERE p.bucket IN ('charged_off', 'paid_off') AND p.as_of BETWEEN $start AND $stop
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch));

-- name: build_class
-- per month-end, segment, tier and stage: loans, balance (DECIMAL), EAD and ECL from summary_loan_class
SELECT l.as_of, l.product, l.region, l.branch, l.tier, l.stage, count(*) AS loans, sum(l.balance) AS balance,
       sum(l.ead) AS ead, sum(l.ecl) AS ecl
FROM summary_loan_class l
WHERE l.as_of BETWEEN $start AND $stop
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
GROUP BY ALL;

-- name: build_npl_movement
-- NPL (Substandard, Doubtful or Loss) balance movement from month-end t0 to the next month-end t1 (as_of = t1),
-- per segment, loan by loan (balances DECIMAL, loans' currency):
--   opening      balance at t0 of the loans NPL at t0
--   new_npl      balance at t1 of the loans NPL at t1 that were not NPL at t0 (including new loans)
--   upgrades     balance at t0 of the loans NPL at t0 that are open and performing at t1
--   write_offs   amount charged off at t1 (the charged_off row's balance) of the loans NPL at t0
--   collections  what else left: for loans NPL at both, balance t0 - balance t1; paid off, balance t0;
--                charged off, balance t0 - amount charged off; not observed at t1, balance t0
--   closing      balance at t1 of the loans NPL at t1
-- so opening + new_npl - upgrades - collections - write_offs = closing, exactly.
WITH history AS (                 -- only the month-ends the pairs can use (as_of zonemaps skip the rest)
    SELECT DISTINCT as_of FROM performance WHERE as_of BETWEEN last_day($start - INTERVAL 1 MONTH) AND $stop
), pairs AS (
    SELECT last_day(h.as_of - INTERVAL 1 MONTH) AS t0, h.as_of AS t1
    FROM history h SEMI JOIN history p ON p.as_of = last_day(h.as_of - INTERVAL 1 MONTH)
    WHERE h.as_of BETWEEN $start AND $stop
), opened AS (
    SELECT l.loan_key, p.t1, l.product, l.region, l.branch, l.balance AS balance0
    FROM summary_loan_class l JOIN pairs p ON l.as_of = p.t0
    WHERE l.tier IN ('substandard', 'doubtful', 'loss')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), later AS (
    SELECT l.loan_key, l.as_of AS t1, l.product, l.region, l.branch, l.balance AS balance1,
           l.tier IN ('substandard', 'doubtful', 'loss') AS npl1
    FROM summary_loan_class l SEMI JOIN pairs p ON l.as_of = p.t1
    WHERE (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), ended AS (
    SELECT c.loan_key, c.as_of AS t1, c.state AS ended, c.balance AS ended_amount
    FROM summary_closures c SEMI JOIN pairs p ON c.as_of = p.t1
), source AS (
    SELECT o.t1, o.product, o.region, o.branch, o.balance0, a.balance1, a.npl1, e.ended, e.ended_amount
    FROM opened o LEFT JOIN later a USING (loan_key, t1) LEFT JOIN ended e USING (loan_key, t1)
    UNION ALL
    SELECT a.t1, a.product, a.region, a.branch, NULL, a.balance1, a.npl1, NULL, NULL
    FROM later a ANTI JOIN opened o USING (loan_key, t1)
    WHERE a.npl1
)
SELECT t1 AS as_of, product, region, branch,
       coalesce(sum(balance0), 0)::DECIMAL(38, 2)                                          AS opening,
       coalesce(sum(balance1) FILTER (WHERE balance0 IS NULL), 0)::DECIMAL(38, 2)          AS new_npl,
       coalesce(sum(balance0) FILTER (WHERE balance0 IS NOT NULL AND NOT npl1), 0)::DECIMAL(38, 2) AS upgrades,
       coalesce(sum(CASE WHEN balance0 IS NULL THEN 0 WHEN npl1 THEN balance0 - balance1
                         WHEN balance1 IS NOT NULL THEN 0
                         WHEN ended = 'charged_off' THEN balance0 - ended_amount
                         ELSE balance0 END), 0)::DECIMAL(38, 2)                             AS collections,
       coalesce(sum(ended_amount) FILTER (WHERE balance0 IS NOT NULL AND ended = 'charged_off'), 0)
           ::DECIMAL(38, 2)                                                                 AS write_offs,
       coalesce(sum(balance1) FILTER (WHERE npl1), 0)::DECIMAL(38, 2)                      AS closing,
       count(*) FILTER (WHERE balance0 IS NULL)                                             AS new_loans,
       count(*) FILTER (WHERE balance0 IS NOT NULL AND NOT npl1)                            AS upgraded_loans,
       count(*) FILTER (WHERE balance0 IS NOT NULL AND ended = 'charged_off')               AS written_off_loans
FROM source
GROUP BY ALL;

-- ---- Portfolio explorer (issue 4; analytics/explorer.py reads these) ----------------------------------------
-- name: build_segments
-- per month-end, segment (product, region, branch) and explorer dimension the bucket summary lacks: officer,
-- cohort (origination month 'YYYY-MM') and grade (the loan's origination grade), each as (dimension, value):
-- open loans and balance (DECIMAL, loans' currency), and those more than 30 DPD (bucket 31-60 and worse)
WITH source AS (
    SELECT p.as_of, l.product, l.region, l.branch, l.officer, strftime(l.origination_date, '%Y-%m') AS cohort,
           l.grade, p.balance, p.bucket NOT IN ('current', '1-30') AS over30
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of BETWEEN $start AND $stop AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), grouped AS (
    SELECT as_of, product, region, branch,
           CASE WHEN grouping(officer) = 0 THEN 'officer' WHEN grouping(cohort) = 0 THEN 'cohort' ELSE 'grade' END
               AS dimension,
           CASE WHEN grouping(officer) = 0 THEN officer WHEN grouping(cohort) = 0 THEN cohort ELSE grade END AS value,
           count(*) AS loans, sum(balance) AS balance, count(*) FILTER (WHERE over30) AS dpd30_loans,
           coalesce(sum(balance) FILTER (WHERE over30), 0) AS dpd30_balance
    FROM source
    GROUP BY GROUPING SETS ((as_of, product, region, branch, officer), (as_of, product, region, branch, cohort),
                            (as_of, product, region, branch, grade))
)
SELECT * FROM grouped ORDER BY as_of, dimension;

-- name: build_borrower_loans
-- the loans of borrowers with more than one loan (loan_key = the loan's row number, as in summary_loan_class):
-- a borrower's exposure adds these up; every other borrower's exposure is its one loan's balance
SELECT l.rowid AS loan_key, l.loan_id, l.borrower_id
FROM loans l SEMI JOIN (SELECT borrower_id FROM loans GROUP BY borrower_id HAVING count(*) > 1) m USING (borrower_id)
ORDER BY loan_key;

-- name: build_exposures
-- per month-end and segment, what the largest borrower exposures are made of (analytics/explorer.py): for each
-- borrower with more than one loan, its open loans and balance in the segment; of the borrowers with one loan,
-- the loans with the TOP_SINGLES (100) largest balances of the segment, ties at the 100th kept. Under any filter
-- (a union of segments) a borrower's exposure adds up its rows, and the n <= 100 largest single-loan borrowers are
-- among the kept rows of their segments, so the top n from this table is exact
WITH several AS (
    SELECT borrower_id FROM loans GROUP BY borrower_id HAVING count(*) > 1
), source AS (
    SELECT p.as_of, l.product, l.region, l.branch, l.borrower_id, p.balance
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of BETWEEN $start AND $stop AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), grouped AS (
    SELECT as_of, product, region, branch, borrower_id, count(*) AS loans, sum(balance) AS balance
    FROM source SEMI JOIN several USING (borrower_id)
    GROUP BY ALL
), single AS (
    SELECT as_of, product, region, branch, borrower_id, 1::BIGINT AS loans, balance
    FROM source ANTI JOIN several USING (borrower_id)
    QUALIFY rank() OVER (PARTITION BY as_of, product, region, branch ORDER BY balance DESC) <= 100
)
SELECT e.as_of, e.product, e.region, e.branch, e.borrower_id, b.borrower_type, e.loans, e.balance
FROM (SELECT * FROM grouped UNION ALL SELECT * FROM single) e LEFT JOIN borrowers b USING (borrower_id)
ORDER BY e.as_of, e.balance DESC;

-- name: build_loan_rows
-- per loan (ordered by loan_id, so a lookup by id reads one block): the row numbers of its month-end rows,
-- payments and collection actions, and of its borrower's bureau pulls, so one loan's detail is read by row number
-- instead of scanning those tables (analytics/explorer.py loan_detail)
WITH perf AS (
    SELECT loan_id, list(rowid ORDER BY rowid) AS performance_rows FROM performance GROUP BY loan_id
), paid AS (
    SELECT loan_id, list(rowid ORDER BY rowid) AS payment_rows FROM payments GROUP BY loan_id
), acted AS (
    SELECT loan_id, list(rowid ORDER BY rowid) AS action_rows FROM collection_actions GROUP BY loan_id
), pulled AS (
    SELECT borrower_id, list(rowid ORDER BY rowid) AS bureau_rows FROM bureau GROUP BY borrower_id
)
SELECT l.loan_id, l.rowid AS loan_key, coalesce(f.performance_rows, []) AS performance_rows,
       coalesce(y.payment_rows, []) AS payment_rows, coalesce(a.action_rows, []) AS action_rows,
       coalesce(u.bureau_rows, []) AS bureau_rows
FROM loans l LEFT JOIN perf f USING (loan_id) LEFT JOIN paid y USING (loan_id) LEFT JOIN acted a USING (loan_id)
     LEFT JOIN pulled u ON u.borrower_id = l.borrower_id
ORDER BY l.loan_id;

-- name: ordered_loan_class
-- the per-loan rows of lw_rows (analytics/provisioning.py COLUMNS) with severity (the tier's place in TIERS,
-- 0 = normal) and pos (1-based place in the classification loan list's order at the row's month-end: worst tier
-- first, then largest ECL in whole cents, then loan id), ordered by month-end and pos
SELECT *, (list_position(['normal', 'special_mention', 'substandard', 'doubtful', 'loss'], tier) - 1)::TINYINT
              AS severity,
       row_number() OVER (PARTITION BY as_of
                          ORDER BY list_position(['normal', 'special_mention', 'substandard', 'doubtful', 'loss'],
                                                 tier) DESC, round(ecl, 2) DESC, loan_id) AS pos
FROM lw_rows
ORDER BY as_of, pos;
