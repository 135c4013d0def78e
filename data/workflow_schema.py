"""The workflow store's tables: what people and the daily run change during the day (users, imports, the audit
log, officers' overrides and watch list, alerts, reviews, events, collections, background jobs). One MetaData;
data/workflow.py creates them and holds the functions over them."""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users", metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(200)),
    sa.Column("password_hash", sa.String(200), nullable=False),       # bcrypt
    sa.Column("roles", sa.String(400), nullable=False),               # comma-separated role names
    sa.Column("branch", sa.String(100)),
    sa.Column("staff_code", sa.String(64)),       # officer code (loans.officer) or collector's agent code
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True)),   # last activity, so a stale login cookie expires
)
# Columns added after the first release: (table, column) -> SQL type, added to older stores on first connect.
_ADDED_COLUMNS = {("users", "staff_code"): "VARCHAR(64)", ("users", "last_seen_at"): "TIMESTAMP WITH TIME ZONE"}
# the review form and maker-checker (data/reviews.py)
_ADDED_COLUMNS |= {("loan_reviews", "checklist"): "TEXT", ("loan_reviews", "actions"): "TEXT",
                   ("loan_reviews", "tier_before"): "VARCHAR(20)", ("loan_reviews", "tier_reason"): "TEXT",
                   ("loan_reviews", "approved_by"): "VARCHAR(64)",
                   ("loan_reviews", "approved_at"): "TIMESTAMP WITH TIME ZONE"}

