"""Backups of a workspace: the published DuckDB generation, a consistent copy of the workflow store, checksums.

A backup is one .tar.gz holding `manifest.json` (format, when, by whom, the generation, SHA-256 and size of
every file), `analytics/<generation>.duckdb` and, when the workflow store is SQLite, `workflow.sqlite` copied
with SQLite's online backup API (consistent while the app writes). A PostgreSQL workflow store is not copied:
back it up with pg_dump; the manifest says so. Nothing in a backup is plain personal data (it is encrypted in
the store), but the encryption key is not in it either: keep the key's own backup apart from this file.

Restoring verifies every checksum before anything changes, then publishes the data as a new generation
through store.new_generation() (contracts checked; what readers hold is never overwritten). The workflow
store is restored only on request (restore_workflow=True), after a copy of the current one is kept beside
the backups. Both directions are audited.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from pathlib import Path

import duckdb
import sqlalchemy as sa

import config
from data import store, workflow
from data.errors import DataError, UsageError

FORMAT = 1
MANIFEST = "manifest.json"
SUFFIX = ".tar.gz"
PG_NOTE = ("the workflow store is not SQLite ({dialect}): this backup holds the analytical store only; "
           "back up users, imports and the audit log with the database's own tools (pg_dump)")


def backup_dir(home: Path | None = None) -> Path:
    path = (home or config.home()) / "backups"
    path.mkdir(parents=True, exist_ok=True)
    return path


def list_backups(home: Path | None = None) -> list[Path]:
    """Backups in the workspace's backups folder, newest first."""
    return sorted(backup_dir(home).glob(f"*{SUFFIX}"), key=lambda p: p.name, reverse=True)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _sqlite_path(eng: sa.Engine) -> Path | None:
    return Path(eng.url.database) if eng.dialect.name == "sqlite" and eng.url.database else None


def _sqlite_copy(src: Path, dst: Path) -> None:
    """A consistent copy of a live SQLite database (the online backup API)."""
    s, d = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        s.backup(d)
    finally:
        d.close()
        s.close()


def _out_path(out) -> Path:
    path = Path(out) if out else backup_dir() / f"loanwatch-backup-{time.strftime('%Y%m%dT%H%M%S')}{SUFFIX}"
    if not path.name.endswith(SUFFIX):
        raise UsageError(f"cannot write a backup to {path.name!r}: the file name must end in {SUFFIX}")
    if not path.parent.is_dir():
        raise DataError(f"cannot write a backup to {path}: folder {path.parent} does not exist")
    return path


