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
    Setting("tier_dpd_floors", (90, 270, 360), "Five-tier floors: more than these days overdue -> at least "
            "Substandard, Doubtful, Loss (more than technical_grace_days -> at least Special mention)."),
    Setting("card_dpd_floors", (90, 120, 180), "Credit-card floors: 1 to the first -> Special mention, then "
            "Substandard up to the second, Doubtful up to the third, Loss above it."),
    Setting("ecl_floor_doubtful", 0.5, "ECL at least this share of the balance -> at least Doubtful."),
    Setting("ecl_floor_loss", 0.9, "ECL at least this share of the balance -> Loss."),
    Setting("contagion_share", 0.10, "A business borrower with more than this share of its claims (by balance) "
            "non-performing has all its claims non-performing."),
    Setting("restructure_observation_months", 12, "Months after a restructuring during which the loan's "
            "five-tier classification cannot improve."),
    Setting("stage2_dpd", 30, "IFRS 9: more than this many days past due -> at least Stage 2 (backstop)."),
    Setting("stage3_dpd", 90, "IFRS 9: more than this many days past due -> Stage 3 (backstop)."),
    Setting("sicr_pd_multiple", 2.0, "IFRS 9: PD now at least this multiple of the PD at origination -> Stage 2."),
    Setting("pd_window_months", 12, "Monthly transitions (up to the month-end) that estimate the Markov-chain PD."),
    Setting("default_lifetime_months", 36, "Lifetime in months for loans without a maturity (revolving credit)."),
    Setting("lgd_source", "book", "LGD per product: 'book' (1 - recoveries / charged-off amount from "
            "dispositions, lgd_table where a product has no charge-offs yet) or 'table'."),
    Setting("lgd_table", "card=0.75,consumer=0.65,sme=0.45,mortgage=0.20,*=0.45",
            "Policy LGD per product (product=share, '*' for any other product)."),
    Setting("lgd_recovery_kinds", "recovery", "Disposition kinds counted as recovered cash for the book LGD "
            "(add settlement,sale when a source records them apart from recoveries)."),
    Setting("revolving_ccf", 0.5, "Credit conversion factor: share of the undrawn limit of revolving credit "
            "added to the exposure at default."),
    Setting("pd_grade_edges", (25, 50, 100, 200, 400, 800, 1600, 3200),
            "Model master scale: upper PD edge of each risk grade in basis points (100 = 1%); G1 is PD up to the "
            "first edge, ... and the last grade is PD above the last edge."),
    Setting("psi_bands", (10, 25), "PSI and CSI bands in hundredths: below the first stable, up to the second "
            "watch, above it shifted (0.10 and 0.25)."),
    Setting("score_reason_loans", 10_000, "Batch scoring precomputes reason codes (SHAP) for this many of the "
            "riskiest loans per target; the others are explained on demand."),
    Setting("keep_generations", 3, "Published analytical-store generations kept on disk (older ones are pruned)."),
    Setting("import_chunk_rows", 200_000, "Rows read per chunk from a SQL source or a large file."),
    Setting("problem_report_rows", 50, "Problems listed in an import's report (the rest are counted)."),
    Setting("demo_end_month", "2026-10", "Last month-end of a demo book unless --end is given (fixed, so a seed is reproducible)."),
    Setting("currency", "CNY", "Reporting currency of the demo workspace."),
    Setting("login_sleep_time", 0.7, "Seconds each logged-out page run waits for the login cookie (tests use 0)."),
    Setting("session_days", 1.0, "Days a remembered login (cookie) stays valid."),
    Setting("max_failed_logins", 5, "Consecutive failed logins that lock an account."),
    Setting("lockout_minutes", 15, "Minutes an account stays locked after too many failed logins."),
    Setting("idle_timeout_minutes", 30.0, "Minutes without a click after which a session is logged out "
            "(a remembered login of a user idle that long is refused too)."),
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
