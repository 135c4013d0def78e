"""Demo events that follow the payments: collection actions and promises, reviews, alerts and dispositions."""
from __future__ import annotations

import numpy as np

from data.demo_book import CARD, CITIES, MORTGAGE, Book, day_of, month_end
from data.demo_rows import Rows

ACTION_CHANNELS = ("sms", "app_push", "robo_call", "agent_call", "letter", "field_visit", "legal", "agency")
OUTCOMES = ("contacted", "no_answer", "wrong_number", "refused", "promise_to_pay", "paid", "dispute", "hardship",
            "sent")
REVIEW_TYPES = ("first", "periodic", "ad_hoc")
CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")
FINDINGS = (
    "Funds used as stated; documents on file",                       # 0 first
    "Part of the funds moved to a personal account; explanation requested",
    "Borrower employed, income and repayments stable",               # 2 periodic, fine
    "Business operating normally; turnover in line with plan",
    "Income down since last review; repayments still on time",       # 4 periodic, watch
    "Missed payment: borrower reports job loss / cash-flow gap",     # 5 ad hoc
    "Several instalments overdue; borrower unreachable for days",
    "Borrower in hardship; restructuring discussed",
    "Early-warning signals (bureau, account) confirmed on review",
)
FOLLOW_UPS = ("none", "monitor monthly", "add to watch list", "refer to collections", "propose restructuring",
              "request updated financial statements", "downgrade classification")
SIGNALS = ("bureau_score_drop", "credit_inquiries", "salary_stopped", "balance_drain", "utilisation_spike",
           "litigation", "phone_unreachable", "negative_news", "missed_payment", "payment_reversed",
           "partial_payment", "dpd_30_plus")
SEVERITIES = ("low", "medium", "high", "critical")
STATUSES = ("open", "acknowledged", "resolved", "escalated")
KINDS = ("restructure", "charge_off", "write_off", "sale", "recovery", "settlement", "collection_fee", "litigation")
BORROWER_EVENTS = {"score_drop": (0, 1), "inquiries": (1, 0), "salary_stopped": (2, 2), "balance_drain": (3, 1),
                   "utilisation_spike": (4, 1), "litigation": (5, 3), "phone_unreachable": (6, 1),
                   "negative_news": (7, 2)}


def region_of_branch() -> np.ndarray:
    regions = sorted({c[0] for c in CITIES})
    return np.array([regions.index(c[0]) for c in CITIES for _ in c[4]])


