"""Hand-built books for the portfolio-analytics tests (issue 4). Every figure the tests pin is derived in the
comments here or beside the assertion; balances are in yuan, month-ends as noted.

publish(...) writes a book as the current generation (optionally with its summaries) and returns a read cursor.
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest

# ------------------------------------------------------------------------------------------------ helpers
LOAN_COLUMNS = ("loan_id", "borrower_id", "product", "product_type", "region", "branch", "origination_date",
                "maturity_date", "principal", "credit_limit")


def loan(loan_id, borrower_id=None, product="consumer", origination="2023-06-15", principal=5000, region="East",
         branch="E1", maturity=None, limit=None):
    return (loan_id, borrower_id or "B" + loan_id, product, "revolving" if product == "card" else "instalment",
            region, branch, origination, maturity, principal, limit)


def publish(loans, performance, business=(), payments=(), dispositions=(), summaries=True):
    """loans: tuples of LOAN_COLUMNS; performance: (loan_id, as_of, balance, dpd, bucket[, restructured]);
    business: borrower ids of non-retail borrowers; payments: (id, loan_id, date, amount[, reverses]);
    dispositions: (id, loan_id, date, kind, amount)."""
    from analytics import summaries as s
    from data import store
    with store.new_generation(start_empty=True) as con:
        for b in sorted({x[1] for x in loans}):
            con.execute("INSERT INTO borrowers (borrower_id, borrower_type, source) VALUES (?, ?, 'test')",
                        [b, "business" if b in business else "retail"])
        con.executemany(f"INSERT INTO loans ({', '.join(LOAN_COLUMNS)}, currency, source) "
                        f"VALUES ({', '.join('?' * len(LOAN_COLUMNS))}, 'CNY', 'test')", list(loans))
        con.executemany("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket, credit_limit, restructured) "
                        "SELECT ?, ?, ?, ?, ?, (SELECT credit_limit FROM loans WHERE loan_id = ?), ?",
                        [(r[0], r[1], r[2], r[3], r[4], r[0], r[5] if len(r) > 5 else False) for r in performance])
        for p in payments:
            con.execute("INSERT INTO payments (payment_id, loan_id, payment_date, amount, channel, is_reversal, "
                        "reverses_payment_id) VALUES (?, ?, ?, ?, 'app', ?, ?)",
                        [p[0], p[1], p[2], p[3], p[3] < 0, p[4] if len(p) > 4 else None])
        if dispositions:
            con.executemany("INSERT INTO dispositions (disposition_id, loan_id, disposition_date, kind, amount) "
                            "VALUES (?, ?, ?, ?, ?)", list(dispositions))
        if summaries:
            s.build(con)
    return store.reader().cursor()


@contextmanager
def path(kind: str):
    """'summary': read the stored summaries; 'raw': compute from the canonical tables."""
    from analytics import summaries
    if kind == "raw":
        with summaries.raw_only():
            yield
    else:
        yield


def bucket(dpd: int) -> str:
    for edge, name in ((0, "current"), (30, "1-30"), (60, "31-60"), (90, "61-90"), (120, "91-120"),
                       (150, "121-150"), (180, "151-180")):
        if dpd <= edge:
            return name
    return "180+"


def rows(loan_id, *points):
    """Performance rows from (as_of, balance, dpd[, restructured]) points; bucket from DPD."""
    return [(loan_id, p[0], p[1], p[2], bucket(p[2]), p[3] if len(p) > 3 else False) for p in points]


FEB, MAR = "2024-02-29", "2024-03-31"

# ------------------------------------------------------------------------------------------------ rules book
# Five-tier / IFRS 9 rules at month-end 2024-03-31 (settings below). LGD (policy table): consumer 0.4, card 0.45,
# sme 0.6, anything else ('auto') 0.95. PD from the Feb -> Mar transitions only (pd_window_months = 1):
#   consumer: current at Feb: A1 A2 A3 R1 R2 O1 W1 S1 (8): 6 stay current, A2 A3 roll to 1-30 -> 3/4, 1/4;
#             1-30 (A4) -> 31-60; 31-60 (A8) -> 61-90; 61-90 (A5 O2) -> 91-120 (default): each 1.
#             So P(default within n months | current) = 1 - 0.75^(n-3); from 1-30 it is 1 for n >= 3.
#   card:     current at Feb: C1 -> 1-30, C5 stays: 1/2, 1/2; 1-30 and 31-60 unseen for cards -> the rows
#             pooled over products (A4, A8): 1 each; 61-90 (C2) -> 91-120. PD_n(current) = 1 - 0.5^(n-3).
#   sme:      current (X2 X3 Y2) stay current: PD from current 0.
#   auto:     current unseen -> pooled current row: 10 of 13 stay current, 3 roll: PD_n = 1 - (10/13)^(n-3).
# Restructuring observation 2 months: R1 restructured from Feb (Jan 100 DPD = Substandard) -> still held at
# Substandard in March; R2 restructured from Jan (the first month-end) -> free again in March.
RULES_SETTINGS = {"LOANWATCH_LGD_SOURCE": "table", "LOANWATCH_LGD_TABLE": "consumer=0.4,card=0.45,sme=0.6,*=0.95",
                  "LOANWATCH_PD_WINDOW_MONTHS": "1", "LOANWATCH_RESTRUCTURE_OBSERVATION_MONTHS": "2"}
RULES_LOANS = [
    loan("A1", "B-R"), loan("A2"), loan("A3"), loan("A4"), loan("A8"), loan("A5", "B-R"), loan("A6"), loan("A7"),
    loan("R1"), loan("R2"), loan("O1"), loan("O2"), loan("W1", maturity="2026-03-15"),
    loan("S1", maturity="2024-09-15"),
    loan("C1", product="card", principal=0, limit=1000), loan("C5", product="card", principal=0, limit=1000),
    loan("C2", product="card", principal=0, limit=500), loan("C3", product="card", principal=0, limit=500),
    loan("C4", product="card", principal=0, limit=600),
    loan("X1", "BB", "sme"), loan("X2", "BB", "sme"), loan("X3", "BB", "sme"),
    loan("Y1", "BC", "sme"), loan("Y2", "BC", "sme"), loan("E2", product="auto"),
]
RULES_PATHS = {   # loan: (balance, Feb DPD, Mar DPD)
    "A1": (1000, 0, 0), "A2": (1100, 0, 5), "A3": (1200, 0, 8), "A4": (1300, 15, 45), "A8": (1400, 40, 70),
    "A5": (1500, 65, 95), "A6": (1600, 250, 280), "A7": (1700, 370, 400), "O1": (2000, 0, 0),
    "O2": (2100, 65, 95), "W1": (2200, 0, 0), "S1": (2300, 0, 0),
    "C1": (300, 0, 3), "C5": (200, 0, 0), "C2": (400, 70, 100), "C3": (500, 120, 150), "C4": (600, 170, 200),
    "X1": (100, 70, 100), "X2": (800, 0, 0), "X3": (100, 0, 0), "Y1": (200, 65, 95), "Y2": (800, 0, 0),
    "E2": (500, 80, 100),
}
RULES_PERFORMANCE = (
    [r for k, (b, f, m) in RULES_PATHS.items() for r in rows(k, (FEB, b, f), (MAR, b, m))]
    + rows("R1", ("2024-01-31", 1800, 100), (FEB, 1800, 0, True), (MAR, 1800, 0, True))
    + rows("R2", ("2024-01-31", 1900, 100, True), (FEB, 1900, 0, True), (MAR, 1900, 0, True)))
RULES_BUSINESS = ("BB", "BC")

# ------------------------------------------------------------------------------------------------ KPI book
# Month-ends 2023-03-31, 2024-02-29, 2024-03-31 (so March 2024 has both a previous month and the same month last
# year). Consumer loans, LGD 0.4 (policy table). K1-K4 East (branch E1), K5-K8 West (branch W1).
KPI_SETTINGS = {"LOANWATCH_LGD_SOURCE": "table", "LOANWATCH_LGD_TABLE": "consumer=0.4,*=0.4"}
KPI_LOANS = [
    loan("K1", origination="2023-01-15", principal=2000), loan("K2", origination="2023-01-15", principal=3000),
    loan("K3", principal=800), loan("K4", principal=500),
    loan("K5", principal=600, region="West", branch="W1"), loan("K6", principal=900, region="West", branch="W1"),
    loan("K7", principal=400, region="West", branch="W1"),
    loan("K8", origination="2024-03-10", principal=900, region="West", branch="W1"),
]
KPI_PERFORMANCE = (
    rows("K1", ("2023-03-31", 1500, 0), (FEB, 1100, 0), (MAR, 1000, 0))
    + rows("K2", ("2023-03-31", 2500, 100), (FEB, 2000, 0), (MAR, 2000, 0))
    + rows("K3", (FEB, 500, 15), (MAR, 500, 45)) + rows("K4", (FEB, 300, 40), (MAR, 300, 75))
    + rows("K5", (FEB, 400, 70), (MAR, 400, 100)) + rows("K6", (FEB, 600, 170)) + rows("K7", (FEB, 100, 0))
    + rows("K8", (MAR, 900, 0))
    + [("K6", MAR, 600, 0, "charged_off", False), ("K7", MAR, 0, 0, "paid_off", False)])
KPI_PAYMENTS = [("P1", "K1", "2024-02-05", 100), ("P2", "K1", "2024-03-05", 100), ("P3", "K7", "2024-03-20", 100),
                ("P4", "K3", "2024-03-10", 50), ("P5", "K3", "2024-03-12", -50, "P4")]
KPI_DISPOSITIONS = [("D1", "K6", MAR, "charge_off", 600), ("D2", "K6", MAR, "recovery", 90),
                    ("D3", "K6", MAR, "settlement", 30)]

# ------------------------------------------------------------------------------------------------ NPL book
# Month-ends 2024-01-31 and 2024-02-29; consumer, LGD 0.3 (no ECL floor can bite: PD x LGD <= 0.3).
#   N1 NPL both (100 -> 130 DPD), 1000 -> 900          N5 NPL in Jan (120 DPD), 200, not observed in Feb
#   N2 NPL (95) 500 -> current 480: an upgrade          N6 60 DPD 400 -> 91 DPD 410: new NPL
#   N3 NPL (150) 700 -> charged off 650                 N7 not in Jan -> 100 DPD 250 in Feb: new NPL
#   N4 NPL (100) 300 -> paid off                        N8 current both, 800 -> 790
NPL_SETTINGS = {"LOANWATCH_LGD_SOURCE": "table", "LOANWATCH_LGD_TABLE": "*=0.3"}
NPL_LOANS = [loan(f"N{i}") for i in range(1, 9)]
JAN = "2024-01-31"
NPL_PERFORMANCE = (
    rows("N1", (JAN, 1000, 100), (FEB, 900, 130)) + rows("N2", (JAN, 500, 95), (FEB, 480, 0))
    + rows("N3", (JAN, 700, 150)) + rows("N4", (JAN, 300, 100)) + rows("N5", (JAN, 200, 120))
    + rows("N6", (JAN, 400, 60), (FEB, 410, 91)) + rows("N7", (FEB, 250, 100))
    + rows("N8", (JAN, 800, 0), (FEB, 790, 0))
    + [("N3", FEB, 650, 0, "charged_off", False), ("N4", FEB, 0, 0, "paid_off", False)])

# ------------------------------------------------------------------------------------------------ vintage book
# Month-ends January - June 2024. Cohorts (origination month -> loans, principal):
#   2024-01: V1 1000 (0, 0, 45, 75, 100, charged off in June), V2 2000 (0, 35, 0, 0, paid off in May), V3 3000 current
#   2024-02: V4 500 (0, 0, 65, 95, 125), V5 1500 current
#   2024-03: V6 card, principal 0, limit 800 (0, 0, 0, 40)
#   2023-12: V0 originated before the history: no curve
VINTAGE_LOANS = [loan("V0", origination="2023-12-10", principal=700),
                 loan("V1", origination="2024-01-10", principal=1000),
                 loan("V2", origination="2024-01-20", principal=2000),
                 loan("V3", origination="2024-01-05", principal=3000),
                 loan("V4", origination="2024-02-10", principal=500),
                 loan("V5", origination="2024-02-15", principal=1500),
                 loan("V6", product="card", origination="2024-03-03", principal=0, limit=800)]
MONTHS_H1 = ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30"]
VINTAGE_PERFORMANCE = (
    rows("V0", *[(m, 700, 50 if i == 0 else 0) for i, m in enumerate(MONTHS_H1)])
    + rows("V1", *[(m, 1000, d) for m, d in zip(MONTHS_H1[:5], (0, 0, 45, 75, 100))])
    + [("V1", "2024-06-30", 1000, 0, "charged_off", False)]
    + rows("V2", *[(m, 2000, d) for m, d in zip(MONTHS_H1[:4], (0, 35, 0, 0))])
    + [("V2", "2024-05-31", 0, 0, "paid_off", False)]
    + rows("V3", *[(m, 3000, 0) for m in MONTHS_H1])
    + rows("V4", *[(m, 500, d) for m, d in zip(MONTHS_H1[1:], (0, 0, 65, 95, 125))])
    + rows("V5", *[(m, 1500, 0) for m in MONTHS_H1[1:]])
    + rows("V6", *[(m, 100, d) for m, d in zip(MONTHS_H1[2:], (0, 0, 0, 40))]))


def set_env(monkeypatch, settings: dict[str, str]) -> None:
    for k, v in settings.items():
        monkeypatch.setenv(k, v)


PATHS = pytest.mark.parametrize("way", ["summary", "raw"])
