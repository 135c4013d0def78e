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
from data.workflow_schema import (  # noqa: F401  (the tables are used as workflow.<name> everywhere)
    metadata, users, _ADDED_COLUMNS, imports, jobs, audit_log, classification_overrides, watch_list,
    alert_rules, alerts, alert_comments, events, loan_reviews, collection_strategies, collection_agents,
    collection_assignments, message_templates, message_outbox, recorded_actions, collection_snapshots,
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
                                                source=source, target_table=target_table, status="running",
                                                message=f"pid {os.getpid()} on {socket.gethostname()}"))
        return res.inserted_primary_key[0]


_RUNNING = re.compile(r"pid (\d+) on (\S+)$")


def _gone(message: str | None) -> int | None:
    """The pid of a 'running' import whose process on this host has ended (killed, machine crashed), else None."""
    m = _RUNNING.match(message or "")
    if not m or m.group(2) != socket.gethostname():
        return None
    pid = int(m.group(1))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return pid
    except PermissionError:
        return None
    return None


def close_interrupted_imports(eng: sa.Engine | None = None) -> int:
    """Mark imports still 'running' whose process is gone as 'interrupted' (nothing of them was published: a
    generation is published only when its import finishes). Returns how many it closed."""
    eng = eng or engine()
    closed = 0
    with eng.begin() as c:
        for import_id, message in c.execute(sa.select(imports.c.import_id, imports.c.message)
                                            .where(imports.c.status == "running")).all():
            pid = _gone(message)
            if pid is not None:
                c.execute(imports.update().where((imports.c.import_id == import_id)
                                                 & (imports.c.status == "running")).values(
                    status="interrupted", finished_at=now(),
                    message=f"the importing process (pid {pid}) ended before finishing; nothing was published"))
                closed += 1
    return closed


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
    close_interrupted_imports(eng)
    with eng.connect() as c:
        rows = c.execute(sa.select(imports).order_by(imports.c.import_id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]
