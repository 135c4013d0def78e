"""Backups: round trip with checksums, refusal of a damaged backup, the workflow store, the command line."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from data import accounts, backup, store, workflow
from data.errors import DataError, UsageError
from tests.conftest import REPO, build_tiny_book, reset_caches


@pytest.fixture
def book(isolated_home):
    with store.new_generation() as con:
        build_tiny_book(con)
    accounts.add_user("admin", "Admin", "admin", "admin-password")
    reset_caches()
    return isolated_home


def _count(sql: str) -> int:
    return store.reader().cursor().execute(sql).fetchone()[0]


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def _rewrite(path: Path, out: Path, change) -> Path:
    """A copy of a backup with change(name, bytes) -> bytes (or None to drop the member) applied."""
    with tarfile.open(out, "w:gz") as tar:
        for name, blob in _members(path).items():
            blob = change(name, blob)
            if blob is not None:
                info = tarfile.TarInfo(name)
                info.size = len(blob)
                tar.addfile(info, io.BytesIO(blob))
    return out


def test_round_trip_with_checksums(book, tmp_path):
    generation = store.current_path().name
    made = backup.create_backup(tmp_path / "b.tar.gz", actor="ops")
    assert made["generation"] == generation and made["workflow"] == "workflow.sqlite"
    members = _members(tmp_path / "b.tar.gz")
    manifest = json.loads(members["manifest.json"])
    assert sorted(members) == ["analytics/" + generation, "manifest.json", "workflow.sqlite"]
    for name, meta in manifest["files"].items():
        assert hashlib.sha256(members[name]).hexdigest() == meta["sha256"] and len(members[name]) == meta["bytes"]
    assert oct((tmp_path / "b.tar.gz").stat().st_mode & 0o777) == "0o600"

    with store.new_generation() as con:                        # the book changes after the backup
        con.execute("DELETE FROM performance WHERE loan_id = 'L6'")
    assert _count("SELECT count(*) FROM performance") == 14
    held = duckdb.connect(str(store.current_path()), read_only=True)    # another reader on the current generation
    result = backup.restore_backup(tmp_path / "b.tar.gz", actor="ops")
    assert result["backup_generation"] == generation and result["generation"] not in (generation,)
    assert store.current_path().name == result["generation"]
    assert _count("SELECT count(*) FROM performance") == 16       # the backup's data, as a new generation
    assert held.execute("SELECT count(*) FROM performance").fetchone()[0] == 14   # readers undisturbed
    held.close()
    assert _count("SELECT count(*) FROM loans") == 6 and _count("SELECT count(*) FROM borrowers") == 6
    acts = [e["action"] for e in workflow.audit_entries()][::-1]
    assert acts == ["user_add", "backup", "restore"]
    assert workflow.verify_audit()[0]


@pytest.mark.parametrize("damage,text", [          # (member name, bytes) -> bytes, or None to drop it
    (lambda n, b: b[:100] + bytes([b[100] ^ 1]) + b[101:] if n.startswith("analytics/") else b,
     "checksum mismatch for analytics/"),
    (lambda n, b: b + b"x" if n == "workflow.sqlite" else b, "checksum mismatch for workflow.sqlite"),
    (lambda n, b: None if n == "workflow.sqlite" else b, "workflow.sqlite is missing"),
    (lambda n, b: None if n == "manifest.json" else b, "not a Loanwatch backup"),
    (lambda n, b: b.replace(b'"format": 1', b'"format": 9') if n == "manifest.json" else b, "unknown backup format"),
])
def test_a_damaged_backup_is_refused_and_nothing_changes(book, tmp_path, damage, text):
    backup.create_backup(tmp_path / "b.tar.gz")
    bad = _rewrite(tmp_path / "b.tar.gz", tmp_path / "bad.tar.gz", damage)
    before = sorted(p.name for p in store.store_dir().iterdir())
    with pytest.raises(DataError, match=text):
        backup.restore_backup(bad)
    assert sorted(p.name for p in store.store_dir().iterdir()) == before
    assert "restore" not in [e["action"] for e in workflow.audit_entries()]


def test_unreadable_archives_and_extra_members_are_refused(book, tmp_path):
    backup.create_backup(tmp_path / "b.tar.gz")
    blob = (tmp_path / "b.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataError, match="not a readable backup archive"):
        backup.restore_backup(tmp_path / "cut.tar.gz")
    (tmp_path / "plain.tar.gz").write_bytes(gzip.compress(b"hello"))
    with pytest.raises(DataError, match="not a readable backup archive|not a Loanwatch backup"):
        backup.restore_backup(tmp_path / "plain.tar.gz")
    with tarfile.open(tmp_path / "extra.tar.gz", "w:gz") as tar:
        for name, b in [*_members(tmp_path / "b.tar.gz").items(), ("../../evil.sh", b"hi")]:
            info = tarfile.TarInfo(name)
            info.size = len(b)
            tar.addfile(info, io.BytesIO(b))
    with pytest.raises(DataError, match="unexpected file in the backup: ../../evil.sh"):
        backup.restore_backup(tmp_path / "extra.tar.gz")
    with pytest.raises(DataError, match="backup file not found"):
        backup.restore_backup(tmp_path / "nope.tar.gz")


def test_restore_workflow_brings_back_users_and_keeps_the_current_store(book, tmp_path):
    backup.create_backup(tmp_path / "b.tar.gz")
    accounts.add_user("late", "Added after the backup", "executive", "late-password")
    result = backup.restore_backup(tmp_path / "b.tar.gz", restore_workflow=True, actor="ops")
    assert result["workflow_restored"] and Path(result["workflow_kept_at"]).exists()
    assert [u["username"] for u in accounts.list_users()] == ["admin"]
    kept = sa.create_engine(f"sqlite:///{result['workflow_kept_at']}")
    with kept.connect() as c:
        assert sorted(c.execute(sa.select(workflow.users.c.username)).scalars()) == ["admin", "late"]
    entries = workflow.audit_entries()
    # the backup's log (taken before its own 'backup' entry) continues; the replaced one is in the kept copy
    assert [e["action"] for e in entries] == ["restore", "user_add"]
    assert json.loads(entries[0]["details"])["audit_entries_before"] == 3
    assert workflow.verify_audit()[0]


def test_usage_and_empty_workspace(isolated_home, tmp_path):
    with pytest.raises(DataError, match="nothing has been published"):
        backup.create_backup(tmp_path / "b.tar.gz")
    with pytest.raises(UsageError, match=r"must end in \.tar\.gz"):
        backup.create_backup(tmp_path / "b.zip")
    with pytest.raises(DataError, match="does not exist"):
        backup.create_backup(tmp_path / "no" / "b.tar.gz")


def test_default_location_and_listing(book):
    made = backup.create_backup()
    assert Path(made["path"]).parent == book / "backups"
    assert backup.list_backups() == [Path(made["path"])]


@pytest.mark.pg
def test_postgresql_workflow_store_backs_up_the_analytical_store_only(book, tmp_path, monkeypatch):
    url = os.environ.get("LOANWATCH_TEST_PG_URL")
    if not url:
        pytest.skip("LOANWATCH_TEST_PG_URL is not set (.ci/run starts a throwaway PostgreSQL)")
    schema = f"t_backup_{uuid.uuid4().hex[:10]}"              # a schema of its own on the shared server
    admin = sa.create_engine(url)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    monkeypatch.setenv("LOANWATCH_WORKFLOW_URL", f"{url}?options=-csearch_path%3D{schema}")
    workflow.engine.cache_clear()
    try:
        made = backup.create_backup(tmp_path / "b.tar.gz")
        assert made["workflow"] is None and "pg_dump" in made["notes"][0]
        assert sorted(_members(tmp_path / "b.tar.gz")) == ["analytics/" + made["generation"], "manifest.json"]
        with pytest.raises(UsageError, match="not SQLite"):
            backup.restore_backup(tmp_path / "b.tar.gz", restore_workflow=True)
        assert backup.restore_backup(tmp_path / "b.tar.gz")["generation"]
        assert [e["action"] for e in workflow.audit_entries()] == ["restore", "backup"]
    finally:
        workflow.engine().dispose()
        workflow.engine.cache_clear()
        with admin.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# ---- through the command line ----------------------------------------------------------------------------------

def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", *args], cwd=REPO, env=os.environ.copy(), capture_output=True,
                          text=True, timeout=300, input=stdin)


def test_backup_and_restore_commands(book, tmp_path):
    out = tmp_path / "cli.tar.gz"
    proc = cli("backup", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["path"] == str(out) and out.exists()
    proc = cli("restore", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["backup_generation"] == json.loads(_members(out)["manifest.json"])["generation"]
    flip = lambda n, b: b[:-1] + bytes([b[-1] ^ 1]) if n.startswith("analytics/") else b    # noqa: E731
    bad = _rewrite(out, tmp_path / "bad.tar.gz", flip)
    proc = cli("restore", str(bad))
    assert proc.returncode == 1 and "checksum mismatch" in proc.stderr and "Traceback" not in proc.stderr
    assert cli("backup", "--out", str(tmp_path / "x.zip")).returncode == 2
    assert cli("restore").returncode == 2
