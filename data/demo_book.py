"""Demo book: the calendar, reference data (regions, branches, products) and the loans of one chunk."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BURN_IN = 8                 # months simulated before the window so the first month-end already has arrears
CONSUMER, CARD, SME, MORTGAGE = 0, 1, 2, 3
PRODUCT_NAMES = np.array(["consumer", "card", "sme", "mortgage"], dtype=object)
PRODUCT_MIX = (0.50, 0.30, 0.10, 0.10)
GRADES = np.array(["A", "B", "C", "D", "E"], dtype=object)
GRADE_MIX = {CONSUMER: (0.18, 0.30, 0.27, 0.17, 0.08), CARD: (0.20, 0.30, 0.26, 0.16, 0.08),
             SME: (0.15, 0.33, 0.32, 0.15, 0.05), MORTGAGE: (0.35, 0.38, 0.20, 0.06, 0.01)}
SEASONED_SHARE = 0.55       # loans already on the book before the first month-end

# region, province, city, 6-digit administrative code (ID cards), branches
CITIES = [
    ("East", "上海市", "Shanghai", 310115, ("Shanghai Pudong", "Shanghai Huangpu", "Shanghai Minhang")),
    ("East", "江苏省", "Nanjing", 320102, ("Nanjing Xuanwu",)),
    ("East", "江苏省", "Suzhou", 320505, ("Suzhou Industrial Park", "Suzhou Gusu")),
    ("East", "浙江省", "Hangzhou", 330106, ("Hangzhou Xihu", "Hangzhou Binjiang")),
    ("East", "浙江省", "Ningbo", 330203, ("Ningbo Haishu",)),
    ("East", "山东省", "Qingdao", 370202, ("Qingdao Shinan",)),
    ("North", "北京市", "Beijing", 110105, ("Beijing Chaoyang", "Beijing Haidian", "Beijing Xicheng")),
    ("North", "天津市", "Tianjin", 120101, ("Tianjin Heping",)),
    ("North", "河北省", "Shijiazhuang", 130102, ("Shijiazhuang Chang'an",)),
    ("South", "广东省", "Guangzhou", 440106, ("Guangzhou Tianhe", "Guangzhou Yuexiu")),
    ("South", "广东省", "Shenzhen", 440305, ("Shenzhen Nanshan", "Shenzhen Futian")),
    ("South", "福建省", "Xiamen", 350203, ("Xiamen Siming",)),
    ("Central", "湖北省", "Wuhan", 420106, ("Wuhan Wuchang", "Wuhan Jianghan")),
    ("Central", "湖南省", "Changsha", 430103, ("Changsha Tianxin",)),
    ("Central", "河南省", "Zhengzhou", 410105, ("Zhengzhou Jinshui",)),
    ("Southwest", "四川省", "Chengdu", 510104, ("Chengdu Jinjiang", "Chengdu Wuhou")),
    ("Southwest", "重庆市", "Chongqing", 500103, ("Chongqing Yuzhong",)),
    ("Northwest", "陕西省", "Xi'an", 610113, ("Xi'an Yanta",)),
    ("Northeast", "辽宁省", "Shenyang", 210102, ("Shenyang Heping",)),
    ("Northeast", "黑龙江省", "Harbin", 230102, ("Harbin Daoli",)),
]
CITY_WEIGHTS = np.array([9, 4, 4, 5, 3, 3, 9, 3, 2, 6, 7, 2, 4, 3, 3, 4, 3, 2, 2, 2], dtype=float)
OFFICERS_PER_BRANCH = 5

PURPOSES = {CONSUMER: ("home_improvement", "education", "travel", "durables", "medical", "wedding", "car"),
            CARD: ("revolving",), SME: ("working_capital", "equipment", "expansion", "inventory"),
            MORTGAGE: ("home_purchase",)}


def branches() -> list[tuple[str, str, str]]:
    """(region, city, branch) of every demo branch, in a fixed order."""
    return [(region, city, b) for region, _prov, city, _code, bs in CITIES for b in bs]


def officer_codes(branch_no: np.ndarray, slot: np.ndarray) -> np.ndarray:
    return np.array([f"OF{b:03d}-{s + 1:02d}" for b, s in zip(branch_no, slot)], dtype=object)


# ---------------------------------------------------------------- calendar (months are numpy datetime64[M] ints)
def month_index(yyyy_mm: str) -> int:
    return int(np.datetime64(yyyy_mm, "M").astype(np.int64))


def month_start(a: np.ndarray | int) -> np.ndarray:
    """Day number (days since 1970-01-01) of the first day of absolute month a."""
    return np.asarray(a, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def month_end(a: np.ndarray | int) -> np.ndarray:
    return month_start(np.asarray(a, dtype=np.int64) + 1) - 1


def day_of(a: np.ndarray | int, day: np.ndarray | int) -> np.ndarray:
    """Day number of day `day` (1-based, at most the month's length) in month a."""
    return month_start(a) + np.asarray(day, dtype=np.int64) - 1


# ---------------------------------------------------------------- economy
@dataclass
class Economy:
    """Macro index, seasonality and vintage quality by absolute month, from first_month to last_month."""
    first: int
    macro: np.ndarray           # 100 = long-run average
    vintage: np.ndarray         # multiplier on the stress hazard of loans originated in the month

    def at(self, series: np.ndarray, a: np.ndarray | int) -> np.ndarray:
        return series[np.asarray(a, dtype=np.int64) - self.first]


# Jan..Dec. Stress starts cluster around Chinese New Year (spending, bonuses not renewed, firms pausing) and show
# as missed payments 1-3 months later; plain missed payments (no lead) peak in the holiday months themselves.
SEASON = np.array([1.30, 1.30, 1.10, 0.95, 0.90, 0.95, 1.00, 0.95, 0.95, 0.95, 1.00, 1.15])
MISS_SEASON = np.array([1.10, 1.70, 1.30, 1.00, 0.95, 0.95, 1.00, 0.95, 0.95, 1.20, 0.95, 0.95])


def economy(seed: int, first_month: int, last_month: int, window_start: int) -> Economy:
    rng = np.random.default_rng([seed, 9_001])
    months = np.arange(first_month, last_month + 1)
    noise = np.zeros(len(months))
    shocks = rng.normal(0, 0.6, len(months))
    for i in range(1, len(months)):
        noise[i] = 0.7 * noise[i - 1] + shocks[i]
    # a trough about a third of the way into the window
    macro = 100 + 5.0 * np.sin(2 * np.pi * (months - window_start) / 44 + 2.2) + noise
    boom = np.sin(2 * np.pi * (months - window_start) / 30 + 0.4)
    vintage = np.exp(0.38 * boom + rng.normal(0, 0.08, len(months)))
    return Economy(first_month, macro, vintage)


def season_factor(a: int) -> float:
    return float(SEASON[int(a) % 12])


def miss_season(a: int) -> float:
    return float(MISS_SEASON[int(a) % 12])


# ---------------------------------------------------------------- loans of one chunk
@dataclass
class Book:
    """Loan attributes of one chunk (arrays over loans; money in cents) and the loan -> borrower map."""
    product: np.ndarray
    borrower: np.ndarray        # chunk-local borrower index
    n_borrowers: int
    business: np.ndarray        # per borrower
    grade: np.ndarray           # 0..4
    orig_month: np.ndarray
    orig_day: np.ndarray
    pay_day: np.ndarray
    principal: np.ndarray       # cents (0 for cards)
    limit: np.ndarray           # cents (cards only, else 0)
    rate: np.ndarray            # annual
    term: np.ndarray            # months (0 for cards)
    instalment: np.ndarray      # cents (0 for cards)
    city: np.ndarray            # per borrower, index into CITIES
    branch: np.ndarray          # per loan, index into branches()
    officer_slot: np.ndarray
    collateral: np.ndarray      # object
    collateral_value: np.ndarray
    purpose: np.ndarray         # object
    risk: np.ndarray            # per borrower hazard multiplier


def annuity_payment(principal: np.ndarray, annual_rate: np.ndarray, term: np.ndarray) -> np.ndarray:
    """Level monthly payment in cents (rounded up to the cent) that repays `principal` cents over `term`."""
    r = annual_rate / 12.0
    n = np.maximum(term, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = np.where(r > 0, principal * r / (1 - (1 + r) ** (-n.astype(float))), principal / n)
    return np.ceil(exact - 1e-9).astype(np.int64)


def annuity_balance(principal: np.ndarray, annual_rate: np.ndarray, pay: np.ndarray, term: np.ndarray,
                    j: np.ndarray) -> np.ndarray:
    """Outstanding principal in cents after j level payments (0 once j >= term); the schedule uses the same."""
    r = annual_rate / 12.0
    g = (1 + r) ** j.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        bal = np.where(r > 0, principal * g - pay * (g - 1) / np.where(r > 0, r, 1), principal - pay * j)
    bal = np.maximum(np.rint(bal), 0).astype(np.int64)
    return np.where(j >= term, 0, bal)


def last_payment(principal, annual_rate, pay, term) -> np.ndarray:
    """The final instalment in cents: the remaining principal plus its month of interest."""
    b = annuity_balance(principal, annual_rate, pay, term, term - 1)
    return b + np.rint(b * annual_rate / 12.0).astype(np.int64)


def _lognormal(rng, n, median, sigma, lo, hi, step):
    x = np.exp(rng.normal(np.log(median), sigma, n))
    return (np.clip(np.round(x / step) * step, lo, hi) * 100).astype(np.int64)


def make_book(rng: np.random.Generator, n: int, window_start: int, window_end: int, eco: Economy) -> Book:
    product = rng.choice(4, n, p=PRODUCT_MIX)
    grade = np.empty(n, dtype=np.int64)
    for p, mix in GRADE_MIX.items():
        idx = np.flatnonzero(product == p)
        grade[idx] = rng.choice(5, len(idx), p=mix)

    # terms and amounts
    term = np.zeros(n, dtype=np.int64)
    principal = np.zeros(n, dtype=np.int64)
    limit = np.zeros(n, dtype=np.int64)
    rate = np.zeros(n)
    m = {p: np.flatnonzero(product == p) for p in range(4)}
    term[m[CONSUMER]] = rng.choice([12, 24, 36], len(m[CONSUMER]), p=[0.35, 0.35, 0.30])
    term[m[SME]] = rng.choice([12, 24, 36, 60], len(m[SME]), p=[0.35, 0.30, 0.20, 0.15])
    term[m[MORTGAGE]] = rng.choice([120, 180, 240, 300, 360], len(m[MORTGAGE]), p=[0.10, 0.15, 0.25, 0.20, 0.30])
    principal[m[CONSUMER]] = _lognormal(rng, len(m[CONSUMER]), 30_000, 0.8, 5_000, 200_000, 100)
    principal[m[SME]] = _lognormal(rng, len(m[SME]), 600_000, 0.9, 100_000, 5_000_000, 1_000)
    principal[m[MORTGAGE]] = _lognormal(rng, len(m[MORTGAGE]), 1_100_000, 0.6, 300_000, 5_000_000, 1_000)
    limit[m[CARD]] = _lognormal(rng, len(m[CARD]), 20_000, 0.7, 5_000, 100_000, 1_000)
    g = grade.astype(float)
    rate[m[CONSUMER]] = np.clip(0.062 + 0.034 * g[m[CONSUMER]] + rng.normal(0, 0.008, len(m[CONSUMER])), 0.05, 0.24)
    rate[m[CARD]] = 0.1825
    rate[m[SME]] = np.clip(0.038 + 0.011 * g[m[SME]] + rng.normal(0, 0.004, len(m[SME])), 0.03, 0.12)
    rate[m[MORTGAGE]] = np.clip(0.031 + 0.003 * g[m[MORTGAGE]] + rng.normal(0, 0.002, len(m[MORTGAGE])), 0.028, 0.06)
    rate = np.round(rate, 4)

    # origination: a seasoned part still running at the first month-end, the rest spread over the window
    seasoned = rng.random(n) < SEASONED_SHARE
    max_age = np.where(product == CARD, 96, np.where(product == MORTGAGE, np.minimum(term - 2, 120), term - 2))
    age = 1 + np.floor(rng.random(n) * np.maximum(max_age, 1)).astype(np.int64)
    months = np.arange(window_start, window_end + 1)
    weight = np.linspace(1.0, 1.6, len(months)) * np.where(months % 12 == 1, 0.7, 1.0) * \
        np.where(months % 12 == 11, 1.1, 1.0)
    new_month = rng.choice(months, n, p=weight / weight.sum())
    orig_month = np.where(seasoned, window_start - age, new_month).astype(np.int64)
    orig_day = rng.integers(1, 29, n)
    pay_day = np.clip(orig_day, 5, 25)
    instalment = np.where(product == CARD, 0, annuity_payment(principal, rate, term))

    # borrowers: business borrowers hold most sme loans; some retail borrowers hold two or three loans
    is_sme = product == SME
    primary = rng.random(n) >= np.where(is_sme, 0.10, 0.12)
    primary[0] = True
    business_loan = is_sme & (rng.random(n) < 0.8)
    borrower = np.full(n, -1, dtype=np.int64)
    p_idx = np.flatnonzero(primary)
    borrower[p_idx] = np.arange(len(p_idx))
    nb = len(p_idx)
    business = business_loan[p_idx]
    for want_business in (False, True):
        extra = np.flatnonzero(~primary & (business_loan == want_business))
        pool = np.flatnonzero(business == want_business)
        if len(pool) == 0:
            pool = np.arange(nb)
        borrower[extra] = pool[rng.integers(0, len(pool), len(extra))]

    city = rng.choice(len(CITIES), nb, p=CITY_WEIGHTS / CITY_WEIGHTS.sum())
    first_branch = np.cumsum([0] + [len(c[4]) for c in CITIES])[:-1]
    n_branches = np.array([len(c[4]) for c in CITIES])
    lc = city[borrower]
    branch = first_branch[lc] + np.floor(rng.random(n) * n_branches[lc]).astype(np.int64)
    officer_slot = rng.integers(0, OFFICERS_PER_BRANCH, n)

    collateral = np.full(n, "none", dtype=object)
    coll_value = np.zeros(n, dtype=np.int64)
    collateral[m[MORTGAGE]] = "property"
    coll_value[m[MORTGAGE]] = (principal[m[MORTGAGE]] / rng.uniform(0.45, 0.8, len(m[MORTGAGE]))).astype(np.int64)
    collateral[m[SME]] = rng.choice(np.array(["property", "equipment", "guarantee", "none"], dtype=object),
                                    len(m[SME]), p=[0.4, 0.25, 0.25, 0.1])
    secured_sme = m[SME][np.isin(collateral[m[SME]], ["property", "equipment"])]
    coll_value[secured_sme] = (principal[secured_sme] * rng.uniform(1.0, 1.8, len(secured_sme))).astype(np.int64)
    guarantee = m[CONSUMER][rng.random(len(m[CONSUMER])) < 0.08]
    collateral[guarantee] = "guarantee"
    purpose = np.empty(n, dtype=object)
    for p, names in PURPOSES.items():
        purpose[m[p]] = np.array(names, dtype=object)[rng.integers(0, len(names), len(m[p]))]

    # borrower-level hazard multiplier: grade, product and the quality of the primary loan's vintage
    grade_h = np.array([0.45, 0.8, 1.25, 2.0, 3.2])
    prod_h = np.array([1.0, 1.1, 0.85, 0.3])
    risk_loan = grade_h[grade] * prod_h[product] * eco.at(eco.vintage, orig_month) * np.exp(rng.normal(0, 0.35, n))
    risk = risk_loan[p_idx]

    return Book(product=product, borrower=borrower, n_borrowers=nb, business=business, grade=grade,
                orig_month=orig_month, orig_day=orig_day, pay_day=pay_day, principal=principal, limit=limit,
                rate=rate, term=term, instalment=instalment, city=city, branch=branch, officer_slot=officer_slot,
                collateral=collateral, collateral_value=coll_value, purpose=purpose, risk=risk)
