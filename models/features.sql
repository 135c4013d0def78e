-- Point-in-time features of the modelling population, many observation month-ends in one pass.
-- Each population row (loan, month-end t) is joined to its own look-back rows only: performance (with the
-- payments reversed in each month) with month index mi BETWEEN t - 11 AND t, bureau and account data BETWEEN
-- t - 5 AND t, macro BETWEEN t - 3 AND t; then aggregated per (loan, t). Nothing dated after t can reach a
-- feature. Rows come unordered (sorting wide rows here cost more than the rest); features.py orders them.
-- Look-backs are fixed, so a feature means the same thing at every observation month.
-- /*CHOSEN*/, /*LOANS:x*/ and /*BORROWERS:x*/ are replaced by fixed text (models/features.py): nothing for the
-- whole book, else conditions keeping only the loans asked for (and their borrowers).

-- name: features
-- one row per loan in the population (open, not charged off, at most 90 DPD) at each month-end in $obs:
-- loan_id, as_of, then the features of models/catalog.py (numbers as FLOAT, categories as VARCHAR)
WITH obs AS (
    SELECT DISTINCT unnest($obs::DATE[]) AS as_of
), months AS (
    SELECT as_of, year(as_of) * 12 + month(as_of) AS t FROM obs
) /*CHOSEN*/, reversal_months AS (   -- payments reversed, per loan and month of the payment date
    SELECT y.loan_id, year(y.payment_date) * 12 + month(y.payment_date) AS mi, count(*) AS reversals
    FROM payments y
    WHERE y.is_reversal AND y.payment_date > $first_row AND y.payment_date <= $last_row /*LOANS:y*/
    GROUP BY ALL
), perf AS (   -- $first_row / $first_signal: 11 / 5 month-ends before the first observation
    SELECT p.loan_id, year(p.as_of) * 12 + month(p.as_of) AS mi, p.balance, p.dpd, p.bucket,
           p.amount_due AS due, p.amount_paid AS paid, p.overdue_amount AS overdue, p.credit_limit AS line,
           CASE WHEN p.credit_limit > 0 THEN (p.balance / p.credit_limit)::DECIMAL(18, 6) END AS util,
           p.restructured, coalesce(r.reversals, 0) AS reversals
    FROM performance p
    LEFT JOIN reversal_months r ON r.loan_id = p.loan_id AND r.mi = year(p.as_of) * 12 + month(p.as_of)
    WHERE p.as_of BETWEEN $first_row AND $last_row /*LOANS:p*/
), population AS (
    SELECT p.loan_id, l.borrower_id, m.as_of, m.t
    FROM perf p JOIN months m ON p.mi = m.t JOIN loans l ON l.loan_id = p.loan_id
    WHERE p.bucket NOT IN ('charged_off', 'paid_off') AND p.dpd <= 90
), perf_agg AS (   -- repayment, balance and utilisation over the 12 month-ends up to t
    SELECT x.loan_id, x.t,
           max(p.dpd) FILTER (WHERE p.mi = x.t)                                   AS dpd,
           max(p.dpd) FILTER (WHERE p.mi = x.t - 1)                               AS dpd_1m_ago,
           -- least-squares slopes over the 6 month-ends to t from exact integer / DECIMAL sums (k = month
           -- relative to t), so a parallel aggregation gives the same bits every run (regr_slope does not)
           (count(*) FILTER (WHERE p.mi >= x.t - 5) * sum((p.mi - x.t) * p.dpd) FILTER (WHERE p.mi >= x.t - 5)
             - sum(p.mi - x.t) FILTER (WHERE p.mi >= x.t - 5) * sum(p.dpd) FILTER (WHERE p.mi >= x.t - 5))
             / nullif(count(*) FILTER (WHERE p.mi >= x.t - 5)
                        * sum((p.mi - x.t) * (p.mi - x.t)) FILTER (WHERE p.mi >= x.t - 5)
                      - sum(p.mi - x.t) FILTER (WHERE p.mi >= x.t - 5) ^ 2, 0)   AS dpd_slope_6m,
           max(p.dpd) FILTER (WHERE p.mi >= x.t - 2)                              AS worst_dpd_3m,
           max(p.dpd) FILTER (WHERE p.mi >= x.t - 5)                              AS worst_dpd_6m,
           max(p.dpd)                                                             AS worst_dpd_12m,
           count(*) FILTER (WHERE p.dpd > 0)                                      AS delinquent_months_12m,
           x.t - max(p.mi) FILTER (WHERE p.dpd > 0)                               AS months_since_delinquent,
           max(p.paid) FILTER (WHERE p.mi = x.t)                                  AS paid,
           max(p.due) FILTER (WHERE p.mi = x.t)                                   AS due,
           sum(p.paid) FILTER (WHERE p.mi >= x.t - 2)                             AS paid_3m,
           sum(p.due) FILTER (WHERE p.mi >= x.t - 2)                              AS due_3m,
           sum(p.paid) FILTER (WHERE p.mi >= x.t - 5)                             AS paid_6m,
           sum(p.due) FILTER (WHERE p.mi >= x.t - 5)                              AS due_6m,
           sum(p.balance) FILTER (WHERE p.mi >= x.t - 2)                          AS balance_sum_3m,
           max(p.overdue) FILTER (WHERE p.mi = x.t)                               AS overdue,
           bool_or(p.restructured) FILTER (WHERE p.mi = x.t)                      AS restructured,
           bool_or(p.restructured)                                                AS restructured_12m,
           sum(p.reversals) FILTER (WHERE p.mi >= x.t - 5)                        AS reversals_6m,
           count(*)                                                               AS months_observed_12m,
           max(p.balance) FILTER (WHERE p.mi = x.t)                               AS balance,
           max(p.balance) FILTER (WHERE p.mi = x.t - 1)                           AS balance_1m_ago,
           max(p.balance) FILTER (WHERE p.mi = x.t - 3)                           AS balance_3m_ago,
           max(p.line) FILTER (WHERE p.mi = x.t)                                  AS line,
           max(p.util) FILTER (WHERE p.mi = x.t)                                  AS utilisation,
           max(p.util) FILTER (WHERE p.mi = x.t - 3)                              AS utilisation_3m_ago,
           max(p.util) FILTER (WHERE p.mi >= x.t - 5)                             AS utilisation_max_6m,
           (count(p.util) FILTER (WHERE p.mi >= x.t - 5) * sum((p.mi - x.t) * p.util) FILTER (WHERE p.mi >= x.t - 5)
             - sum(CASE WHEN p.util IS NOT NULL THEN p.mi - x.t END) FILTER (WHERE p.mi >= x.t - 5)
               * sum(p.util) FILTER (WHERE p.mi >= x.t - 5))
             / nullif(count(p.util) FILTER (WHERE p.mi >= x.t - 5)
                        * sum(CASE WHEN p.util IS NOT NULL THEN (p.mi - x.t) * (p.mi - x.t) END)
                          FILTER (WHERE p.mi >= x.t - 5)
                      - sum(CASE WHEN p.util IS NOT NULL THEN p.mi - x.t END) FILTER (WHERE p.mi >= x.t - 5) ^ 2, 0)
                                                                                  AS utilisation_slope_6m
    FROM population x JOIN perf p ON p.loan_id = x.loan_id AND p.mi BETWEEN x.t - 11 AND x.t
    GROUP BY x.loan_id, x.t
), borrower_months AS (
    SELECT DISTINCT borrower_id, t FROM population
), bureau_agg AS (   -- the latest bureau pull within 6 months of t, and its change
    SELECT x.borrower_id, x.t,
           arg_max(b.score, b.mi)                                                 AS score,
           arg_max(b.score, b.mi) - arg_max(b.score, b.mi) FILTER (WHERE b.mi <= x.t - 3) AS score_change_3m,
           arg_max(b.score, b.mi) - max(b.score)                                  AS score_below_max_6m,
           arg_max(b.inquiries_30d, b.mi)                                         AS inquiries,
           sum(b.inquiries_30d) FILTER (WHERE b.mi >= x.t - 2)                    AS inquiries_3m,
           arg_max(b.delinquencies_elsewhere, b.mi)                               AS dl,
           arg_max(b.delinquencies_elsewhere, b.mi)
               - arg_max(b.delinquencies_elsewhere, b.mi) FILTER (WHERE b.mi <= x.t - 3) AS dl_change_3m,
           arg_max(b.total_debt::DOUBLE, b.mi)                                    AS debt,
           arg_max(b.total_debt::DOUBLE, b.mi)
               / nullif(arg_max(b.total_debt::DOUBLE, b.mi) FILTER (WHERE b.mi <= x.t - 3), 0) AS debt_ratio_3m,
           x.t - max(b.mi)                                                        AS age_months
    FROM borrower_months x
    JOIN (SELECT bb.*, year(bb.as_of) * 12 + month(bb.as_of) AS mi FROM bureau bb
          WHERE bb.as_of BETWEEN $first_signal AND $last_row /*BORROWERS:bb*/) b
      ON b.borrower_id = x.borrower_id AND b.mi BETWEEN x.t - 5 AND x.t
    GROUP BY x.borrower_id, x.t
), alt_agg AS (   -- account behaviour and other signals within 6 months of t
    SELECT x.borrower_id, x.t,
           arg_max(a.salary_deposit::DOUBLE, a.mi)                                AS salary,
           count(*) FILTER (WHERE a.mi >= x.t - 2 AND a.salary_deposit > 0)       AS salary_months_3m,
           avg(a.salary_deposit) FILTER (WHERE a.mi >= x.t - 2)                   AS salary_avg_3m,
           arg_max(a.salary_deposit, a.mi) = 0
               AND max(a.salary_deposit) FILTER (WHERE a.mi BETWEEN x.t - 3 AND x.t - 1) > 0 AS salary_stopped,
           arg_max(a.account_balance::DOUBLE, a.mi)                               AS deposits,
           arg_max(a.account_balance::DOUBLE, a.mi)
               / nullif(arg_max(a.account_balance::DOUBLE, a.mi) FILTER (WHERE a.mi <= x.t - 3), 0)
                                                                                  AS deposits_ratio_3m,
           arg_max(a.utilisation, a.mi)                                           AS utilisation,
           arg_max(a.utilisation, a.mi) - arg_max(a.utilisation, a.mi) FILTER (WHERE a.mi <= x.t - 3)
                                                                                  AS utilisation_change_3m,
           arg_max(a.litigation, a.mi)                                            AS litigation,
           bool_or(a.negative_news)                                               AS negative_news_6m,
           bool_or(a.address_changed)                                             AS address_changed_6m,
           count(*) FILTER (WHERE a.mi >= x.t - 2 AND NOT a.phone_reachable)      AS unreachable_months_3m
    FROM borrower_months x
    JOIN (SELECT aa.*, year(aa.as_of) * 12 + month(aa.as_of) AS mi FROM alt_signals aa
          WHERE aa.as_of BETWEEN $first_signal AND $last_row /*BORROWERS:aa*/) a
      ON a.borrower_id = x.borrower_id AND a.mi BETWEEN x.t - 5 AND x.t
    GROUP BY x.borrower_id, x.t
), macro_agg AS (
    SELECT m.t, max(g.macro_index) FILTER (WHERE g.mi = m.t) AS macro_index,
           max(g.macro_index) FILTER (WHERE g.mi = m.t) - max(g.macro_index) FILTER (WHERE g.mi = m.t - 3)
               AS macro_change_3m
    FROM months m JOIN (SELECT macro_index, year(as_of) * 12 + month(as_of) AS mi FROM macro) g
      ON g.mi BETWEEN m.t - 3 AND m.t
    GROUP BY m.t
)
SELECT x.loan_id, x.as_of,
       -- loan and borrower (attributes at origination)
       l.product, l.grade, l.collateral_type, l.region, o.borrower_type, o.education, o.marital_status,
       l.annual_rate::FLOAT                                                   AS annual_rate,
       l.term_months::FLOAT                                                   AS term_months,
       (x.t - year(l.origination_date) * 12 - month(l.origination_date))::FLOAT AS months_on_book,
       (l.term_months - (x.t - year(l.origination_date) * 12 - month(l.origination_date)))::FLOAT AS months_remaining,
       l.principal::FLOAT                                                     AS principal,
       coalesce(f.line, l.credit_limit::DOUBLE, l.principal::DOUBLE)::FLOAT   AS credit_line,
       (year(x.as_of) - o.birth_year)::FLOAT                                  AS borrower_age,
       o.monthly_income::FLOAT                                                AS monthly_income,
       (l.instalment::DOUBLE / nullif(o.monthly_income::DOUBLE, 0))::FLOAT    AS instalment_to_income,
       (f.balance / nullif(l.collateral_value::DOUBLE, 0))::FLOAT             AS loan_to_value,
       -- repayment behaviour
       f.dpd::FLOAT                                                           AS dpd,
       (f.dpd - f.dpd_1m_ago)::FLOAT                                          AS dpd_change_1m,
       f.dpd_slope_6m::FLOAT                                                  AS dpd_slope_6m,
       f.worst_dpd_3m::FLOAT                                                  AS worst_dpd_3m,
       f.worst_dpd_6m::FLOAT                                                  AS worst_dpd_6m,
       f.worst_dpd_12m::FLOAT                                                 AS worst_dpd_12m,
       f.delinquent_months_12m::FLOAT                                         AS delinquent_months_12m,
       f.months_since_delinquent::FLOAT                                       AS months_since_delinquent,
       (f.paid / nullif(f.due, 0))::FLOAT                                     AS pay_to_due_1m,
       (f.paid_3m / nullif(f.due_3m, 0))::FLOAT                               AS pay_to_due_3m,
       (f.paid_6m / nullif(f.due_6m, 0))::FLOAT                               AS pay_to_due_6m,
       (f.paid / nullif(f.balance_1m_ago, 0))::FLOAT                          AS paid_to_balance_1m,
       (f.paid_3m / nullif(f.balance_sum_3m, 0))::FLOAT                       AS paid_to_balance_3m,
       (f.overdue / nullif(f.balance, 0))::FLOAT                              AS overdue_to_balance,
       f.reversals_6m::FLOAT                                                  AS reversals_6m,
       f.restructured::FLOAT                                                  AS restructured,
       f.restructured_12m::FLOAT                                              AS restructured_12m,
       f.months_observed_12m::FLOAT                                           AS months_observed_12m,
       -- balance and utilisation
       f.balance::FLOAT                                                       AS balance,
       (f.balance / nullif(l.principal::DOUBLE, 0))::FLOAT                    AS balance_to_principal,
       (f.balance / nullif(f.balance_1m_ago, 0))::FLOAT                       AS balance_ratio_1m,
       (f.balance / nullif(f.balance_3m_ago, 0))::FLOAT                       AS balance_ratio_3m,
       f.utilisation::FLOAT                                                   AS utilisation,
       (f.utilisation - f.utilisation_3m_ago)::FLOAT                          AS utilisation_change_3m,
       f.utilisation_max_6m::FLOAT                                            AS utilisation_max_6m,
       f.utilisation_slope_6m::FLOAT                                          AS utilisation_slope_6m,
       -- credit bureau
       b.score::FLOAT                                                         AS bureau_score,
       b.score_change_3m::FLOAT                                               AS bureau_score_change_3m,
       b.score_below_max_6m::FLOAT                                            AS bureau_score_below_max_6m,
       b.inquiries::FLOAT                                                     AS bureau_inquiries_30d,
       b.inquiries_3m::FLOAT                                                  AS bureau_inquiries_3m,
       b.dl::FLOAT                                                            AS bureau_delinquencies,
       b.dl_change_3m::FLOAT                                                  AS bureau_delinquencies_change_3m,
       (b.debt / nullif(12 * o.monthly_income::DOUBLE, 0))::FLOAT             AS bureau_debt_to_income,
       b.debt_ratio_3m::FLOAT                                                 AS bureau_debt_ratio_3m,
       b.age_months::FLOAT                                                    AS bureau_age_months,
       -- account behaviour and other signals
       a.salary::FLOAT                                                        AS salary_deposit,
       a.salary_months_3m::FLOAT                                              AS salary_months_3m,
       (a.salary_avg_3m / nullif(o.monthly_income::DOUBLE, 0))::FLOAT         AS salary_to_income_3m,
       a.salary_stopped::FLOAT                                                AS salary_stopped,
       (a.deposits / nullif(o.monthly_income::DOUBLE, 0))::FLOAT              AS deposits_to_income,
       a.deposits_ratio_3m::FLOAT                                             AS deposits_ratio_3m,
       a.utilisation::FLOAT                                                   AS ext_utilisation,
       a.utilisation_change_3m::FLOAT                                         AS ext_utilisation_change_3m,
       a.litigation::FLOAT                                                    AS litigation,
       a.negative_news_6m::FLOAT                                              AS negative_news_6m,
       a.unreachable_months_3m::FLOAT                                         AS unreachable_months_3m,
       a.address_changed_6m::FLOAT                                            AS address_changed_6m,
       -- economy
       g.macro_index::FLOAT                                                   AS macro_index,
       g.macro_change_3m::FLOAT                                               AS macro_change_3m
FROM population x
JOIN perf_agg f ON f.loan_id = x.loan_id AND f.t = x.t
JOIN loans l ON l.loan_id = x.loan_id
JOIN borrowers o ON o.borrower_id = x.borrower_id
LEFT JOIN bureau_agg b ON b.borrower_id = x.borrower_id AND b.t = x.t
LEFT JOIN alt_agg a ON a.borrower_id = x.borrower_id AND a.t = x.t
LEFT JOIN macro_agg g ON g.t = x.t