class Events:
    def __init__(self, book: Book, rng: np.random.Generator, w0: int, wend: int):
        self.book, self.rng, self.w0, self.wend = book, rng, w0, wend
        self.region = region_of_branch()[book.branch]
        self.actions, self.reviews, self.alerts, self.disp = Rows(), Rows(), Rows(), Rows()

    # ------------------------------------------------------------------ monthly
    def month(self, a: int, E: int, v: dict, new: np.ndarray, obs: dict, people) -> None:
        self._collections(a, E, v, obs)
        self._periodic_reviews(a, E, v, people)
        self._alerts(a, E, v, new, obs)
        self._month_dispositions(a, E, v)

    def _act(self, loan, day, channel, outcome, agent, promise=None, promise_day=None):
        n = len(loan)
        self.actions.add(loan=loan, day=day, channel=np.full(n, channel, np.int8) if np.isscalar(channel) else channel,
                         outcome=np.full(n, outcome, np.int8) if np.isscalar(outcome) else outcome, agent=agent,
                         promise=np.full(n, -1) if promise is None else promise,
                         promise_day=np.full(n, -1) if promise_day is None else promise_day)

    def _collections(self, a: int, E: int, v: dict, obs: dict) -> None:
        rng = self.rng
        loan = v["loan"]
        agent = self.region[loan] * 100 + rng.integers(0, 8, len(loan))
        fresh = (v["k0"] == 0) & (v["dpd"] > 0)
        self._act(loan[fresh], v["due_day"][fresh] + 1, 0, 8, agent[fresh])               # sms, sent
        d = np.flatnonzero(v["k0"] > 0)
        if len(d) == 0:
            return
        k0, n = v["k0"][d], len(d)
        start = day_of(a, 1)
        u = rng.random((4, n))
        early, late = k0 == 1, k0 >= 4
        self._act(loan[d[early]], start + rng.integers(0, 3, early.sum()), 0, 8, agent[d[early]])
        robo = early & (u[0] < 0.7)
        self._act(loan[d[robo]], start + rng.integers(1, 5, robo.sum()), 2,
                  np.where(rng.random(robo.sum()) < 0.5, 0, 1), agent[d[robo]])
        letter = (k0 >= 2) & (u[1] < 0.4)
        self._act(loan[d[letter]], start + rng.integers(0, 5, letter.sum()), 4, 8, agent[d[letter]])
        legal = late & (u[1] > 0.85)
        self._act(loan[d[legal]], start + rng.integers(0, 10, legal.sum()), 6, 8, agent[d[legal]])
        call = ~early | (u[2] < 0.45)
        c = d[call]
        m = len(c)
        day = start + rng.integers(3, 11, m)                         # before any arrears payment (day 12 on)
        channel = np.where((v["k0"][c] >= 4) & (rng.random(m) < 0.35), 5, 3)
        reachable = np.ones(m, bool)
        pos = np.searchsorted(obs["b"], self.book.borrower[loan[c]])
        reachable = obs["reachable"][np.minimum(pos, len(obs["b"]) - 1)]
        paid, act = v["paid"][c], v["act"][c]
        pays = (act >= 2) & (act <= 3) & (paid > 0)
        r = rng.random(m)
        contacted = reachable & (r < 0.72)
        promise = contacted & np.where(pays, rng.random(m) < 0.75, rng.random(m) < 0.45)
        other = np.array([0, 3, 6, 7])[rng.choice(4, m, p=[0.5, 0.25, 0.08, 0.17])]
        outcome = np.where(~reachable, np.where(r < 0.85, 1, 2), np.where(~contacted, 1, np.where(
            promise, 4, np.where(pays & (rng.random(m) < 0.3), 5, other))))
        p_amt = np.where(pays, np.minimum(paid, v["overdue0"][c]), v["overdue0"][c])
        p_day = np.where(pays, np.minimum(v["day"][c] + rng.integers(0, 4, m), E),
                         np.minimum(day + rng.integers(3, 11, m), E))
        self._act(loan[c], day, channel, outcome, agent[c], np.where(promise, p_amt, -1), np.where(promise, p_day, -1))

    def _periodic_reviews(self, a: int, E: int, v: dict, people) -> None:
        b, rng = self.book, self.rng
        loan = v["loan"]
        prod, grade = b.product[loan], b.grade[loan]
        period = np.where(prod == CARD, 12, np.where(grade >= 4, 1, np.where(grade >= 2, 3, 12)))
        mob = a - b.orig_month[loan]
        due = (mob > 0) & (mob % period == 0)
        k0 = v["k0"]
        cls = classify(k0, prod)
        z = people.z[b.borrower[loan]]
        finding = np.where(k0 > 0, 5 + (k0 >= 3), np.where(z > 0.4, 8, np.where(
            b.product[loan] == 2, 3, np.where(rng.random(len(loan)) < 0.1, 4, 2))))
        cls = np.where((cls == 0) & (z > 0.4), 1, cls)
        follow = np.where(cls == 0, np.where(z > 0.2, 1, 0), np.where(k0 > 0, 3, 2))
        i = np.flatnonzero(due)
        self._review(loan[i], day_of(a, rng.integers(1, 29, len(i))), 1, 0, finding[i], cls[i], follow[i])
        roll = np.flatnonzero((k0 == 1) & (v["k"] == 2) & (rng.random(len(loan)) < 0.7))
        self._review(loan[roll], E - rng.integers(0, 5, len(roll)), 2, 1, 5 + (rng.random(len(roll)) < 0.3) * 2,
                     np.ones(len(roll), np.int8), np.where(prod[roll] == MORTGAGE, 4, 3))

    def _review(self, loan, day, kind, reviewer_kind, finding, cls, follow):
        n = len(loan)
        self.reviews.add(loan=loan, day=day, kind=np.full(n, kind, np.int8),
                         reviewer=np.full(n, reviewer_kind, np.int8),
                         finding=np.asarray(finding, np.int8) + np.zeros(n, np.int8), cls=np.asarray(cls, np.int8),
                         follow=np.asarray(follow, np.int8) + np.zeros(n, np.int8))

    def _alerts(self, a: int, E: int, v: dict, new: np.ndarray, obs: dict) -> None:
        b = self.book
        loans_on = np.concatenate([v["loan"], new])
        pos = np.searchsorted(obs["b"], b.borrower[loans_on])
        for name, (sig, sev) in BORROWER_EVENTS.items():
            flag = obs["events"][name][pos]
            i = loans_on[flag]
            if name == "score_drop":
                change = obs["score_change"][pos][flag]
                sev = np.where(change <= -80, 2, 1)
                v1, v2 = obs["score"][pos][flag] - change, obs["score"][pos][flag]
            else:
                v1 = {"inquiries": obs["inquiries"], "utilisation_spike": obs["util"] * 100,
                      "balance_drain": obs["balance"]}.get(name, np.zeros(len(obs["b"])))[pos][flag]
                v2 = np.zeros(len(i))
            self._alert(i, np.full(len(i), E), sig, sev, v1, v2)
        fresh = (v["k0"] == 0) & (v["dpd"] > 0)
        self._alert(v["loan"][fresh], v["due_day"][fresh] + 1, 8, 1, v["dpd"][fresh], v["overdue"][fresh] / 100)
        bo = v["bounce"]
        self._alert(v["loan"][bo], v["due_day"][bo] + 1, 9, 1, np.zeros(bo.sum()), np.zeros(bo.sum()))
        pt = (v["act"] == 1) & (v["paid"] > 0)
        self._alert(v["loan"][pt], v["day"][pt], 10, 0, v["paid"][pt] / 100, v["overdue"][pt] / 100)
        r = (v["k0"] == 1) & (v["k"] == 2)
        self._alert(v["loan"][r], np.full(r.sum(), E), 11, 2, v["dpd"][r], v["overdue"][r] / 100)

    def _alert(self, loan, day, signal, severity, v1, v2):
        n = len(loan)
        self.alerts.add(loan=loan, day=day, signal=np.full(n, signal, np.int8),
                        severity=np.asarray(severity, np.int8) + np.zeros(n, np.int8),
                        v1=np.asarray(v1, float), v2=np.asarray(v2, float))

    def _disposal(self, loan, day, kind, cents, v1=0.0, v2=0.0):
        n = len(loan)
        self.disp.add(loan=loan, day=day, kind=np.full(n, kind, np.int8), cents=np.asarray(cents, np.int64),
                      v1=np.broadcast_to(np.asarray(v1, float), (n,)), v2=np.broadcast_to(np.asarray(v2, float), (n,)))

    def _month_dispositions(self, a: int, E: int, v: dict) -> None:
        co = v["terminal"] == 2
        self._disposal(v["loan"][co], np.full(co.sum(), E), 1, v["bal"][co], v["dpd"][co])
        lit = v["litigation_new"]
        self._disposal(v["loan"][lit], E - self.rng.integers(0, 10, lit.sum()), 7, v["bal"][lit], v["dpd"][lit])

    def restructure(self, a: int, loan, principal, extension, instalment) -> None:
        day = day_of(a, self.rng.integers(1, 29, len(loan)))
        self._disposal(loan, day, 0, principal, extension, instalment / 100)

    # ------------------------------------------------------------------ after the run
    def finish(self, sim) -> None:
        self._after_charge_off(sim)
        self._first_reviews(sim)

    def _first_reviews(self, sim) -> None:
        b, rng = self.book, self.rng
        i = np.flatnonzero(b.orig_month >= self.w0 - 2)
        day = day_of(b.orig_month[i], b.orig_day[i]) + rng.integers(30, 61, len(i))
        ok = day <= month_end(sim.end_month[i])
        i, day = i[ok], day[ok]
        diverted = rng.random(len(i)) < 0.04
        self._review(i, day, 0, 0, diverted.astype(np.int8), diverted.astype(np.int8), np.where(diverted, 2, 0))

    def _after_charge_off(self, sim) -> None:
        """Recoveries, agency fees, settlements, write-offs and portfolio sales of charged-off loans."""
        rng = self.rng
        co = np.flatnonzero(sim.status == 2)
        if len(co) == 0:
            return
        X, month = sim.charged[co], sim.end_month[co]
        recovered = np.zeros(len(co), dtype=np.int64)
        closed = np.zeros(len(co), dtype=bool)
        write_at = month + rng.integers(3, 10, len(co))
        span = self.wend - self.w0 + 1
        sales = {self.w0 + int(span * 0.45): 1, self.w0 + int(span * 0.85): 2}
        for a in range(int(month.min()) + 1, self.wend + 1):
            live = (month < a) & ~closed
            u = rng.random((4, len(co)))
            start = day_of(a, 1)
            rec = live & (u[0] < 0.12)
            amt = np.minimum(np.rint(rng.uniform(0.02, 0.10, len(co)) * X), np.rint(0.45 * X) - recovered)
            rec &= amt > 0
            d = start + rng.integers(0, 28, len(co))
            self._disposal(co[rec], d[rec], 4, amt[rec])
            self._disposal(co[rec], d[rec], 6, np.rint(amt[rec] * 0.25).astype(np.int64), 25)
            recovered += np.where(rec, amt, 0).astype(np.int64)
            agency = live & (u[1] < 0.4)
            outcome = np.array([0, 1, 3])[rng.choice(3, agency.sum(), p=[0.4, 0.45, 0.15])]
            self._act(co[agency], start + rng.integers(0, 28, agency.sum()), 7, outcome,
                      900 + self.region[co[agency]])
            wo = (write_at == a) & (month < a)
            self._disposal(co[wo], np.full(wo.sum(), int(month_end(a))), 2, X[wo] - recovered[wo])
            settle = live & (u[2] < 0.015)
            s_amt = np.rint(rng.uniform(0.25, 0.5, len(co)) * (X - recovered)).astype(np.int64)
            settle &= s_amt > 0
            self._disposal(co[settle], d[settle], 5, s_amt[settle])
            closed |= settle
            if a in sales:
                sold = live & ~settle & (u[3] < 0.5) & (X - recovered > 0)
                price = np.rint(rng.uniform(0.06, 0.15, len(co)) * (X - recovered)).astype(np.int64)
                self._disposal(co[sold], np.full(sold.sum(), int(month_end(a))), 3, price[sold], sales[a])
                closed |= sold

    def alert_status(self, sim, alert_loan: np.ndarray, alert_day: np.ndarray) -> np.ndarray:
        """Recent alerts open or acknowledged; older ones resolved, or escalated when the loan went bad."""
        rng = self.rng
        age = int(month_end(self.wend)) - alert_day
        bad = (sim.last_bucket[alert_loan] >= 2) & (sim.last_bucket[alert_loan] != 9)
        recent = np.where(rng.random(len(age)) < 0.6, 0, 1)
        old = np.where(bad & (rng.random(len(age)) < 0.8), 3, 2)
        return np.where(age <= 45, recent, old).astype(np.int8)


def classify(k0: np.ndarray, product: np.ndarray) -> np.ndarray:
    """Five-tier class from the instalments overdue (cards have their own floors)."""
    loan_cls = np.select([k0 == 0, k0 <= 3, k0 <= 9, k0 <= 12], [0, 1, 2, 3], 4)
    card_cls = np.select([k0 == 0, k0 <= 3, k0 <= 4, k0 <= 6], [0, 1, 2, 3], 4)
    return np.where(product == CARD, card_cls, loan_cls).astype(np.int8)
