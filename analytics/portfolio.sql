-- name: available_months
-- month-ends that have performance rows, ascending
SELECT DISTINCT as_of FROM performance ORDER BY as_of;

-- name: book_summary
-- open loans and balances at one month-end; balance in the loans' currency
WITH source AS (
    SELECT p.loan_id, p.balance, p.dpd, p.bucket, l.currency
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $as_of
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
), open_loans AS (
    SELECT * FROM source WHERE bucket NOT IN ('charged_off', 'paid_off')
)
SELECT
    count(*)                                            AS open_loans,
    coalesce(sum(balance), 0)::DOUBLE                   AS outstanding_balance,
    coalesce(sum(balance) FILTER (WHERE dpd > 30), 0)::DOUBLE AS delinquent_30_balance,
    coalesce(sum(balance) FILTER (WHERE dpd > 90), 0)::DOUBLE AS delinquent_90_balance,
    count(*) FILTER (WHERE dpd > 30)                    AS delinquent_30_loans,
    count(*) FILTER (WHERE dpd > 90)                    AS delinquent_90_loans,
    string_agg(DISTINCT currency, ',' ORDER BY currency) AS currency
FROM open_loans;

-- name: balance_by_product
-- open loans and balance by product at one month-end
SELECT l.product, count(*) AS loans, sum(p.balance)::DOUBLE AS balance
FROM performance p JOIN loans l USING (loan_id)
WHERE p.as_of = $as_of AND p.bucket NOT IN ('charged_off', 'paid_off')
  AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
GROUP BY l.product
ORDER BY balance DESC;

-- name: filter_options
-- the distinct products, regions and branches of the loans (choices of the global filters), sorted
SELECT 'products' AS dimension, product AS value FROM loans WHERE product IS NOT NULL
UNION SELECT 'regions', region FROM loans WHERE region IS NOT NULL
UNION SELECT 'branches', branch FROM loans WHERE branch IS NOT NULL
ORDER BY dimension, value;
