"""The analytical store's publish pattern across processes: readers never blocked, killed writers publish nothing."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from data import contracts, store
from tests.conftest import REPO

READER = textwrap.dedent("""
    import json, sys, time
    from data import store
    r = store.reader()
    seen, errors, deadline = [], [], time.time() + float(sys.argv[1])
    while time.time() < deadline:
        try:
            seen.append(r.cursor().execute("SELECT count(*) FROM performance").fetchone()[0])
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.02)
    print(json.dumps({"seen": seen, "errors": errors}))
""")

SLOW_WRITER = textwrap.dedent("""
    import sys, time
    from data import store
    with store.new_generation() as con:
        con.execute("INSERT INTO performance SELECT loan_id, last_day(as_of + INTERVAL 3 MONTH), balance, dpd, "
                    "bucket, amount_due, amount_paid, overdue_amount, credit_limit, restructured "
                    "FROM performance WHERE as_of = DATE '2024-03-31' AND bucket NOT IN ('paid_off')")
        print("inserted", flush=True)
        time.sleep(float(sys.argv[1]))
""")


def _python(code: str, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_reader_in_another_process_keeps_answering_while_an_import_runs(tiny_store):
    before = tiny_store.execute("SELECT count(*) FROM performance").fetchone()[0]
    reader = _python(READER, "6")
    time.sleep(1.5)
    writer = _python(SLOW_WRITER, "2")
    assert writer.wait(timeout=60) == 0, writer.stderr.read()
    out, err = reader.communicate(timeout=60)
    result = json.loads(out)
    assert result["errors"] == []
    assert set(result["seen"]) == {before, before + 4}         # old data, then the new generation, nothing between
    assert result["seen"][0] == before and result["seen"][-1] == before + 4
    assert len(result["seen"]) > 50                             # it kept answering throughout


def test_import_killed_midway_leaves_published_data_unchanged(tiny_store):
    published = store.current_path()
    writer = _python(SLOW_WRITER, "60")
    assert writer.stdout.readline().strip() == "inserted"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    assert store.current_path() == published
    fresh = store.Reader()
    assert fresh.cursor().execute("SELECT count(*) FROM performance").fetchone()[0] == 16
    fresh.close()
    with store.new_generation() as con:                         # the lock died with the writer; strays are cleaned
        con.execute("DELETE FROM performance WHERE loan_id = 'L6'")
    assert not list(store.store_dir().glob("*.building*"))
    assert store.reader().cursor().execute("SELECT count(*) FROM performance").fetchone()[0] == 14


def test_exception_inside_a_writer_publishes_nothing(tiny_store):
    published = store.current_path()
    with pytest.raises(RuntimeError):
        with store.new_generation() as con:
            con.execute("DELETE FROM performance")
            raise RuntimeError("crash midway")
    assert store.current_path() == published
    assert tiny_store.execute("SELECT count(*) FROM performance").fetchone()[0] == 16


def test_broken_contract_is_not_published(tiny_store):
    published = store.current_path()
    with pytest.raises(store.ContractError) as info:
        with store.new_generation() as con:
            con.execute("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket) "
                        "VALUES ('L1', DATE '2024-03-31', 1, 0, 'current'), ('L9', DATE '2024-03-15', 1, 40, '1-30')")
    found = {(v.table, v.contract) for v in info.value.violations}
    assert found == {("performance", "unique key (loan_id, as_of)"), ("performance", "loan_id references loans"),
                     ("performance", "as_of is a month-end"), ("performance", "bucket agrees with dpd")}
    assert store.current_path() == published


def test_second_writer_is_refused_while_one_runs(tiny_store):
    writer = _python(SLOW_WRITER, "30")
    assert writer.stdout.readline().strip() == "inserted"
    try:
        with pytest.raises(store.StoreError, match="another import or batch job"):
            with store.new_generation():
                pass
    finally:
        writer.kill()
        writer.wait()


def test_old_generations_are_pruned(tiny_store, monkeypatch):
    monkeypatch.setenv("LOANWATCH_KEEP_GENERATIONS", "2")
    for _ in range(3):
        with store.new_generation():
            pass
    assert len(store.generations()) == 2
    assert store.current_path() == store.generations()[-1]


def test_contracts_pass_on_the_tiny_book(tiny_store):
    assert contracts.violations(tiny_store) == []
