"""Demo borrowers' latent stress: a shock shows in bureau and account data 1-3 months before payments stop."""
from __future__ import annotations

import numpy as np

from data.demo_book import Book

HEALTHY, STRESSED, DISTRESSED = 0, 1, 2
BASE_HAZARD = 0.0085            # monthly healthy -> stressed at risk multiplier 1
TO_DISTRESS = 0.72              # stressed borrowers whose payments then stop
RECOVER = 0.07                  # distressed borrowers who recover each month
GRADE_SCORE = np.array([770.0, 725.0, 685.0, 645.0, 605.0])


def seasoning(mob: np.ndarray) -> np.ndarray:
    """Hazard by months on book: low at first, a peak in the first two years, then lower."""
    return np.where(mob < 6, 0.35 + 0.65 * mob / 6, np.where(mob <= 24, 1.0, np.where(mob <= 48, 0.8, 0.6)))


class Borrowers:
    def __init__(self, rng: np.random.Generator, book: Book, income: np.ndarray, business: np.ndarray):
        nb = book.n_borrowers
        self.rng, self.book = rng, book
        self.primary = np.empty(nb, dtype=np.int64)
        self.primary[book.borrower[::-1]] = np.arange(len(book.borrower))[::-1]
        self.stage = np.zeros(nb, dtype=np.int8)
        self.timer = np.zeros(nb, dtype=np.int64)
        self.lead = np.zeros(nb, dtype=np.int64)
        self.severity = np.zeros(nb)
        self.z = np.zeros(nb)                                   # stress intensity 0..1, what the signals see
        self.business = business
        self.income = income
        self.score_base = np.clip(GRADE_SCORE[book.grade[self.primary]] + rng.normal(0, 28, nb), 380, 900)
        self.score_ar = np.zeros(nb)
        self.score_hist = np.tile(self.score_base, (3, 1))     # last three month-end scores
        self.dl = np.zeros(nb, dtype=np.int64)
        self.debt = income * rng.uniform(3, 25, nb)
        self.salary_on = np.ones(nb, dtype=bool)
        self.irregular = ~business & (rng.random(nb) < 0.15)    # self-employed: deposits come and go
        self.savings = income * rng.uniform(0.5, 5, nb)
        self.savings_hist = np.tile(self.savings, (3, 1))
        self.util_base = rng.beta(2, 5, nb)
        self.util_prev = self.util_base.copy()
        self.litigation = np.zeros(nb, dtype=bool)
        self.unreachable = np.zeros(nb, dtype=bool)

    def transition(self, a: int, loans_on: np.ndarray, macro: float, season: float) -> None:
        """Move borrowers with a loan on the book between healthy, stressed and distressed."""
        rng, b = self.rng, self.book
        on = np.zeros(len(self.stage), dtype=bool)
        on[b.borrower[loans_on]] = True
        idx = np.flatnonzero(on)
        st = self.stage[idx]
        u = rng.random(len(idx))
        mob = a - b.orig_month[self.primary[idx]]
        hazard = BASE_HAZARD * b.risk[idx] * np.exp(-0.09 * (macro - 100)) * season * seasoning(mob)
        start = (st == HEALTHY) & (u < hazard)
        s_idx = idx[start]
        self.stage[s_idx] = STRESSED
        self.timer[s_idx] = 0
        self.lead[s_idx] = rng.choice([1, 2, 3], len(s_idx), p=[0.35, 0.40, 0.25])
        self.severity[s_idx] = rng.uniform(0.55, 1.0, len(s_idx))
        stressed = idx[(st == STRESSED)]
        self.timer[stressed] += 1
        due = stressed[self.timer[stressed] >= self.lead[stressed]]
        go = rng.random(len(due)) < TO_DISTRESS
        self.stage[due[go]] = DISTRESSED
        self.stage[due[~go]] = HEALTHY
        distressed = idx[st == DISTRESSED]
        self.stage[distressed[rng.random(len(distressed)) < RECOVER]] = HEALTHY
        st = self.stage[idx]
        z = self.z[idx]
        sev = self.severity[idx]
        self.z[idx] = np.where(st == HEALTHY, z * 0.55, np.where(st == STRESSED, np.minimum(sev, z + 0.55 * sev),
                                                                 np.maximum(z, sev)))

    def observe(self, a: int, idx: np.ndarray, worst_k: np.ndarray, card_util: np.ndarray,
                loan_litigation: np.ndarray) -> dict[str, np.ndarray]:
        """Bureau and account data of borrowers idx at the month-end (amounts in yuan)."""
        rng, n = self.rng, len(idx)
        z = self.z[idx]
        k = worst_k[idx]
        self.score_ar[idx] = 0.85 * self.score_ar[idx] + rng.normal(0, 7, n)
        self.dl[idx] = np.maximum(self.dl[idx] + (rng.random(n) < 0.22 * z) - ((rng.random(n) < 0.05) & (z < 0.2)), 0)
        score = self.score_base[idx] + self.score_ar[idx] - 115 * z - 45 * (k >= 2) - 25 * (k >= 4) \
            - 10 * np.minimum(self.dl[idx], 3)
        score = np.clip(np.rint(score), 300, 950).astype(np.int64)
        inquiries = rng.poisson(0.25 + 2.6 * z)
        debt = self.debt[idx] * (1 + 0.4 * z) * np.exp(rng.normal(0, 0.03, n))

        on_before = self.salary_on[idx]
        on = np.where(z > 0.3, on_before & (rng.random(n) >= 0.5 * z),
                      on_before | ((z < 0.1) & (rng.random(n) < 0.4)))
        self.salary_on[idx] = on
        pay = self.income[idx] * np.exp(rng.normal(0, 0.04, n))
        biz = self.business[idx]
        pay = np.where(biz, pay * np.exp(rng.normal(0, 0.15, n)) * np.where(on, 1.0, 0.25), pay * on)
        pay = np.where(self.irregular[idx] & (rng.random(n) < 0.25), 0, pay)
        sav = np.maximum(self.savings[idx] * (0.97 - 0.4 * z) + pay * rng.uniform(0.04, 0.2, n)
                         - self.income[idx] * 0.06 * rng.random(n), 0)
        self.savings[idx] = sav
        util = np.where(np.isnan(card_util[idx]),
                        np.clip(self.util_base[idx] + 0.6 * z + rng.normal(0, 0.04, n), 0, 1.3), card_util[idx])

        lit_before = self.litigation[idx]
        lit = lit_before | (biz & (rng.random(n) < 0.03 * z))
        lit |= np.isin(idx, self.book.borrower[np.flatnonzero(loan_litigation)])
        self.litigation[idx] = lit
        news = np.where(biz, rng.random(n) < 0.002 + 0.08 * z, rng.random(n) < 0.0003)
        unreachable = rng.random(n) < 0.01 + 0.05 * z + 0.3 * (k >= 3)
        moved = rng.random(n) < 0.004 + 0.03 * z

        prev_score = self.score_hist[:, idx]
        prev_sav = self.savings_hist[:, idx]
        events = {
            "score_drop": (prev_score[0] - score >= 50) & (prev_score[1] - prev_score[0] < 50),
            "inquiries": inquiries >= 4,
            "salary_stopped": ~on & on_before & ~biz,
            "balance_drain": (sav < 0.35 * prev_sav[2]) & (prev_sav[2] > 2_000) & (prev_sav[0] >= 0.35 * prev_sav[2]),
            "utilisation_spike": (util >= 0.9) & (self.util_prev[idx] < 0.75),
            "litigation": lit & ~lit_before,
            "phone_unreachable": unreachable & ~self.unreachable[idx],
            "negative_news": news,
        }
        self.score_hist[:, idx] = np.vstack([score, prev_score[0], prev_score[1]])
        self.savings_hist[:, idx] = np.vstack([sav, prev_sav[0], prev_sav[1]])
        self.util_prev[idx] = util
        self.unreachable[idx] = unreachable
        return {"b": idx, "score": score, "inquiries": inquiries, "dl": self.dl[idx].copy(), "debt": debt,
                "salary": pay, "balance": sav, "util": util, "litigation": lit, "news": news,
                "reachable": ~unreachable, "moved": moved, "z": z, "events": events,
                "score_change": score - prev_score[0]}
