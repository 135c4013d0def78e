"""The workflow store (SQLAlchemy): users, import history and the tamper-evident audit log.

SQLite in WAL mode under LOANWATCH_HOME by default; any SQLAlchemy URL (PostgreSQL in production) through
LOANWATCH_WORKFLOW_URL. What people and other systems change during the day lives here, never in DuckDB.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import os
import random
import re
import socket
import time
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Iterator

import pandas as pd
import sqlalchemy as sa

import config

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
    sa.Column("status", sa.String(20), nullable=False),               # running, published, rejected, failed
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

GENESIS = "0" * 64


def url() -> str:
    return os.environ.get("LOANWATCH_WORKFLOW_URL") or f"sqlite:///{config.home() / 'workflow.sqlite'}"


@lru_cache(maxsize=8)
def engine(db_url: str | None = None) -> sa.Engine:
    db_url = db_url or url()
    eng = sa.create_engine(db_url, pool_pre_ping=True)
    if eng.dialect.name == "sqlite":
        @sa.event.listens_for(eng, "connect")
        def _sqlite_pragmas(dbapi_con, _record):
            cur = dbapi_con.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()
    metadata.create_all(eng)
    _add_missing_columns(eng)
    return eng


def _add_missing_columns(eng: sa.Engine) -> None:
    """Bring a store created by an older release up to the current tables (ALTER TABLE ... ADD COLUMN)."""
    inspector = sa.inspect(eng)
    for (table, column), sql_type in _ADDED_COLUMNS.items():
        if column not in {c["name"] for c in inspector.get_columns(table)}:
            with eng.begin() as c:
                c.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")


def now() -> datetime:
    return datetime.now(timezone.utc)


# Who a core function acts for when the caller does not say: the signed-in user of a page (acting_as), else the
# command line's operator. Context variables, so concurrent sessions (threads) never see each other's user.
_acting_actor: ContextVar[str | None] = ContextVar("loanwatch_actor", default=None)
_acting_origin: ContextVar[str | None] = ContextVar("loanwatch_origin", default=None)


def operator() -> str:
    """Who an action is recorded for: the user set by acting_as(), else LOANWATCH_ACTOR, else `cli:<os user>`."""
    return _acting_actor.get() or os.environ.get("LOANWATCH_ACTOR") or f"cli:{getpass.getuser()}"


@contextmanager
def acting_as(actor: str, origin: str | None = None) -> Iterator[None]:
    """Record everything done inside the block (imports, audit entries) as done by `actor` from `origin`."""
    tokens = _acting_actor.set(actor), _acting_origin.set(origin)
    try:
        yield
    finally:
        _acting_actor.reset(tokens[0])
        _acting_origin.reset(tokens[1])


def _entry_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, target: str | None,
                details: str | None, origin: str | None) -> str:
    payload = json.dumps([prev_hash, seq, at, actor, action, target, details, origin], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def audit(action: str, *, actor: str | None = None, target: str | None = None, details: dict | None = None,
          origin: str | None = None, eng: sa.Engine | None = None) -> int:
    """Append one entry to the audit log, chained to the one before; returns its sequence number."""
    eng = eng or engine()
    actor = actor or operator()
    origin = origin or _acting_origin.get() or socket.gethostname()
    body = json.dumps(details, ensure_ascii=False, sort_keys=True, default=str) if details else None
    for attempt in range(50):
        with eng.begin() as c:
            if eng.dialect.name == "postgresql":
                c.execute(sa.text("SELECT pg_advisory_xact_lock(7242001)"))   # one appender at a time
            last = c.execute(sa.select(audit_log.c.seq, audit_log.c.hash)
                             .order_by(audit_log.c.seq.desc()).limit(1)).first()
            seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
            at = now().isoformat(timespec="microseconds")
            h = _entry_hash(prev, seq, at, actor, action, target, body, origin)
            try:
                c.execute(audit_log.insert().values(seq=seq, at=at, actor=actor, action=action, target=target,
                                                    details=body, origin=origin, prev_hash=prev, hash=h))
                return seq
            except (sa.exc.IntegrityError, sa.exc.OperationalError):
                pass                         # another writer took this seq (or held the lock); chain onto theirs
        time.sleep(random.uniform(0.001, 0.01) * (attempt + 1))
    raise RuntimeError("could not append to the audit log after 50 attempts")


def verify_audit(eng: sa.Engine | None = None) -> tuple[bool, int | None, int]:
    """(intact, first broken seq or None, entries checked)."""
    eng = eng or engine()
    prev, expected_seq, n = GENESIS, 1, 0
    with eng.connect() as c:
        for row in c.execute(sa.select(audit_log).order_by(audit_log.c.seq)):
            n += 1
            h = _entry_hash(prev, row.seq, row.at, row.actor, row.action, row.target, row.details, row.origin)
            if row.seq != expected_seq or row.prev_hash != prev or row.hash != h:
                return False, row.seq, n
            prev, expected_seq = row.hash, row.seq + 1
    return True, None, n


def rows_frame(q: sa.Select, table: sa.Table, eng: sa.Engine | None = None) -> pd.DataFrame:
    """The rows of a select over `table` as a DataFrame with every column of the table (also when empty)."""
    with (eng or engine()).connect() as c:
        rows = [dict(r._mapping) for r in c.execute(q)]
    return pd.DataFrame(rows, columns=[col.name for col in table.columns])


def audit_entries(*, actor: str | None = None, action: str | None = None, since: date | None = None,
                  until: date | None = None, text: str | None = None, limit: int | None = 1000,
                  eng: sa.Engine | None = None) -> list[dict]:
    """Audit entries, newest first: by exact actor and action, UTC day range (inclusive) and free text
    (a case-insensitive substring of actor, action, target, details or origin)."""
    a = audit_log.c
    q = sa.select(audit_log).order_by(a.seq.desc())
    if actor:
        q = q.where(a.actor == actor)
    if action:
        q = q.where(a.action == action)
    if since:
        q = q.where(a.at >= since.isoformat())
    if until:
        q = q.where(a.at < (until + timedelta(days=1)).isoformat())
    if text:
        pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        q = q.where(sa.or_(*(sa.func.lower(sa.func.coalesce(col, "")).like(pattern, escape="\\")
                             for col in (a.actor, a.action, a.target, a.details, a.origin))))
    if limit:
        q = q.limit(limit)
    with (eng or engine()).connect() as c:
        return [dict(r._mapping) for r in c.execute(q)]


AUDIT_COLUMNS = ("seq", "at", "actor", "action", "target", "details", "origin", "prev_hash", "hash")


def audit_csv(entries: list[dict]) -> bytes:
    """Audit entries as UTF-8 CSV with every column, hashes included (so the export can be re-verified)."""
    import csv
    import io
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(AUDIT_COLUMNS)
    w.writerows([e.get(c) for c in AUDIT_COLUMNS] for e in entries)
    return buf.getvalue().encode("utf-8")


def export_audit(query: dict, *, by: str | None = None, origin: str | None = None,
                 eng: sa.Engine | None = None) -> bytes:
    """Every entry matching `query` (audit_entries' filters: actor, action, since, until, text) as CSV; the
    export itself is audited first, as done `by` this user."""
    entries = audit_entries(**query, limit=None, eng=eng)
    audit("audit_export", actor=by, origin=origin, eng=eng, details={
        "rows": len(entries), **{k: (str(v) if v else None) for k, v in query.items()}})
    return audit_csv(entries)


def audit_facets(eng: sa.Engine | None = None) -> dict[str, list[str]]:
    """The distinct actors and actions in the log, sorted: the choices of the Audit page's filters."""
    a = audit_log.c
    with (eng or engine()).connect() as c:
        return {"actor": list(c.execute(sa.select(a.actor).distinct().order_by(a.actor)).scalars()),
                "action": list(c.execute(sa.select(a.action).distinct().order_by(a.action)).scalars())}


def start_import(kind: str, source: str, target_table: str | None, actor: str | None = None,
                 eng: sa.Engine | None = None) -> int:
    eng = eng or engine()
    with eng.begin() as c:
        res = c.execute(imports.insert().values(started_at=now(), actor=actor or operator(), kind=kind,
                                                source=source, target_table=target_table, status="running"))
        return res.inserted_primary_key[0]


def finish_import(import_id: int, status: str, *, rows_read: int = 0, rows_written: int = 0, problems: int = 0,
                  message: str | None = None, generation: str | None = None, eng: sa.Engine | None = None) -> None:
    eng = eng or engine()
    with eng.begin() as c:
        c.execute(imports.update().where(imports.c.import_id == import_id).values(
            finished_at=now(), status=status, rows_read=rows_read, rows_written=rows_written,
            problems=problems, message=without_values(message), generation=generation))


# The value a rejection message quotes for its first problem ("...: not a number: '13812345678'); nothing was
# imported"): it may be personal data in the wrong column, so the import history keeps the problem, not the value.
_QUOTED_VALUE = re.compile(r"""(: )('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")(\)?; nothing was imported)""")


def without_values(message: str | None) -> str | None:
    return message if message is None else _QUOTED_VALUE.sub(r"\1'(value not kept)'\3", message)


def import_history(limit: int = 100, eng: sa.Engine | None = None) -> list[dict]:
    eng = eng or engine()
    with eng.connect() as c:
        rows = c.execute(sa.select(imports).order_by(imports.c.import_id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]