def create_backup(out=None, *, actor: str | None = None, origin: str | None = None) -> dict:
    """Write a backup (default: LOANWATCH_HOME/backups/loanwatch-backup-<time>.tar.gz); returns its manifest
    with `path`. DataError when nothing has been published."""
    path = _out_path(out)
    generation = store.current_path()
    if generation is None or not generation.exists():
        raise DataError("nothing has been published yet: there is no analytical store to back up")
    eng = workflow.engine()
    tmp = Path(tempfile.mkdtemp(prefix="loanwatch-backup-"))
    try:
        with open(generation, "rb") as src:      # an open handle survives the generation being pruned meanwhile
            (tmp / "analytics").mkdir()
            with open(tmp / "analytics" / generation.name, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        files = [f"analytics/{generation.name}"]
        notes = []
        if (db := _sqlite_path(eng)) is not None:
            _sqlite_copy(db, tmp / "workflow.sqlite")
            files.append("workflow.sqlite")
        else:
            notes.append(PG_NOTE.format(dialect=eng.dialect.name))
        manifest = {"format": FORMAT, "created_at": workflow.now().isoformat(timespec="seconds"),
                    "created_by": actor or workflow.operator(), "generation": generation.name,
                    "workflow": "workflow.sqlite" if "workflow.sqlite" in files else None, "notes": notes,
                    "files": {f: {"sha256": sha256(tmp / f), "bytes": (tmp / f).stat().st_size} for f in files}}
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
                blob = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime = len(blob), int(time.time())
                tar.addfile(info, io.BytesIO(blob))
                for f in files:
                    tar.add(tmp / f, arcname=f, recursive=False)
            partial.chmod(0o600)                 # password hashes and the audit log: for the owner only
            os.replace(partial, path)
        except OSError as exc:
            raise DataError(f"cannot write {path}: {exc.strerror or exc}") from None
        finally:
            partial.unlink(missing_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    size = path.stat().st_size
    workflow.audit("backup", actor=actor, origin=origin, target=str(path.resolve()), details={
        "generation": generation.name, "workflow": manifest["workflow"], "bytes": size,
        "files": manifest["files"]})
    return {**manifest, "path": str(path), "bytes": size}


def verify_backup(path, into: Path) -> dict:
    """Extract the files of a backup into `into`, checking each against the manifest; returns the manifest.
    DataError naming what is wrong for an unreadable archive, a missing, unexpected or damaged file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: backup file not found")
    try:
        with tarfile.open(path, "r:gz") as tar:
            members = {m.name: m for m in tar.getmembers()}
            if MANIFEST not in members:
                raise DataError(f"{path.name}: not a Loanwatch backup (no {MANIFEST})")
            manifest = json.loads(tar.extractfile(members[MANIFEST]).read())
            if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
                raise DataError(f"{path.name}: unknown backup format {manifest.get('format')!r}")
            expected = manifest["files"]
            unexpected = sorted(set(members) - set(expected) - {MANIFEST})
            if unexpected:
                raise DataError(f"{path.name}: unexpected file in the backup: {unexpected[0]}")
            for name, meta in expected.items():
                member = members.get(name)
                if member is None or not member.isfile():
                    raise DataError(f"{path.name}: {name} is missing from the backup")
                target = into / Path(name).name                    # flat: names never reach the file system
                with tar.extractfile(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                if sha256(target) != meta.get("sha256") or target.stat().st_size != meta.get("bytes"):
                    raise DataError(f"{path.name}: checksum mismatch for {name}: the backup is damaged; "
                                    "nothing was restored")
    except (tarfile.TarError, EOFError, OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path.name}: not a readable backup archive ({type(exc).__name__}: {exc}); "
                        "nothing was restored") from None
    return manifest


def _publish(duckdb_file: Path) -> str:
    """Copy every canonical table of a restored file into a new generation (contracts checked); its name."""
    with store.new_generation(start_empty=True) as con:
        con.execute("ATTACH ? AS restored (READ_ONLY)", [str(duckdb_file)])
        ours = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                          "current_database() AND schema_name = 'main'").fetchall()}
        theirs = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                            "'restored' AND schema_name = 'main'").fetchall()]
        for table in theirs:
            if table in ours:                  # a name from the catalog of our own schema, never user text
                con.execute(f"INSERT INTO main.{table} BY NAME SELECT * FROM restored.main.{table}")
        con.execute("DETACH restored")
        from analytics.summaries import build as build_summaries   # the monthly summaries pages read
        build_summaries(con)
    return store.current_path().name


def _restore_workflow(copy: Path, eng: sa.Engine) -> str:
    """Replace the live workflow SQLite by the backup's copy, after keeping the current one; the kept copy."""
    live = _sqlite_path(eng)
    kept = backup_dir() / f"workflow-before-restore-{time.strftime('%Y%m%dT%H%M%S')}.sqlite"
    _sqlite_copy(live, kept)
    eng.dispose()
    _sqlite_copy(copy, live)
    return str(kept)


def restore_backup(path, *, restore_workflow: bool = False, actor: str | None = None,
                   origin: str | None = None) -> dict:
    """Verify a backup and publish its analytical store as a new generation; with restore_workflow=True
    also put back its users, import history and audit log (SQLite workflow stores only)."""
    eng = workflow.engine()
    if restore_workflow and _sqlite_path(eng) is None:
        raise UsageError("the workflow store is not SQLite: restore it with the database's own tools; "
                         "run restore without --workflow to restore the analytical store")
    tmp = Path(tempfile.mkdtemp(prefix="loanwatch-restore-"))
    try:
        manifest = verify_backup(path, tmp)
        duck = [f for f in manifest["files"] if f.startswith("analytics/") and f.endswith(".duckdb")]
        if len(duck) != 1:
            raise DataError(f"{Path(path).name}: the backup holds no analytical store")
        if restore_workflow and not manifest.get("workflow"):
            raise DataError(f"{Path(path).name}: the backup holds no workflow store (made with PostgreSQL)")
        try:
            generation = _publish(tmp / Path(duck[0]).name)
        except duckdb.Error as exc:
            raise DataError(f"{Path(path).name}: the analytical store in the backup cannot be read "
                            f"({str(exc).splitlines()[0]}); nothing was restored") from None
        except store.ContractError as exc:
            raise DataError(f"{Path(path).name}: the backup's data breaks the data contracts ({exc}); "
                            "nothing was restored") from None
        before = workflow.verify_audit(eng)[2]
        kept = _restore_workflow(tmp / "workflow.sqlite", eng) if restore_workflow else None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = {"path": str(Path(path).resolve()), "backup_generation": manifest["generation"],
              "backup_created_at": manifest["created_at"], "generation": generation,
              "workflow_restored": bool(kept), "workflow_kept_at": kept}
    workflow.audit("restore", actor=actor, origin=origin, target=result["path"],
                   details={**result, "audit_entries_before": before})
    return result
