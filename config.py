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
    # Early-warning signals (signals/), alerts (data/alerts.py) and periodic reviews (data/reviews.py)
    Setting("ew_first_missed_min_dpd", 1, "First missed payment: days past due now at least this, 0 a month before."),
    Setting("ew_partial_share", 0.95, "Partial payment: paid in the month more than 0 but below this share of "
            "the instalments due in the month."),
    Setting("ew_score_drop_points", 50, "Bureau score down at least this many points ..."),
    Setting("ew_score_drop_months", 3, "... from its highest in this many months before the latest pull."),
    Setting("ew_inquiries_30d", 3, "New credit inquiries in 30 days at or above which the signal fires."),
    Setting("ew_salary_months", 2, "Salary deposits stopped: this many month-ends in a row without a salary, "
            "after one with a salary."),
    Setting("ew_drain_share", 0.70, "Balance drained: deposit balance down by more than this share ..."),
    Setting("ew_drain_months", 3, "... from its highest in this many month-ends before ..."),
    Setting("ew_drain_min_balance", 2000.0, "... when that highest balance was at least this (yuan)."),
    Setting("ew_utilisation", 0.90, "Revolving utilisation above this share of the limit."),
    Setting("ew_unreachable_attempts", 3, "Phone unreachable: failed contact attempts since the last contact ..."),
    Setting("ew_unreachable_days", 90, "... counted over this many days (calls, visits and the contact feed)."),
    Setting("ew_model_target", "early_warning", "Model target whose champion's scores the PD signal reads."),
    Setting("ew_pd_threshold", 0.30, "Early-warning PD at or above which the PD signal fires ..."),
    Setting("ew_pd_multiple", 2.0, "... or at least this multiple of the month before ..."),
    Setting("ew_pd_min_prev", 0.02, "... when the PD a month before was at least this."),
    Setting("alert_due_days", "critical=1,high=3,medium=7,low=14", "Days to act on an alert, by severity."),
    Setting("review_first_days", "consumer=30,card=90,sme=30,mortgage=60,*=30",
            "First review (use of funds) within this many days of disbursement, by product ('*' any other)."),
    Setting("review_cadence_months", (1, 3, 12), "Periodic review every this many months for high, medium and "
            "low risk (high: Substandard or worse or a high PD; medium: Special mention or a medium PD)."),
    Setting("review_pd_bands", (3, 10), "PD in percent from which a loan is medium and high risk for reviews."),
    Setting("review_trigger_dpd", 60, "Interest more than this many days overdue triggers a review."),
    Setting("review_triggered_days", 14, "Days to complete a triggered (ad hoc) review."),
    Setting("review_lead_days", 30, "The daily run creates periodic reviews falling due within this many days."),
    Setting("review_checklist", "consumer=income,employment,use_of_funds,contact;card=income,utilisation,contact;"
            "sme=financials,site_visit,collateral,use_of_funds,guarantor;mortgage=income,collateral,insurance;"
            "*=income,use_of_funds,contact", "Review checklist items by product ('*' any other; items ';'-separated "
            "per product, ','-separated within).", ),
    # Collections (collection/): risk for segmentation, queues, promises to pay, channel costs
    Setting("collections_risk_target", "early_warning", "Model target whose champion's PD at the month-end is "
            "an account's collection risk; without one, the book's roll-forward rate of its bucket x product."),
    Setting("collections_roll_months", 12, "Month-to-month transitions (up to the month-end) that estimate the "
            "fallback roll-forward rate."),
    Setting("collections_agent_capacity", 200, "Accounts in an agent's queue at most (agents seeded from the "
            "book's collection actions get this capacity)."),
    Setting("ptp_grace_days", 2, "A promise to pay is judged on payments up to this many days after its date."),
    Setting("ptp_tolerance", 0.01, "A promise is kept when net payments reach the promised amount less this "
            "share of it."),
    Setting("collection_channel_costs", "sms=0.05,app_push=0.01,email=0.02,robo_call=0.30,agent_call=4,letter=3,"
            "field_visit=80,agency=25,legal=400", "Cost of one action per channel (yuan), for cost per unit "
            "collected."),
    Setting("cc_min_effect", 0.02, "Champion/challenger: a difference in rates smaller than this (0.02 = 2 "
            "points) is not worth detecting; when the arms are too small to detect it at 80% power, the verdict "
            "is 'sample too small to tell'."),
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
