"""Under CI (env CI set), a skipped test fails the run: browser and PostgreSQL tests must really run there.

Loaded by pytest.ini (`-p tests.ci_guard`). Locally skips stay skips, so a laptop without Chromium or
PostgreSQL can still run the rest; in CI a skip means the check silently did not happen.
"""
from __future__ import annotations

import os

import pytest

_skips: list[tuple[str, str]] = []


def _under_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:      # (file, line, "Skipped: reason")
        return str(longrepr[2])
    return str(longrepr)


def pytest_collectreport(report) -> None:
    if report.skipped:
        _skips.append((report.nodeid or "<collection>", _reason(report)))


def pytest_runtest_logreport(report) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skips.append((report.nodeid, _reason(report)))


def pytest_sessionfinish(session, exitstatus) -> None:
    if _under_ci() and _skips and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not (_under_ci() and _skips):
        return
    tr = terminalreporter
    tr.section("CI guard: skipped tests fail under CI", sep="=", red=True, bold=True)
    for nodeid, reason in _skips:
        tr.write_line(f"SKIPPED (counts as a failure) {nodeid}: {reason}", red=True)
    tr.write_line(f"{len(_skips)} skipped test(s): install what they need (see .ci/run) or unset CI to run "
                  "locally without them.", red=True, bold=True)
