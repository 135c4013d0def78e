"""Background jobs: training and monitoring started from a page run in a worker process while the user moves on.

`submit()` records a job (workflow table `jobs`: kind, params, status queued -> running -> done | failed, progress
0-1, message) and starts `python -m data.jobs JOB_ID` as a detached process, so the job survives the page's
reruns and even the Streamlit server. The worker runs the kind's function with a progress callback that writes
into the row; pages poll the row. A worker that dies without finishing is reported as failed the next time its job
is read (its process is gone). Starting and finishing are audited.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import sqlalchemy as sa

import config
from data import workflow
from data.errors import DataError, UsageError

ROOT = Path(__file__).resolve().parent.parent
ACTIVE = ("queued", "running")
Report = Callable[[float, str], None]          # progress 0-1, message
WRITE_EVERY = 0.5                              # at most one progress write per this many seconds


# ---- what each kind does -----------------------------------------------------------------------------------

# training's progress lines (models/train.py) and how far along each one is
TRAIN_STEPS = (("building features", 0.05), ("features:", 0.30), ("training on", 0.35), ("training: stopped", 0.80),
               ("validating", 0.82), ("SHAP values", 0.88), ("saved", 0.95))


def train_progress(message: str, last: float) -> float:
    """How far a training run is at one of its progress lines; tree counts creep towards the end of fitting."""
    if message.startswith("training: ") and " trees;" in message:
        trees = int(message.split()[1])
        return max(last, 0.35 + 0.45 * (1 - math.exp(-trees / 150)))
    for prefix, share in TRAIN_STEPS:
        if message.startswith(prefix):
            return max(last, share)
    return last


def _train(params: dict, report: Report) -> dict:
    from data import store
    from models import monitor
    from models.targets import resolve_target
    from models.train import train_model
    target = resolve_target(params["target"], params.get("horizon"), params.get("bad_dpd"))
    reader = store.reader()
    con = reader.cursor()
    state = {"p": 0.0}

    def say(message: str) -> None:
        state["p"] = train_progress(message, state["p"])
        report(state["p"], message)
    result = train_model(con, target, params["obs_from"], params["obs_to"], params["oot_from"],
                         seed=int(params.get("seed", 7)), progress=say, source=reader.path.name)
    report(0.96, "monitoring: stability and performance by month")
    months = monitor.monitoring_months(con, target.name, result.version)
    monitor.save_monitoring(monitor.monitoring(con, target.name, months, result.version))
    return {"target": target.name, "version": result.version,
            **{k: result.report[k] for k in ("auc", "gini", "ks", "brier", "psi")}}


def _monitor(params: dict, report: Report) -> dict:
    from data import store
    from models import monitor
    con = store.reader().cursor()
    months = monitor.monitoring_months(con, params["target"], params["version"])
    report(0.02, f"monitoring {len(months)} month-ends")
    m = monitor.monitoring(con, params["target"], months, params["version"],
                           progress=lambda i, n, month: report(i / n * 0.98, f"month-end {month:%Y-%m} done "
                                                                               f"({i} of {n})"))
    monitor.save_monitoring(m)
    return {"target": params["target"], "version": params["version"], "months": len(months),
            "data_to": str(m.data_to)}


KINDS: dict[str, Callable[[dict, Report], dict]] = {"train": _train, "monitor": _monitor}
REQUIRED = {"train": ("target", "obs_from", "obs_to", "oot_from"), "monitor": ("target", "version")}


# ---- the jobs table ----------------------------------------------------------------------------------------

def _row(r) -> dict:
    d = dict(r._mapping)
    d["params"] = json.loads(d["params"]) if d["params"] else {}
    d["result"] = json.loads(d["result"]) if d["result"] else None
    return d


def _update(job_id: int, **values) -> None:
    with workflow.engine().begin() as c:
        c.execute(workflow.jobs.update().where(workflow.jobs.c.job_id == job_id).values(**values))


def create(kind: str, params: dict, actor: str | None = None) -> int:
    """Record a queued job (UsageError for an unknown kind or missing parameters); returns its id."""
    if kind not in KINDS:
        raise UsageError(f"unknown job kind {kind!r}: one of {', '.join(KINDS)}")
    missing = [k for k in REQUIRED[kind] if params.get(k) in (None, "")]
    if missing:
        raise UsageError(f"a {kind} job needs {', '.join(missing)}")
    with workflow.engine().begin() as c:
        res = c.execute(workflow.jobs.insert().values(
            kind=kind, params=json.dumps(params, sort_keys=True, default=str), status="queued", progress=0.0,
            message="queued", actor=actor or workflow.operator(), created_at=workflow.now()))
        return int(res.inserted_primary_key[0])


def launch(job_id: int) -> int:
    """Start the worker process of a queued job, detached from this one; returns its process id."""
    logs = config.home() / "jobs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{job_id}.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "data.jobs", str(job_id)], cwd=ROOT, env=os.environ.copy(),
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    _update(job_id, pid=proc.pid)
    return proc.pid


def submit(kind: str, params: dict, actor: str | None = None, origin: str | None = None) -> int:
    """Record a job, audit its start (job_start) and launch its worker; returns the job id."""
    job_id = create(kind, params, actor)
    workflow.audit("job_start", actor=actor, origin=origin, target=f"{kind}/{job_id}", details=params)
    launch(job_id)
    return job_id


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:                                        # a finished child of this process is a zombie until reaped
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def _check_stale(job: dict) -> dict:
    """A running or launched job whose worker is gone failed (killed, out of memory, machine restarted)."""
    if job["status"] in ACTIVE and job["pid"] and not _alive(job["pid"]):
        message = "the worker process stopped without finishing (killed or out of memory); start the job again"
        finished = workflow.now()
        with workflow.engine().begin() as c:
            c.execute(workflow.jobs.update().where(workflow.jobs.c.job_id == job["job_id"],
                                                   workflow.jobs.c.status.in_(ACTIVE))
                      .values(status="failed", message=message, finished_at=finished))
        job = get(job["job_id"], check=False)
    return job


def get(job_id: int, check: bool = True) -> dict | None:
    """One job as a dict (params and result decoded), or None."""
    with workflow.engine().connect() as c:
        r = c.execute(sa.select(workflow.jobs).where(workflow.jobs.c.job_id == job_id)).first()
    if r is None:
        return None
    return _check_stale(_row(r)) if check else _row(r)


def recent(limit: int = 10, kinds: tuple[str, ...] | None = None) -> list[dict]:
    """The latest jobs, newest first (active ones checked for a lost worker)."""
    q = sa.select(workflow.jobs).order_by(workflow.jobs.c.job_id.desc()).limit(limit)
    if kinds:
        q = q.where(workflow.jobs.c.kind.in_(kinds))
    with workflow.engine().connect() as c:
        rows = [_row(r) for r in c.execute(q)]
    return [_check_stale(j) for j in rows]


def active(kinds: tuple[str, ...] | None = None) -> list[dict]:
    """Queued and running jobs, newest first."""
    return [j for j in recent(50, kinds) if j["status"] in ACTIVE]


def wait(job_id: int, timeout: float = 600, poll: float = 0.2) -> dict:
    """Block until a job is done or failed (tests, scripts); TimeoutError after `timeout` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = get(job_id)
        if job["status"] not in ACTIVE:
            return job
        time.sleep(poll)
    raise TimeoutError(f"job {job_id} still {job['status']} after {timeout} s")


