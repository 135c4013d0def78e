-- Collection performance (collection/performance.py).

-- name: contact_attempts
-- channel, agent, outcome, actions: collection actions dated in the month of $as_of (first day .. $as_of)
SELECT channel, coalesce(agent, '') AS agent, outcome, count(*) AS actions
FROM collection_actions
WHERE action_date BETWEEN date_trunc('month', $as_of)::DATE AND $as_of
GROUP BY ALL
ORDER BY ALL;
