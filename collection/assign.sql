-- Month-end assignment of delinquent accounts (collection/daily.py). The strategy arrives as small registered
-- tables: cx_risk_bands, cx_balance_bands (name, lo, hi: lo < value <= hi), cx_cells (bucket, risk_band,
-- balance_band -> segment, path, challenger_path, share), cx_steps (path, ord, day, channel, occ = the step's
-- occurrence of its channel within the path), cx_agents (agent, pool, capacity) and cx_recorded (the actions
-- recorded on the my-queue page, collection/work.py recorded_table).

-- name: latest_month
-- latest: the last month-end with performance data
SELECT max(as_of) AS latest FROM performance;

-- name: has_month
-- n: performance rows at the month-end
SELECT count(*) AS n FROM performance WHERE as_of = $as_of;

-- name: roll_forward
-- product, bucket, loans, rolled: open delinquent loans in a bucket at a month-end t of the last $months
-- transitions up to $as_of, and those in a worse bucket or charged off at t+1 (a loan unseen at t+1 is left out)
WITH state_rank AS (
    SELECT * FROM (VALUES ('paid_off', 0), ('current', 1), ('1-30', 2), ('31-60', 3), ('61-90', 4), ('91-120', 5),
                          ('121-150', 6), ('151-180', 7), ('180+', 8), ('charged_off', 9)) t(state, r)
), frm AS (
    SELECT p.loan_id, p.as_of, p.bucket, l.product
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of >= last_day($as_of - to_months($months)) AND p.as_of < $as_of
      AND p.bucket NOT IN ('current', 'charged_off', 'paid_off')
), nxt AS (
    SELECT loan_id, as_of, bucket FROM performance
    WHERE as_of > last_day($as_of - to_months($months)) AND as_of <= $as_of
      AND loan_id IN (SELECT loan_id FROM frm)
)
SELECT f.product, f.bucket, count(*) AS loans, count(*) FILTER (WHERE rn.r > rf.r) AS rolled
FROM frm f
JOIN nxt n ON n.loan_id = f.loan_id AND n.as_of = last_day(f.as_of + INTERVAL 1 MONTH)
JOIN state_rank rf ON rf.state = f.bucket
JOIN state_rank rn ON rn.state = n.bucket
GROUP BY ALL;

-- name: seed_agents
-- agent, region: collectors of the book's agent calls and field visits, each with the region most of its loans are in
SELECT a.agent, mode(l.region) AS region
FROM collection_actions a JOIN loans l USING (loan_id)
WHERE a.agent IS NOT NULL AND a.channel IN ('agent_call', 'field_visit')
GROUP BY a.agent
ORDER BY a.agent;

