-- Periodic-review scheduling (data/reviews.py) over the analytical store and the workflow store's reviews
-- (registered as the frame wf_reviews: loan_id, last_done, had_first, pending, last_triggered_due) and officers'
-- classification overrides in force (wf_overrides: loan_id, band 'high' for Substandard or worse, 'medium').

-- name: review_candidates
-- loan_id, kind, reason, due_date, reviewer, branch: the reviews the policy wants for the open loans at $month:
-- a first review (use of funds) for loans disbursed in the last 3 months without one, due $first_days after
-- disbursement by product; a periodic review by risk tier (high: more than $dpd_high DPD, an override to
-- Substandard or worse, or PD >= $pd_high; medium: more than $dpd_medium DPD, an override to Special mention, or
-- PD >= $pd_medium; low: the rest) every $months_high / $months_medium /
-- $months_low months after the last review (or disbursement), when it falls due within $lead_days; a triggered
-- review when interest is more than $trigger_dpd days overdue and no triggered review fell due in the last 90 days.
WITH book AS (
    SELECT p.loan_id, l.product, l.origination_date, l.branch, l.officer, p.dpd
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $month AND p.bucket NOT IN ('charged_off', 'paid_off')
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), hist AS (
    SELECT loan_id, max(review_date) AS last_review, bool_or(review_type = 'first') AS had_first
    FROM reviews WHERE review_date <= $month GROUP BY 1
), pds AS (
    SELECT loan_id, max(pd) AS pd FROM scores WHERE as_of = $month GROUP BY 1
), loans_now AS (
    SELECT b.*, coalesce(h.had_first, FALSE) OR coalesce(w.had_first, FALSE) AS had_first,
           greatest(b.origination_date, h.last_review, w.last_done) AS last_review,
           coalesce(w.pending, '') AS pending, w.last_triggered_due,
           CASE WHEN b.dpd > $dpd_high OR coalesce(o.band, '') = 'high' OR coalesce(s.pd, 0) >= $pd_high THEN 'high'
                WHEN b.dpd > $dpd_medium OR coalesce(o.band, '') = 'medium' OR coalesce(s.pd, 0) >= $pd_medium
                THEN 'medium'
                ELSE 'low' END AS tier
    FROM book b LEFT JOIN hist h USING (loan_id) LEFT JOIN pds s USING (loan_id)
    LEFT JOIN wf_reviews w USING (loan_id) LEFT JOIN wf_overrides o USING (loan_id)
)
SELECT loan_id, 'first' AS kind, 'policy:first' AS reason,
       CAST(origination_date + to_days(coalesce(list_extract($first_days::INTEGER[],
            list_position($first_products::VARCHAR[], product)), $first_default)) AS DATE) AS due_date,
       officer AS reviewer, branch
FROM loans_now
WHERE NOT had_first AND origination_date > $month - INTERVAL 3 MONTH AND pending NOT LIKE '%first%'
UNION ALL
SELECT loan_id, 'periodic', 'policy:' || tier,
       CAST(last_review + to_months(CASE tier WHEN 'high' THEN $months_high WHEN 'medium' THEN $months_medium
                                                ELSE $months_low END) AS DATE),
       officer, branch
FROM loans_now
WHERE pending NOT LIKE '%periodic%'
  AND last_review + to_months(CASE tier WHEN 'high' THEN $months_high WHEN 'medium' THEN $months_medium
                                        ELSE $months_low END) <= $month + to_days($lead_days)
UNION ALL
SELECT loan_id, 'triggered', 'interest_overdue', CAST($month + to_days($triggered_days) AS DATE), officer, branch
FROM loans_now
WHERE dpd > $trigger_dpd AND pending NOT LIKE '%triggered%'
  AND (last_triggered_due IS NULL OR last_triggered_due <= $month - INTERVAL 90 DAY);

-- name: loan_product
-- product, branch, officer of one loan (the review form's checklist is by product)
SELECT product, branch, officer FROM loans WHERE loan_id = $loan_id;
