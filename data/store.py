"""The analytical store: DuckDB generations built aside and published atomically through a pointer file.

Writers (imports, the demo builder, the daily run) take a lock, copy the current generation to a building
file, change it, check the data contracts, CHECKPOINT and close it, rename it into place and only then
move the pointer. Readers open the generation the pointer names read-only and reopen when it moves. A
writer that dies midway leaves only a stray building file: the pointer, and so every reader, is untouched.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

import config
from data import contracts

SCHEMA_SQL = Path(__file__).with_name("schema.sql")
POINTER = "CURRENT"


class StoreError(Exception):
    """A problem with the analytical store that the user can act on."""


class ContractError(StoreError):
    def __init__(self, found: list[contracts.Violation]):
        self.violations = found
        super().__init__("data contracts broken: " + "; ".join(str(v) for v in found[:5]))


def store_dir(home: Path | None = None) -> Path:
    path = (home or config.home()) / "analytics"
    path.mkdir(parents=True, exist_ok=True)
    return path


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA_SQL.read_text())


def current_path(home: Path | None = None) -> Path | None:
    """The published generation, or None when nothing has been published yet."""
    pointer = store_dir(home) / POINTER
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        return None
    return store_dir(home) / name


def has_data(home: Path | None = None) -> bool:
    path = current_path(home)
    return path is not None and path.exists()


@contextmanager
def _writer_lock(directory: Path) -> Iterator[None]:
    with open(directory / "writer.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError("another import or batch job is writing the analytical store; try again when it ends")
        yield


@contextmanager
def new_generation(home: Path | None = None, *, start_empty: bool = False,
                   check: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to a copy of the current data; published when the block ends without error."""
    directory = store_dir(home)
    with _writer_lock(directory):
        for stray in directory.glob("*.building*"):
            stray.unlink()                      # left by a writer that was killed
        stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{time.time_ns() % 1_000_000_000:09d}"
        building = directory / f"gen-{stamp}.building"
        source = current_path(home)
        if source is not None and source.exists() and not start_empty:
            shutil.copyfile(source, building)
        con = duckdb.connect(str(building))
        try:
            create_schema(con)
            yield con
            if check:
                found = contracts.violations(con)
                if found:
                    raise ContractError(found)
            con.execute("CHECKPOINT")
        except BaseException:
            con.close()
            building.unlink(missing_ok=True)
            Path(str(building) + ".wal").unlink(missing_ok=True)
            raise
        con.close()
        final = directory / f"gen-{stamp}.duckdb"
        os.replace(building, final)
        _fsync_dir(directory)
        tmp_pointer = directory / (POINTER + ".tmp")
        tmp_pointer.write_text(final.name)
        os.replace(tmp_pointer, directory / POINTER)
        _fsync_dir(directory)
        _prune(directory, keep=config.setting("keep_generations"))


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(directory: Path, keep: int) -> None:
    current = (directory / POINTER).read_text().strip()
    generations = sorted(directory.glob("gen-*.duckdb"))
    for old in generations[:-keep]:
        if old.name != current:
            old.unlink(missing_ok=True)      # open readers keep their file handle; the data stays readable


def generations(home: Path | None = None) -> list[Path]:
    """Published generations on disk, oldest first (point-in-time copies)."""
    return sorted(store_dir(home).glob("gen-*.duckdb"))


class Reader:
    """One read-only connection per process, reopened when a newer generation is published."""

    def __init__(self, home: Path | None = None):
        self.home = home
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._path: Path | None = None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the newest published generation (one per call or thread)."""
        with self._lock:
            path = current_path(self.home)
            if path is None or not path.exists():
                raise StoreError("no data has been published yet: build the demo (python cli.py demo) "
                                 "or import a portfolio (python cli.py import ...)")
            if path != self._path:
                if self._con is not None:
                    self._con.close()
                self._con = duckdb.connect(str(path), read_only=True)
                self._path = path
            return self._con.cursor()

    @property
    def path(self) -> Path | None:
        return self._path

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con, self._path = None, None


_readers: dict[str, Reader] = {}


def reader(home: Path | None = None) -> Reader:
    key = str(home or config.home())
    if key not in _readers:
        _readers[key] = Reader(home)
    return _readers[key]