-- name: assign_book
-- one row per open loan at least 1 DPD at $as_of: risk and its source, bands, segment, arm, treatment path, next
-- action and date, queue (auto, agent, external, overflow), agent and rank in the agent's queue
WITH book AS (
    SELECT p.loan_id, p.bucket, p.dpd, CAST(p.balance AS DOUBLE) AS balance,
           CAST(p.overdue_amount AS DOUBLE) AS overdue_amount, l.product, l.region,
           CAST($as_of - p.dpd AS DATE) AS d0                  -- the missed due date: day 0 of the path
    FROM performance p JOIN loans l USING (loan_id)
    WHERE p.as_of = $as_of AND p.dpd > 0 AND p.bucket NOT IN ('current', 'charged_off', 'paid_off')
), rf_bp AS (
    SELECT product, bucket, rolled / loans AS rate FROM cx_roll WHERE loans >= $min_roll_loans
), rf_b AS (
    SELECT bucket, sum(rolled) / sum(loans) AS rate FROM cx_roll GROUP BY bucket
), sc AS (
    SELECT loan_id, pd FROM scores
    WHERE as_of = $as_of AND target = $target AND model_version = $version
), risked AS (
    SELECT b.*,
           coalesce(sc.pd, bp.rate, bb.rate, 0.5) AS risk,
           CASE WHEN sc.pd IS NOT NULL THEN 'model:' || $version
                WHEN bp.rate IS NOT NULL THEN 'roll:bucket_product'
                WHEN bb.rate IS NOT NULL THEN 'roll:bucket'
                ELSE 'none' END AS risk_source
    FROM book b
    LEFT JOIN sc USING (loan_id)
    LEFT JOIN rf_bp bp ON bp.product = b.product AND bp.bucket = b.bucket
    LEFT JOIN rf_b bb ON bb.bucket = b.bucket
), seg AS (
    SELECT r.*, rb.name AS risk_band, bb.name AS balance_band, c.segment, c.challenger_path, c.share,
           CAST(('0x' || substr(md5($strategy || '|' || c.segment || '|' || r.loan_id), 1, 8)) AS UBIGINT)
               / 4294967296.0 AS draw,
           c.path AS champion_path
    FROM risked r
    JOIN cx_risk_bands rb ON r.risk > rb.lo AND r.risk <= rb.hi
    JOIN cx_balance_bands bb ON r.balance > bb.lo AND r.balance <= bb.hi
    JOIN cx_cells c ON c.bucket = r.bucket AND c.risk_band = rb.name AND c.balance_band = bb.name
), armed AS (
    SELECT *, CASE WHEN challenger_path IS NOT NULL AND draw < share THEN 'challenger' ELSE 'champion' END AS arm,
           CASE WHEN challenger_path IS NOT NULL AND draw < share THEN challenger_path ELSE champion_path END AS path
    FROM seg
), acts AS (          -- actions taken in this delinquency (since the missed due date), per channel
    SELECT a.loan_id, a.channel, count(*) AS n, max(a.action_date) AS last_date
    FROM (SELECT loan_id, channel, action_date FROM collection_actions
          UNION ALL SELECT loan_id, channel, action_date FROM cx_recorded WHERE NOT imported) a  -- once
         JOIN book b USING (loan_id)
    WHERE a.action_date >= b.d0 AND a.action_date <= $as_of
    GROUP BY ALL
), sched AS (         -- the next step a collector scheduled with the loan's latest recorded action, still ahead
    SELECT loan_id, next_action, next_action_date FROM (
        SELECT r.loan_id, r.next_action, r.next_action_date
        FROM cx_recorded r JOIN book b USING (loan_id)
        WHERE r.action_date >= b.d0 AND r.action_date <= $as_of
        QUALIFY row_number() OVER (PARTITION BY r.loan_id
                                   ORDER BY r.action_date DESC, CAST(substr(r.action_id, 2) AS INTEGER) DESC) = 1)
    WHERE next_action_date > $as_of
), steps AS (
    SELECT a.loan_id, s.ord, s.day, s.channel, coalesce(x.n, 0) >= s.occ AS done, x.last_date
    FROM armed a JOIN cx_steps s ON s.path = a.path
    LEFT JOIN acts x ON x.loan_id = a.loan_id AND x.channel = s.channel
), pos AS (           -- the step the account's DPD has reached (cur) and the path's last step
    SELECT s.loan_id, max(s.ord) FILTER (WHERE s.day <= a.dpd) AS cur, max(s.ord) AS last
    FROM steps s JOIN armed a USING (loan_id)
    GROUP BY s.loan_id
), chosen AS (
    SELECT a.*, p.cur, c.done AS cur_done,
           CASE WHEN p.cur IS NULL THEN 1 WHEN NOT c.done THEN p.cur WHEN p.cur < p.last THEN p.cur + 1
                ELSE p.cur END AS next_ord,
           CASE WHEN p.cur IS NULL THEN 'ahead' WHEN NOT c.done THEN 'due' WHEN p.cur < p.last THEN 'ahead'
                ELSE 'repeat' END AS mode
    FROM armed a JOIN pos p USING (loan_id)
    LEFT JOIN steps c ON c.loan_id = a.loan_id AND c.ord = p.cur
), planned0 AS (
    SELECT c.*, s.channel AS next_action,
           CASE c.mode WHEN 'due' THEN CAST($as_of + 1 AS DATE)
                WHEN 'repeat' THEN greatest(CAST(s.last_date + CAST($repeat_days AS INTEGER) AS DATE), CAST($as_of + 1 AS DATE))
                ELSE greatest(CAST(c.d0 + CAST(s.day AS INTEGER) AS DATE), CAST($as_of + 1 AS DATE)) END AS next_action_date,
           1 - c.risk AS p_pay, c.balance * (1 - c.risk) AS expected_recovery
    FROM chosen c JOIN steps s ON s.loan_id = c.loan_id AND s.ord = c.next_ord
), planned AS (       -- a step a collector scheduled replaces the path's
    SELECT p.* REPLACE (coalesce(sd.next_action, p.next_action) AS next_action,
                        coalesce(sd.next_action_date, p.next_action_date) AS next_action_date),
           CASE WHEN coalesce(sd.next_action, p.next_action) IN ('agent_call', 'field_visit') THEN 'agent'
                WHEN coalesce(sd.next_action, p.next_action) IN ('agency', 'legal') THEN 'external'
                ELSE 'auto' END AS queue0
    FROM planned0 p LEFT JOIN sched sd USING (loan_id)
), wanting AS (       -- accounts needing a collector, ranked by expected recovery within their pool
    SELECT loan_id, row_number() OVER (PARTITION BY pool ORDER BY expected_recovery DESC, loan_id) AS rk, pool
    FROM (SELECT p.loan_id, p.expected_recovery,
                 CASE WHEN p.region IN (SELECT pool FROM cx_agents) THEN p.region ELSE '*' END AS pool
          FROM planned p WHERE p.queue0 = 'agent')
), slots AS (         -- each agent's capacity as slots interleaved across agents (k + 0.5) / capacity
    SELECT agent, pool,
           row_number() OVER (PARTITION BY pool ORDER BY (k + 0.5) / capacity, agent) AS rk
    FROM (SELECT agent, pool, capacity, unnest(range(capacity)) AS k FROM cx_agents)
), dealt AS (
    SELECT w.loan_id, s.agent FROM wanting w LEFT JOIN slots s ON s.pool = w.pool AND s.rk = w.rk
)
SELECT p.loan_id, p.bucket, p.dpd, p.balance, p.overdue_amount, p.product, p.region, p.risk, p.risk_source,
       p.risk_band, p.balance_band, p.segment, p.path AS strategy, p.arm, p.next_action, p.next_action_date,
       CASE WHEN p.queue0 = 'agent' AND d.agent IS NULL THEN 'overflow' ELSE p.queue0 END AS queue, d.agent,
       CAST(CASE WHEN d.agent IS NOT NULL THEN row_number() OVER (PARTITION BY d.agent
            ORDER BY p.expected_recovery DESC, p.loan_id) END AS INTEGER) AS queue_rank,
       p.p_pay, p.expected_recovery
FROM planned p LEFT JOIN dealt d USING (loan_id)
ORDER BY p.loan_id;