imports = sa.Table(
    "imports", metadata,
    sa.Column("import_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),                 # file, sql, taiwan, lendingclub, demo
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("target_table", sa.String(64)),
    sa.Column("status", sa.String(20), nullable=False),   # running, published, rejected, failed, interrupted
    sa.Column("rows_read", sa.BigInteger, nullable=False, default=0),
    sa.Column("rows_written", sa.BigInteger, nullable=False, default=0),
    sa.Column("problems", sa.Integer, nullable=False, default=0),
    sa.Column("message", sa.Text),
    sa.Column("generation", sa.String(200)),
)

jobs = sa.Table(     # background work started from the pages (training, monitoring): data/jobs.py
    "jobs", metadata,
    sa.Column("job_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(40), nullable=False),                 # train, monitor
    sa.Column("params", sa.Text, nullable=False),                     # JSON
    sa.Column("status", sa.String(20), nullable=False),               # queued, running, done, failed
    sa.Column("progress", sa.Float, nullable=False, default=0.0),     # 0 .. 1
    sa.Column("message", sa.Text),
    sa.Column("result", sa.Text),                                     # JSON, when done
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("pid", sa.Integer),                                     # the worker process, while it runs
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(40), nullable=False),                   # ISO-8601 UTC, part of the hash
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.Text),
    sa.Column("details", sa.Text),                                    # JSON
    sa.Column("origin", sa.String(200)),                              # host/IP the action came from
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Credit officers' inputs to classification (data/overrides.py): a tier worse than the rule floor at a month-end,
# and the IFRS 9 watch list (at least Stage 2 from the month-end `as_of` on, until removed).
classification_overrides = sa.Table(
    "classification_overrides", metadata,
    sa.Column("override_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("loan_id", sa.String(64), nullable=False, index=True),
    sa.Column("as_of", sa.Date, nullable=False),                      # month-end the override is for (and after)
    sa.Column("tier", sa.String(20), nullable=False),
    sa.Column("rule_tier", sa.String(20), nullable=False),            # the rule-based tier it was set against
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),               # active, superseded, withdrawn
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("ended_by", sa.String(64)),
)

watch_list = sa.Table(
    "watch_list", metadata,
    sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("loan_id", sa.String(64), nullable=False, index=True),
    sa.Column("as_of", sa.Date, nullable=False),                      # month-end it applies from
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("removed_at", sa.DateTime(timezone=True)),
    sa.Column("removed_by", sa.String(64)),
)

# Early warning (data/alerts.py): rules that turn signals into alerts, the alerts and their comments, and events
# that arrive between daily runs. One open (or acknowledged) alert per loan and signal: `open_key` is
# "loan_id|signal" while it is, NULL after; a daily run raises a loan's signal at most once per date.
alert_rules = sa.Table(
    "alert_rules", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("signals", sa.Text, nullable=False),                    # JSON list of signal names
    sa.Column("mode", sa.String(8), nullable=False),                  # any, all
    sa.Column("min_severity", sa.String(12), nullable=False),         # low, medium, high, critical
    sa.Column("owner", sa.String(100), nullable=False),               # officer, branch or user:<username>
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
)

alerts = sa.Table(
    "alerts", metadata,
    sa.Column("alert_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("loan_id", sa.String(64), nullable=False, index=True),
    sa.Column("signal", sa.String(64), nullable=False),
    sa.Column("severity", sa.String(12), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),  # open, acknowledged, resolved, escalated
    sa.Column("raised_at", sa.Date, nullable=False),                  # the month-end evaluated, or the event's date
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("rule", sa.String(64)),
    sa.Column("owner", sa.String(100), index=True),
    sa.Column("branch", sa.String(100)),
    sa.Column("officer", sa.String(64)),
    sa.Column("evidence", sa.Text),                                   # JSON: the values that fired it
    sa.Column("source", sa.String(64)),                               # daily:YYYY-MM or event:<event_id>
    sa.Column("open_key", sa.String(200), unique=True),
    sa.Column("escalated_to", sa.String(20)),                         # review, collections
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(64)),
    sa.UniqueConstraint("loan_id", "signal", "raised_at", name="uq_alerts_raise"),
)

alert_comments = sa.Table(
    "alert_comments", metadata,
    sa.Column("comment_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.alert_id"), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
)

events = sa.Table(
    "events", metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("loan_id", sa.String(64), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),                 # payment, reversal, bureau, flag
    sa.Column("event_date", sa.Date, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),                    # JSON
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
)

# Periodic and triggered post-loan reviews (data/reviews.py): one pending (due or overdue) review per loan and
# kind (`pending_key` "loan_id|kind" while pending, NULL after), and a loan's kind at most once per due date.
loan_reviews = sa.Table(
    "loan_reviews", metadata,
    sa.Column("review_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("loan_id", sa.String(64), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),                 # first, periodic, triggered
    sa.Column("reason", sa.String(100), nullable=False),              # policy:<tier>, alert:<id>, interest_overdue
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),   # due, overdue, pending_approval, done
    sa.Column("reviewer", sa.String(64)),                             # the loan's officer
    sa.Column("branch", sa.String(100)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("source", sa.String(64)),                               # daily:YYYY-MM, alert:<id>
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    sa.Column("completed_by", sa.String(64)),
    sa.Column("findings", sa.Text),
    sa.Column("classification", sa.String(20)),
    sa.Column("pending_key", sa.String(200), unique=True),
    sa.Column("checklist", sa.Text),                                  # JSON {item: true/false} (review form)
    sa.Column("actions", sa.Text),                                    # follow-up actions agreed
    sa.Column("tier_before", sa.String(20)),                          # the loan's tier when reviewed
    sa.Column("tier_reason", sa.Text),                                # why the tier was changed
    sa.Column("approved_by", sa.String(64)),                          # the checker of an improvement
    sa.Column("approved_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("loan_id", "kind", "due_date", name="uq_loan_reviews_due"),
)

# Collections (package collection/): strategies (JSON, validated; one active), agents and their capacity, each
# month-end's assignment of every delinquent open loan, message templates and the outbox a messaging platform reads.
collection_strategies = sa.Table(
    "collection_strategies", metadata,
    sa.Column("strategy_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),                       # JSON (collection/strategy.py)
    sa.Column("status", sa.String(12), nullable=False, index=True),   # active, retired
    sa.Column("note", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
)

collection_agents = sa.Table(
    "collection_agents", metadata,
    sa.Column("agent", sa.String(64), primary_key=True),              # agent code (collection_actions.agent)
    sa.Column("region", sa.String(100)),                              # loans of this region; NULL = any region
    sa.Column("capacity", sa.Integer, nullable=False),                # accounts in the queue at most
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
)

collection_assignments = sa.Table(
    "collection_assignments", metadata,
    sa.Column("as_of", sa.Date, primary_key=True),
    sa.Column("loan_id", sa.String(64), primary_key=True),
    sa.Column("bucket", sa.String(12), nullable=False),
    sa.Column("dpd", sa.Integer, nullable=False),
    sa.Column("balance", sa.Float, nullable=False),
    sa.Column("overdue_amount", sa.Float),
    sa.Column("product", sa.String(64)),
    sa.Column("region", sa.String(100)),
    sa.Column("risk", sa.Float, nullable=False),
    sa.Column("risk_source", sa.String(40), nullable=False),          # model:<version>, roll:bucket_product, ...
    sa.Column("risk_band", sa.String(40), nullable=False),
    sa.Column("balance_band", sa.String(40), nullable=False),
    sa.Column("segment", sa.String(64), nullable=False),
    sa.Column("strategy", sa.String(64), nullable=False),             # the treatment path the account follows
    sa.Column("arm", sa.String(12), nullable=False),                  # champion, challenger
    sa.Column("strategy_id", sa.Integer, nullable=False),
    sa.Column("next_action", sa.String(20), nullable=False),
    sa.Column("next_action_date", sa.Date, nullable=False),
    sa.Column("queue", sa.String(12), nullable=False),                # auto, agent, external, overflow
    sa.Column("agent", sa.String(64), index=True),
    sa.Column("queue_rank", sa.Integer),                              # 1 = highest expected recovery
    sa.Column("p_pay", sa.Float, nullable=False),
    sa.Column("expected_recovery", sa.Float, nullable=False),
    sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
)

message_templates = sa.Table(
    "message_templates", metadata,
    sa.Column("template_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("segment", sa.String(64), nullable=False),              # a segment name or '*'
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),              # en, zh
    sa.Column("body", sa.Text, nullable=False),                       # string.Template text ($amount_due ...)
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
    sa.UniqueConstraint("segment", "channel", "language", name="uq_message_templates"),
)

message_outbox = sa.Table(
    "message_outbox", metadata,
    sa.Column("message_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("loan_id", sa.String(64), nullable=False),
    sa.Column("borrower_id", sa.String(64), nullable=False),          # the platform resolves the address
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("template_id", sa.Integer, nullable=False),
    sa.Column("send_on", sa.Date, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),               # queued (a platform marks sent)
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("as_of", "loan_id", "channel", name="uq_message_outbox"),
)

# Actions collectors record on the my-queue page (collection/work.py): read with the analytical store's
# collection_actions by the promise-to-pay judge and the next-action logic.
recorded_actions = sa.Table(
    "recorded_actions", metadata,
    sa.Column("recorded_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("loan_id", sa.String(64), nullable=False, index=True),
    sa.Column("queue_as_of", sa.Date, nullable=False),                # month-end of the queue it was worked from
    sa.Column("action_date", sa.Date, nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("agent", sa.String(64)),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("promise_amount", sa.Float),                            # yuan, with promise_date when promise_to_pay
    sa.Column("promise_date", sa.Date),
    sa.Column("next_action", sa.String(20)),                          # the next step scheduled, and its date
    sa.Column("next_action_date", sa.Date),
    sa.Column("note", sa.Text),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_by", sa.String(64), nullable=False),
)

# The Collections page's figures of a month-end, precomputed by the daily run (collection/monitor.py snapshot).
collection_snapshots = sa.Table(
    "collection_snapshots", metadata,
    sa.Column("as_of", sa.Date, primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),               # contact_trend, breakdown_agent, ...
    sa.Column("frame", sa.LargeBinary, nullable=False),               # Parquet bytes
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
)
