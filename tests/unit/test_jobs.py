"""Background jobs (data/jobs.py): the jobs row through queued -> running -> done | failed, progress, messages,
a real worker process, a lost worker, and the suggested training window."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from data import jobs, workflow
from data.errors import DataError, UsageError


@pytest.fixture
def kinds(monkeypatch):
    """Two kinds for the in-process tests: one that reports progress and finishes, one that fails."""
    def counts(params, report):
        for i in range(3):
            report((i + 1) / 4, f"step {i + 1}")
        return {"total": sum(params["numbers"])}

    def broken(params, report):
        report(0.3, "reading")
        raise DataError("months missing: no performance data at 2030-01")
    monkeypatch.setattr(jobs, "WRITE_EVERY", 0.0)
    monkeypatch.setitem(jobs.KINDS, "count", counts)
    monkeypatch.setitem(jobs.KINDS, "broken", broken)
    monkeypatch.setitem(jobs.REQUIRED, "count", ("numbers",))
    monkeypatch.setitem(jobs.REQUIRED, "broken", ())


def test_a_job_that_completes(kinds):
    job_id = jobs.create("count", {"numbers": [1, 2, 3]}, actor="validator")
    queued = jobs.get(job_id)
    assert (queued["status"], queued["progress"], queued["actor"]) == ("queued", 0.0, "validator")
    done = jobs.run(job_id)
    assert done["status"] == "done" and done["progress"] == 1.0 and done["result"] == {"total": 6}
    assert done["started_at"] is not None and done["finished_at"] >= done["started_at"]
    entry = workflow.audit_entries(action="job_finish", limit=1)[0]
    assert entry["actor"] == "validator" and entry["target"] == f"count/{job_id}"
    assert json.loads(entry["details"]) == {"status": "done", "total": 6}
    assert jobs.active() == [] and jobs.recent(1)[0]["job_id"] == job_id


def test_a_job_that_fails_says_why(kinds):
    job_id = jobs.create("broken", {}, actor="admin")
    failed = jobs.run(job_id)
    assert failed["status"] == "failed"
    assert failed["message"] == "months missing: no performance data at 2030-01"      # our error, as it is
    assert failed["progress"] == pytest.approx(0.3)                                   # how far it got
    assert json.loads(workflow.audit_entries(action="job_finish", limit=1)[0]["details"])["status"] == "failed"


def test_an_unexpected_error_names_its_type(kinds, monkeypatch):
    monkeypatch.setitem(jobs.KINDS, "broken", lambda p, r: {}["missing"])
    failed = jobs.run(jobs.create("broken", {}))
    assert failed["message"] == "KeyError: 'missing'"


def test_unknown_kinds_and_missing_parameters_are_refused():
    with pytest.raises(UsageError, match="unknown job kind"):
        jobs.create("dance", {})
    with pytest.raises(UsageError, match="a train job needs obs_from, obs_to, oot_from"):
        jobs.create("train", {"target": "behaviour"})


def test_a_worker_that_died_is_reported_failed(kinds):
    job_id = jobs.create("count", {"numbers": [1]})
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with workflow.engine().begin() as c:
        c.execute(workflow.jobs.update().where(workflow.jobs.c.job_id == job_id).values(status="running",
                                                                                       pid=dead.pid))
    job = jobs.get(job_id)
    assert job["status"] == "failed" and "stopped without finishing" in job["message"]


def test_a_real_worker_process_reports_a_clear_failure():
    # a training job on an empty workspace: the worker process runs, fails, and the row says what to do
    job_id = jobs.submit("train", {"target": "early_warning", "obs_from": "2025-01", "obs_to": "2025-06",
                                   "oot_from": "2025-05"}, actor="validator")
    assert workflow.audit_entries(action="job_start", limit=1)[0]["target"] == f"train/{job_id}"
    job = jobs.wait(job_id, timeout=120)
    assert job["status"] == "failed", job
    assert job["message"].startswith("no data has been published yet: build the demo"), job["message"]
    assert job["finished_at"] is not None


def test_training_progress_follows_the_training_lines():
    p = jobs.train_progress("building features for 11 month-ends, 2024-12 to 2025-10", 0.0)
    assert p == 0.05
    p = jobs.train_progress("training: 150 trees; early-stopping sample binary_logloss 0.15", p)
    # 0.35 + 0.45 x (1 - e^-1) = 0.6345 by hand
    assert p == pytest.approx(0.35 + 0.45 * (1 - 2.718281828459045 ** -1))
    assert jobs.train_progress("features: 17,392 loan-months", p) == p          # never goes back
    assert jobs.train_progress("saved behaviour version x", p) == 0.95


def test_suggested_training_window():
    months = [dt.date(2026, m, 28) for m in range(1, 13)]          # 12 month-ends (day does not matter here)
    # 3-month horizon: month 9 (index 8) is the last with a whole window; 3 out-of-time months 7..9
    assert jobs.train_window(months, 3) == (months[0], months[8], months[6])
    assert jobs.train_window(months, 12) is None                    # no observation month has 12 months after it
    assert jobs.train_window(months, 3, max_months=5) == (months[4], months[8], months[6])
