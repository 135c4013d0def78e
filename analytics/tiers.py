"""Five-tier classification, IFRS 9 stage and ECL of every open loan at one month-end (pure numpy).

Floors (DOMAIN.md, thresholds from config settings); a loan's tier is the worst of them, and `rule` names the
first floor, in this order, that reaches that tier:
  dpd           more than technical_grace_days overdue -> Special mention; more than 90 / 270 / 360 ->
                Substandard / Doubtful / Loss (tier_dpd_floors). 1-7 days overdue stays Normal: rule
                `technical_delay`; not overdue: `performing`.
  card_dpd      product 'card' or product_type 'revolving': 1-90 Special mention, 91-120 Substandard,
                121-180 Doubtful, over 180 Loss (card_dpd_floors; no technical grace).
  ecl_ratio     ECL at least 50% of the balance -> Doubtful, at least 90% -> Loss. The ECL compared is the
                one on the drawn balance (PD x LGD x balance), so the ratio is PD x LGD; for revolving credit
                the undrawn part of EAD would otherwise make a barely used card look like a loss.
  contagion     a business borrower with more than 10% of its claims (by balance) Substandard or worse: all its
                claims at least Substandard.
  restructured  during the observation period (restructure_observation_months from the first month-end of a
                run of `restructured` rows) the tier cannot improve on the loan's previous month-end tier.
  override      a credit officer's tier (only ever worse than the floors; a better one is ignored).
Stage: 3 when more than 90 DPD or Substandard or worse; 2 when more than 30 DPD, on the watch list or PD now at
least twice the PD at origination; else 1. ECL = PD x LGD x EAD with the 12-month PD (capped at the remaining
term) in Stage 1 and the lifetime PD (remaining term) in Stages 2-3; EAD = balance, plus undrawn limit x CCF
for revolving credit. Floors that depend on the tier (ECL ratio, contagion) are iterated to a fixed point.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import config

TIERS = ("normal", "special_mention", "substandard", "doubtful", "loss")
NORMAL, SPECIAL, SUBSTANDARD, DOUBTFUL, LOSS = range(5)
RULES = ("performing", "technical_delay", "dpd", "card_dpd", "ecl_ratio", "contagion", "restructured", "override")
R_PERF, R_TECH, R_DPD, R_CARD, R_ECL, R_CONT, R_RESTR, R_OVER = range(len(RULES))
STAGES = (1, 2, 3)


@dataclass(frozen=True)
class Policy:
    """The thresholds, read once from config settings."""
    grace: int = 7
    dpd_floors: tuple[int, int, int] = (90, 270, 360)
    card_floors: tuple[int, int, int] = (90, 120, 180)
    ecl_doubtful: float = 0.5
    ecl_loss: float = 0.9
    contagion_share: float = 0.10
    observation_months: int = 12
    stage2_dpd: int = 30
    stage3_dpd: int = 90
    sicr_multiple: float = 2.0
    ccf: float = 0.5

    @classmethod
    def from_settings(cls) -> "Policy":
        s = config.setting
        return cls(s("technical_grace_days"), tuple(s("tier_dpd_floors")), tuple(s("card_dpd_floors")),
                   s("ecl_floor_doubtful"), s("ecl_floor_loss"), s("contagion_share"),
                   s("restructure_observation_months"), s("stage2_dpd"), s("stage3_dpd"), s("sicr_pd_multiple"),
                   s("revolving_ccf"))


@dataclass
class LoanMonth:
    """The open loans at one month-end, one array entry per loan."""
    dpd: np.ndarray                  # exact days past due
    bucket: np.ndarray               # index into config.BUCKETS
    balance: np.ndarray              # outstanding balance
    undrawn: np.ndarray              # credit limit - balance, not below 0 (0 without a limit)
    card: np.ndarray                 # card product or revolving credit
    product: np.ndarray              # index into the PD curves and LGD array
    remaining: np.ndarray            # months to maturity, at least 1 (default_lifetime_months without one)
    borrower: np.ndarray             # borrower number (0 .. n-1)
    business: np.ndarray             # non-retail borrower
    observation: np.ndarray          # in a restructuring observation period
    carry: np.ndarray                # tier at the previous month-end, -1 when unknown
    override: np.ndarray = field(default=None)     # officer's tier, -1 for none
    watch: np.ndarray = field(default=None)        # on the watch list
    sicr: np.ndarray = field(default=None)         # PD now >= sicr_multiple x PD at origination


@dataclass
class Classified:
    tier: np.ndarray
    rule: np.ndarray
    stage: np.ndarray
    pd: np.ndarray
    lgd: np.ndarray
    ead: np.ndarray
    ecl: np.ndarray


def dpd_floor(dpd: np.ndarray, card: np.ndarray, p: Policy) -> tuple[np.ndarray, np.ndarray]:
    """(tier, rule) from days overdue alone: the general floors, or the card floors for card products."""
    sub, dbt, loss = p.dpd_floors
    general = np.select([dpd > loss, dpd > dbt, dpd > sub, dpd > p.grace], [LOSS, DOUBTFUL, SUBSTANDARD, SPECIAL],
                        NORMAL)
    c1, c2, c3 = p.card_floors
    cards = np.select([dpd > c3, dpd > c2, dpd > c1, dpd > 0], [LOSS, DOUBTFUL, SUBSTANDARD, SPECIAL], NORMAL)
    tier = np.where(card, cards, general).astype(np.int8)
    rule = np.where(tier > NORMAL, np.where(card, R_CARD, R_DPD), np.where(dpd > 0, R_TECH, R_PERF))
    return tier, rule.astype(np.int8)


def classify(m: LoanMonth, curves: np.ndarray, lgd_by_product: np.ndarray, p: Policy) -> Classified:
    """Tier, deciding rule, stage, PD, LGD, EAD and ECL of each loan (see the module docstring)."""
    n = len(m.dpd)
    none = np.full(n, -1, dtype=np.int8)
    override = none if m.override is None else m.override.astype(np.int8)
    watch = np.zeros(n, bool) if m.watch is None else m.watch
    sicr = np.zeros(n, bool) if m.sicr is None else m.sicr
    f_dpd, r_dpd = dpd_floor(m.dpd, m.card, p)
    f_restr = np.where(m.observation, m.carry, -1).astype(np.int8)
    f_ecl = none.copy()
    f_cont = none.copy()
    horizon = curves.shape[2] - 1
    life = np.minimum(m.remaining, horizon)
    pd12 = curves[m.product, m.bucket, np.minimum(life, 12)] if n else np.zeros(0)
    pd_life = curves[m.product, m.bucket, life] if n else np.zeros(0)
    lgd = lgd_by_product[m.product] if n else np.zeros(0)
    ead = m.balance + np.where(m.card, m.undrawn * p.ccf, 0.0)
    for _ in range(20):                       # tiers only rise, so this reaches a fixed point in a few rounds
        tier = np.maximum.reduce([f_dpd, f_restr, override, f_ecl, f_cont])
        f_cont_new = _contagion(tier, m, p)
        tier = np.maximum(tier, f_cont_new)
        stage = _stage(tier, m.dpd, watch, sicr, p)
        pd = np.where(stage == 1, pd12, pd_life)
        ecl = pd * lgd * ead
        ratio = np.where(ead > 0, pd * lgd, 0.0)          # = ECL on the drawn balance / balance
        f_ecl_new = np.select([ratio >= p.ecl_loss, ratio >= p.ecl_doubtful], [LOSS, DOUBTFUL], -1).astype(np.int8)
        if np.array_equal(f_ecl_new, f_ecl) and np.array_equal(f_cont_new, f_cont):
            break
        f_ecl, f_cont = np.maximum(f_ecl, f_ecl_new), np.maximum(f_cont, f_cont_new)
    rule = np.select([f_dpd == tier, f_ecl == tier, f_cont == tier, f_restr == tier, override == tier],
                     [r_dpd, R_ECL, R_CONT, R_RESTR, R_OVER], r_dpd).astype(np.int8)
    return Classified(tier.astype(np.int8), rule, stage.astype(np.int8), pd, lgd, ead, ecl)


def _stage(tier: np.ndarray, dpd: np.ndarray, watch: np.ndarray, sicr: np.ndarray, p: Policy) -> np.ndarray:
    return np.select([(dpd > p.stage3_dpd) | (tier >= SUBSTANDARD), (dpd > p.stage2_dpd) | watch | sicr], [3, 2], 1)


def _contagion(tier: np.ndarray, m: LoanMonth, p: Policy) -> np.ndarray:
    """Substandard for every claim of a business borrower with more than contagion_share of its balance NPL."""
    if not m.business.any():
        return np.full(len(tier), -1, dtype=np.int8)
    nb = int(m.borrower.max()) + 1
    total = np.bincount(m.borrower, weights=m.balance * m.business, minlength=nb)
    npl = np.bincount(m.borrower, weights=m.balance * m.business * (tier >= SUBSTANDARD), minlength=nb)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, npl / total, 0.0)
    hit = m.business & (share[m.borrower] > p.contagion_share)
    return np.where(hit, SUBSTANDARD, -1).astype(np.int8)