# ---- the worker --------------------------------------------------------------------------------------------

def _failure(exc: BaseException) -> str:
    """One line for the page: our own errors as they are, anything else with its type."""
    from data.store import StoreError
    if isinstance(exc, (DataError, UsageError, StoreError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def run(job_id: int) -> dict:
    """Run a queued job here (the worker's body; tests call it in-process); returns the finished job."""
    job = get(job_id, check=False)
    if job is None:
        raise UsageError(f"no job {job_id}")
    _update(job_id, status="running", started_at=workflow.now(), pid=os.getpid(), message="started")
    last = {"at": 0.0}

    def report(progress: float, message: str) -> None:
        now = time.monotonic()
        if now - last["at"] >= WRITE_EVERY:
            last["at"] = now
            _update(job_id, progress=min(max(float(progress), 0.0), 1.0), message=message[:500])
    try:
        with workflow.acting_as(job["actor"], "job"):
            result = KINDS[job["kind"]](job["params"], report)
    except Exception as exc:            # the worker's boundary: the row says what went wrong
        message = _failure(exc)
        _update(job_id, status="failed", message=message, finished_at=workflow.now())
        workflow.audit("job_finish", actor=job["actor"], origin="job", target=f"{job['kind']}/{job_id}",
                       details={"status": "failed", "message": message})
        return get(job_id, check=False)
    _update(job_id, status="done", progress=1.0, message="done", finished_at=workflow.now(),
            result=json.dumps(result, sort_keys=True, default=str))
    workflow.audit("job_finish", actor=job["actor"], origin="job", target=f"{job['kind']}/{job_id}",
                   details={"status": "done", **result})
    return get(job_id, check=False)


def train_window(months: list, horizon: int, oot_months: int = 3, max_months: int = 24) -> tuple | None:
    """Suggested (obs_from, obs_to, oot_from) month-ends for training on a book with these month-ends: the last
    observation month whose whole window is in the data, the last `oot_months` of them out of time, at most
    `max_months` in all; None when the book is too short for the horizon."""
    months = sorted(months)
    last = len(months) - 1 - horizon
    first = max(0, last - max_months + 1)
    if last - first < oot_months:
        return None
    return months[first], months[last], months[last - oot_months + 1]


if __name__ == "__main__":
    finished = run(int(sys.argv[1]))
    sys.exit(0 if finished["status"] == "done" else 1)
