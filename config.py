"""One settings registry: every tunable a bank would change, with its default and help text."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: dict[str, Setting] = {s.name: s for s in [
    Setting("bucket_edges", (0, 30, 60, 90, 120, 150, 180),
            "Upper DPD edge of each bucket: current is 0, then 1-30, 31-60, ... 151-180, then 180+."),
    Setting("charge_off_dpd", 180, "Days past due after which an unsecured loan is charged off."),
    Setting("technical_grace_days", 7, "Overdue days treated as a technical delay by the five-tier floors."),
    Setting("keep_generations", 3, "Published analytical-store generations kept on disk (older ones are pruned)."),
    Setting("import_chunk_rows", 200_000, "Rows read per chunk from a SQL source or a large file."),
    Setting("problem_report_rows", 50, "Problems listed in an import's report (the rest are counted)."),
    Setting("demo_end_month", "2026-10", "Last month-end of a demo book unless --end is given (fixed, so a seed is reproducible)."),
    Setting("currency", "CNY", "Reporting currency of the demo workspace."),
    Setting("login_sleep_time", 0.7, "Seconds each logged-out page run waits for the login cookie (tests use 0)."),
    Setting("session_days", 1.0, "Days a remembered login (cookie) stays valid."),
]}


def setting(name: str) -> Any:
    """The value of a setting: environment LOANWATCH_<NAME> overrides the default."""
    s = SETTINGS[name]
    raw = os.environ.get(f"LOANWATCH_{name.upper()}")
    if raw is None:
        return s.default
    if isinstance(s.default, bool):
        return raw.lower() in ("1", "true", "yes")
    if isinstance(s.default, int):
        return int(raw)
    if isinstance(s.default, float):
        return float(raw)
    if isinstance(s.default, tuple):
        return tuple(int(x) for x in raw.split(","))
    return raw


def home() -> Path:
    """The folder that holds every runtime file (LOANWATCH_HOME, default ./var)."""
    path = Path(os.environ.get("LOANWATCH_HOME", Path(__file__).resolve().parent / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


BUCKETS = ("current", "1-30", "31-60", "61-90", "91-120", "121-150", "151-180", "180+")
TERMINAL = ("charged_off", "paid_off")
ALL_STATES = BUCKETS + TERMINAL
PRODUCTS = ("consumer", "card", "sme", "mortgage")
ROLES = ("admin", "risk_manager", "executive", "model_validator", "credit_officer", "collector")
