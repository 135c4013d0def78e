"""The workflow store on SQLite and on a real PostgreSQL server (LOANWATCH_TEST_PG_URL, started by .ci/run)."""
from __future__ import annotations

import os
import threading
import uuid

import pytest
import sqlalchemy as sa

from data import workflow


@pytest.fixture(params=["sqlite", "postgresql"])
def eng(request, tmp_path):
    if request.param == "sqlite":
        e = sa.create_engine(f"sqlite:///{tmp_path / 'wf.sqlite'}")
        workflow.metadata.create_all(e)
        yield workflow.engine(f"sqlite:///{tmp_path / 'wf.sqlite'}")
        return
    base = os.environ.get("LOANWATCH_TEST_PG_URL")
    if not base:
        pytest.skip("LOANWATCH_TEST_PG_URL is not set (.ci/run starts a PostgreSQL server and sets it)")
    schema = f"t_{uuid.uuid4().hex[:10]}"         # each test its own schema on the shared server
    admin = sa.create_engine(base)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    e = sa.create_engine(base, connect_args={"options": f"-csearch_path={schema}"})
    workflow.metadata.create_all(e)
    yield e
    e.dispose()
    with admin.begin() as c:
        c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_audit_chain_verifies_and_detects_tampering(eng):
    for i in range(5):
        workflow.audit("export", actor="alice", target=f"loans-{i}", details={"rows": i}, eng=eng)
    assert workflow.verify_audit(eng) == (True, None, 5)
    with eng.begin() as c:
        c.execute(workflow.audit_log.update().where(workflow.audit_log.c.seq == 3)
                  .values(details='{"rows": 999}'))
    assert workflow.verify_audit(eng) == (False, 3, 3)


def test_audit_deleted_entry_breaks_the_chain(eng):
    for i in range(4):
        workflow.audit("login", actor="bob", eng=eng)
    with eng.begin() as c:
        c.execute(workflow.audit_log.delete().where(workflow.audit_log.c.seq == 2))
    ok, broken, _ = workflow.verify_audit(eng)
    assert (ok, broken) == (False, 3)


def test_concurrent_audit_writers_keep_one_chain(eng):
    def write(n):
        for _ in range(n):
            workflow.audit("view", actor=threading.current_thread().name, eng=eng)
    threads = [threading.Thread(target=write, args=(10,), name=f"t{i}") for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert workflow.verify_audit(eng) == (True, None, 30)


def test_import_history_round_trip(eng):
    iid = workflow.start_import("file", "/tmp/loans.csv", "loans", actor="ops", eng=eng)
    workflow.finish_import(iid, "published", rows_read=10, rows_written=9, problems=0, eng=eng)
    (row,) = workflow.import_history(eng=eng)
    assert (row["status"], row["rows_read"], row["rows_written"], row["actor"]) == ("published", 10, 9, "ops")
    assert row["finished_at"] >= row["started_at"].replace(tzinfo=row["finished_at"].tzinfo)


def test_default_store_is_sqlite_in_wal_mode_under_home(isolated_home):
    e = workflow.engine()
    assert e.url.database == str(isolated_home / "workflow.sqlite")
    with e.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_an_import_whose_process_died_is_shown_as_interrupted(eng):
    import subprocess
    import sys
    live = workflow.start_import("file", "/tmp/a.csv", "loans", actor="ops", eng=eng)      # this process: alive
    dead = workflow.start_import("file", "/tmp/b.csv", "loans", actor="ops", eng=eng)
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()                                                                         # its pid is now free
    with eng.begin() as c:
        c.execute(workflow.imports.update().where(workflow.imports.c.import_id == dead).values(
            message=f"pid {proc.pid} on {workflow.socket.gethostname()}"))
    rows = {r["import_id"]: r for r in workflow.import_history(eng=eng)}
    assert rows[live]["status"] == "running" and rows[live]["finished_at"] is None
    assert rows[dead]["status"] == "interrupted" and rows[dead]["finished_at"] is not None
    assert f"pid {proc.pid}" in rows[dead]["message"] and "nothing was published" in rows[dead]["message"]
    assert workflow.close_interrupted_imports(eng) == 0                                # closed once
    workflow.finish_import(live, "published", rows_read=1, rows_written=1, eng=eng)
    assert workflow.import_history(eng=eng)[1]["status"] == "published"
