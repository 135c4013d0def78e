-- Collection performance figures from a month-end's frames (collection/figures.py `registered`): cx_actions,
-- cx_promises (the book's and the recorded ones not yet imported), cx_flows, cx_recoveries, cx_outcomes,
-- cx_costs (recorded actions' costs per loan) and cx_teams (agent, team). Every query keeps the loans inside the
-- sidebar filters with the shared predicate (analytics/filters.py) on the frame's product, region and branch.

-- name: contact_trend
-- month, channel, agent, team ('' when none), attempts, contacts, right_party, promises: person-channel actions
-- (a contact is any outcome but no_answer; right party: the outcomes $right_party) of every month, or of $month
SELECT l.month, l.channel, l.agent, coalesce(t.team, '') AS team, CAST(sum(l.actions) AS BIGINT) AS attempts,
       CAST(sum(CASE WHEN l.outcome <> 'no_answer' THEN l.actions ELSE 0 END) AS BIGINT) AS contacts,
       CAST(sum(CASE WHEN list_contains($right_party::VARCHAR[], l.outcome) THEN l.actions ELSE 0 END) AS BIGINT)
           AS right_party,
       CAST(sum(CASE WHEN l.outcome = 'promise_to_pay' THEN l.actions ELSE 0 END) AS BIGINT) AS promises
FROM cx_actions l
LEFT JOIN cx_teams t ON t.agent = l.agent
WHERE (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
  AND (CAST($month AS DATE) IS NULL OR l.month = $month)
GROUP BY ALL
ORDER BY ALL;

-- name: promise_counts
-- month, agent, channel, team ('' when none), status, promises: promises by the month-end of the day made, judged
-- at the month-end shown (every month, or $month)
SELECT l.month, l.agent, l.channel, coalesce(t.team, '') AS team, l.status, CAST(sum(l.promises) AS BIGINT) AS promises
FROM cx_promises l
LEFT JOIN cx_teams t ON t.agent = l.agent
WHERE (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
  AND (CAST($month AS DATE) IS NULL OR l.month = $month)
GROUP BY ALL
ORDER BY ALL;

-- name: bucket_outcomes
-- month, bucket, accounts, cured, rolled, collected, due: delinquent loans at month-end t (month), seen at t+1
SELECT l.month, l.bucket, CAST(sum(l.accounts) AS BIGINT) AS accounts, CAST(sum(l.cured) AS BIGINT) AS cured,
       CAST(sum(l.rolled) AS BIGINT) AS rolled, sum(l.collected) AS collected, sum(l.due) AS due
FROM cx_flows l
WHERE (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
GROUP BY ALL
ORDER BY ALL;

-- name: recoveries
-- month, charged_off, recovered (yuan) of every month up to the month-end shown
SELECT l.month, sum(l.charged_off) AS charged_off, sum(l.recovered) AS recovered
FROM cx_recoveries l
WHERE (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
GROUP BY ALL
ORDER BY ALL;

-- name: outcomes
-- loan_id, bucket, segment, arm, strategy, agent, cured, rolled, collected, due, cost, product, region, branch,
-- team: the accounts assigned at the month-end before, with the recorded actions' costs added to the book's
SELECT l.loan_id, l.bucket, l.segment, l.arm, l.strategy, l.agent, l.cured, l.rolled, l.collected, l.due,
       l.cost + coalesce(c.cost, 0) AS cost, l.product, l.region, l.branch, coalesce(t.team, '') AS team
FROM cx_outcomes l
LEFT JOIN cx_costs c ON c.loan_id = l.loan_id
LEFT JOIN cx_teams t ON t.agent = l.agent
WHERE (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
  AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
  AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
ORDER BY l.loan_id;

-- name: outcome_counts
-- bucket, segment, arm, strategy, agent, team, accounts, cured, rolled, collected, due, cost: the outcomes query
-- summed over accounts (what a breakdown by one of these dimensions reads)
WITH o AS (
    SELECT l.bucket, l.segment, l.arm, l.strategy, coalesce(l.agent, '') AS agent, coalesce(t.team, '') AS team,
           l.cured, l.rolled, l.collected, l.due, l.cost + coalesce(c.cost, 0) AS cost
    FROM cx_outcomes l
    LEFT JOIN cx_costs c ON c.loan_id = l.loan_id
    LEFT JOIN cx_teams t ON t.agent = l.agent
    WHERE (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))
      AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))
)
SELECT bucket, segment, arm, strategy, agent, team, count(*) AS accounts,
       CAST(count(*) FILTER (WHERE cured) AS BIGINT) AS cured, CAST(count(*) FILTER (WHERE rolled) AS BIGINT) AS rolled,
       sum(collected) AS collected, sum(due) AS due, sum(cost) AS cost
FROM o
GROUP BY ALL;
