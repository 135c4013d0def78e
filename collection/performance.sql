-- Collection performance (collection/performance.py).

-- name: contact_attempts
-- channel, agent, outcome, actions: collection actions dated in the month of $as_of (first day .. $as_of), the
-- book's and those recorded on the my-queue page (cx_recorded, collection/work.py) not yet imported
SELECT channel, coalesce(agent, '') AS agent, outcome, count(*) AS actions
FROM (SELECT channel, agent, outcome, action_date FROM collection_actions
      UNION ALL SELECT channel, agent, outcome, action_date FROM cx_recorded WHERE NOT imported)
WHERE action_date BETWEEN date_trunc('month', $as_of)::DATE AND $as_of
GROUP BY ALL
ORDER BY ALL;
