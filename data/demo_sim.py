"""Demo simulation: month by month, the payments, delinquency and exits of one chunk's loans (money in cents).

DPD is exact: the month-end minus the due date of the oldest instalment not fully paid, with payments allocated
to the oldest instalment first. For instalment loans that is the cumulative rule (an instalment is paid once the
payments so far reach the scheduled amounts up to it); for cards each statement's minimum due is paid oldest
first and anything above the minimums reduces the revolving balance. A restructure replaces the unpaid part of
the schedule (rows from the first unpaid instalment on are re-issued over a longer term, the arrears forgiven),
so a restructured loan's rows before the restructure follow the schedule that was in force then.
"""
from __future__ import annotations

import numpy as np

import config
from data.demo_book import (BURN_IN, CARD, MORTGAGE, Book, Economy, annuity_balance, annuity_payment,
                            day_of, last_payment, miss_season, month_end, season_factor)
from data.demo_events import Events
from data.demo_rows import Rows
from data.demo_signals import Borrowers

ACTIVE, CHARGED_OFF, PAID_OFF = 1, 2, 3
NOTHING, PARTIAL, ONE, ALL, RESTRUCTURE = 0, 1, 2, 3, 4
TERMINAL_CODE = {CHARGED_OFF: 8, PAID_OFF: 9}          # index into config.ALL_STATES
CHANNELS = ("auto_debit", "bank_transfer", "app", "counter", "collection_agent")
# a distressed borrower with k instalments overdue at the start of the month: P(pays all), P(pays one), P(partial)
CURE = np.array([0.0, 0.30, 0.16, 0.10, 0.07, 0.05, 0.04, 0.03])
ONE_P = np.array([0.0, 0.24, 0.17, 0.12, 0.09, 0.07, 0.05, 0.05])
PART_P = np.array([0.0, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.02])
TECH_MISS = np.array([0.0065, 0.0075, 0.0045, 0.003])   # by product: healthy borrowers who just miss (no lead)
TECH_CURE = 0.85
PREPAY = np.array([0.012, 0.0, 0.010, 0.004])          # monthly early payoff, by product
CARD_CLOSE = 0.003
RESTRUCTURE_P = 0.035
RING = 8                                               # card statements kept (charge-off comes at 7 unpaid)


def bucket_code(dpd: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(config.setting("bucket_edges")), dpd, side="left").astype(np.int8)


class Segments:
    """The loan's current level-payment schedule: instalments f0+1 .. f0+N, C0 = scheduled before them."""

    def __init__(self, book: Book):
        n = len(book.product)
        inst = book.product != CARD
        self.L = book.principal.copy()
        self.A = np.where(inst, book.instalment, 1)
        self.N = np.where(inst, book.term, 1)
        self.last = np.where(inst, last_payment(book.principal, book.rate, book.instalment, book.term), 0)
        self.first = book.orig_month + 1
        self.f0 = np.zeros(n, dtype=np.int64)
        self.C0 = np.zeros(n, dtype=np.int64)
        self.rate = book.rate

    def cum_due(self, t, i):
        j = t - self.f0[i]
        full = (self.N[i] - 1) * self.A[i] + self.last[i]
        return self.C0[i] + np.where(j >= self.N[i], full, np.maximum(j, 0) * self.A[i])

    def fully_paid(self, P, i):
        x = P - self.C0[i]
        j = np.minimum(np.maximum(x, 0) // self.A[i], self.N[i] - 1)
        j = np.where(x >= (self.N[i] - 1) * self.A[i] + self.last[i], self.N[i], j)
        return self.f0[i] + j

    def n_due(self, a, i):
        return self.f0[i] + np.clip(a - self.first[i] + 1, 0, self.N[i])

    def due_day(self, t, i, pay_day):
        """Day number of the due date of instalment t+1 (t = instalments fully paid)."""
        return day_of(self.first[i] + (t - self.f0[i]), pay_day)

    def seg_balance(self, j, i):
        return annuity_balance(self.L[i], self.rate[i], self.A[i], self.N[i], j)

    def principal_left(self, P, f, i):
        j = f - self.f0[i]
        bj, bj1 = self.seg_balance(j, i), self.seg_balance(j + 1, i)
        inst = np.where(j + 1 >= self.N[i], self.last[i], self.A[i])
        partial = P - self.cum_due(f, i)
        return np.where(j >= self.N[i], 0, bj - np.clip(partial - (inst - (bj - bj1)), 0, None))


class Sim:
    """One chunk's loans, simulated from BURN_IN months before the window to its last month-end."""

    def __init__(self, book: Book, eco: Economy, rng: np.random.Generator, w0: int, wend: int, income, business):
        self.book, self.eco, self.rng, self.w0, self.wend = book, eco, rng, w0, wend
        n = len(book.product)
        self.n = n
        self.seg = Segments(book)
        self.status = np.zeros(n, dtype=np.int8)
        self.P = np.zeros(n, dtype=np.int64)
        self.restructured = np.zeros(n, dtype=bool)
        self.kept_rows = np.full(n, -1, dtype=np.int64)     # original schedule rows kept by a restructure
        self.end_month = np.full(n, wend, dtype=np.int64)
        self.last_bucket = np.zeros(n, dtype=np.int8)      # bucket code (8/9 terminal) at the latest month-end
        self.litigation = np.zeros(n, dtype=bool)
        self.charged = np.zeros(n, dtype=np.int64)           # cents charged off
        self.channel = rng.choice(3, n, p=[0.55, 0.15, 0.30])  # preferred: auto_debit, bank_transfer, app
        self.people = Borrowers(rng, book, income, business)
        self.events = Events(book, rng, w0, wend)
        self.perf, self.pay, self.sched_cards = Rows(), Rows(), Rows()
        self.bureau, self.alt = Rows(), Rows()
        self.n_pay = 0
        c = np.flatnonzero(book.product == CARD)
        self.cards = c
        self.card_pos = np.full(n, -1, dtype=np.int64)
        self.card_pos[c] = np.arange(len(c))
        self.ring = np.zeros((len(c), RING), dtype=np.int64)
        self.card_bal = np.zeros(len(c), dtype=np.int64)
        self.card_carry = np.zeros(len(c), dtype=np.int64)   # part of last statement not paid: bears interest
        self.transactor = rng.random(len(c)) < 0.55
        self.spend = rng.uniform(0.05, 0.45, len(c))

    # ------------------------------------------------------------------ bookkeeping
    def _payments(self, loan, day, cents, channel, reversal=None):
        pos = self.n_pay + np.arange(len(loan))
        self.pay.add(loan=loan, day=day, cents=cents, channel=np.asarray(channel, dtype=np.int8),
                     rev=np.zeros(len(loan), bool) if reversal is None else np.ones(len(loan), bool),
                     ref=np.full(len(loan), -1) if reversal is None else reversal)
        self.n_pay += len(loan)
        return pos

    def _prehistory(self, start: int):
        """On-time payments of the instalments due before the simulation starts (seasoned loans)."""
        b = self.book
        i = np.flatnonzero((b.orig_month < start) & (b.product != CARD))
        count = np.clip(start - 1 - b.orig_month[i], 0, b.term[i] - 1)
        loan = np.repeat(i, count)
        k = np.arange(len(loan)) - np.repeat(np.cumsum(count) - count, count)     # 0-based instalment
        day = day_of(b.orig_month[loan] + 1 + k, b.pay_day[loan]) - self.rng.integers(0, 4, len(loan))
        self._payments(loan, day, b.instalment[loan], np.where(self.channel[loan] == 0, 0, 2))
        self.P[i] = self.seg.cum_due(count, i)

    def _activate(self, i: np.ndarray):
        self.status[i] = ACTIVE
        c = self.card_pos[i[self.book.product[i] == CARD]]
        lim = self.book.limit[self.cards[c]]
        self.card_bal[c] = np.rint(lim * self.spend[c] * self.rng.uniform(0.3, 1.2, len(c))).astype(np.int64)

    # ------------------------------------------------------------------ the run
    def run(self) -> None:
        start = self.w0 - BURN_IN
        self._prehistory(start)
        self._activate(np.flatnonzero(self.book.orig_month < start))
        for a in range(start, self.wend + 1):
            self.month(a)

    def month(self, a: int) -> None:
        b, rng = self.book, self.rng
        new = np.flatnonzero(b.orig_month == a)
        self._activate(new)
        running = np.flatnonzero((self.status == ACTIVE) & (b.orig_month < a))
        loans_on = np.concatenate([running, new])
        macro = float(self.eco.at(self.eco.macro, a))
        self.people.transition(a, loans_on, macro, season_factor(a))
        inst = running[b.product[running] != CARD]
        card = running[b.product[running] == CARD]
        views = [self._instalments(a, inst, macro), self._cards(a, card)]
        view = {k: np.concatenate([v[k] for v in views]) for k in views[0]}
        self._terminal(a, view)
        self.last_bucket[view["loan"]] = view["bucket"]
        self.last_bucket[new] = 0
        if a < self.w0:
            return
        E = int(month_end(a))
        self._emit_performance(E, view, new)
        worst = np.zeros(b.n_borrowers, dtype=np.int64)
        np.maximum.at(worst, b.borrower[view["loan"]], view["k"])
        util = np.full(b.n_borrowers, np.nan)
        util[b.borrower[self.cards]] = np.where(self.status[self.cards] > 0,
                                                self.card_bal / np.maximum(b.limit[self.cards], 1), np.nan)
        obs = self.people.observe(a, np.unique(b.borrower[loans_on]), worst, util, self.litigation)
        self.bureau.add(borrower=obs["b"], as_of=np.full(len(obs["b"]), E), score=obs["score"],
                        inquiries=obs["inquiries"], dl=obs["dl"], debt=obs["debt"])
        self.alt.add(borrower=obs["b"], as_of=np.full(len(obs["b"]), E), salary=obs["salary"],
                     balance=obs["balance"], util=obs["util"], litigation=obs["litigation"],
                     news=obs["news"], reachable=obs["reachable"], moved=obs["moved"])
        self.events.month(a, E, view, new, obs, self.people)

    # ------------------------------------------------------------------ instalment loans
    def _instalments(self, a: int, i: np.ndarray, macro: float) -> dict:
        b, s, rng = self.book, self.seg, self.rng
        n = len(i)
        P = self.P[i]
        prod, pay_day = b.product[i], b.pay_day[i]
        nd_prev, nd = s.n_due(a - 1, i), s.n_due(a, i)
        f = s.fully_paid(P, i)
        k0 = np.maximum(nd_prev - f, 0)
        stage = self.people.stage[b.borrower[i]]
        u, u2 = rng.random(n), rng.random(n)
        act = np.full(n, ALL, dtype=np.int8)
        calm = stage < 2
        act[calm & (k0 == 0) & (u < np.where(stage == 1, 0.04, TECH_MISS[prod] * miss_season(a)))] = NOTHING
        relapse = calm & (k0 > 0) & (u >= TECH_CURE)
        act[relapse] = NOTHING
        self.people.stage[b.borrower[i[relapse]]] = 2
        d0 = (stage == 2) & (k0 == 0)
        act[d0 & (u < 0.62)] = NOTHING
        act[d0 & (u >= 0.62) & (u < 0.80)] = PARTIAL
        d1 = (stage == 2) & (k0 > 0)
        kk = np.minimum(k0, 7)
        cure = CURE[kk] * np.where(prod == MORTGAGE, 2.0, 1.0) * np.exp(0.04 * (macro - 100))
        one, part = cure + ONE_P[kk], cure + ONE_P[kk] + PART_P[kk]
        act[d1] = np.select([u < cure, u < one, u < part], [ALL, ONE, PARTIAL], NOTHING)[d1]
        if a < self.w0:            # no charge-off before the window: the book enters it with arrears only
            act[(prod != MORTGAGE) & (k0 >= 6) & (act <= PARTIAL)] = ONE
        else:
            rs = d1 & (k0 >= 2) & (k0 <= 4) & ~self.restructured[i] & (u2 < RESTRUCTURE_P)
            act[rs] = RESTRUCTURE
        prepay = (act == ALL) & (k0 == 0) & (stage == 0) & (a >= self.w0) & (u2 < PREPAY[prod])

        C_prev, C_nd, C_f1 = s.cum_due(nd_prev, i), s.cum_due(nd, i), s.cum_due(np.minimum(f + 1, nd), i)
        amt = np.zeros(n, dtype=np.int64)
        amt[act == ALL] = (C_nd - P)[act == ALL]
        amt[act == ONE] = (C_f1 - P)[act == ONE]
        pt = act == PARTIAL
        amt[pt] = np.minimum(np.rint(rng.uniform(0.2, 0.8, n) * s.A[i]), C_f1 - P - 100)[pt]
        amt[prepay] += s.seg_balance(nd - s.f0[i], i)[prepay]
        amt = np.maximum(amt, 0)

        due_today = day_of(a, pay_day)
        late = k0 > 0
        day = np.where(late, day_of(a, rng.integers(12, 29, n)), due_today - rng.integers(0, 4, n))
        channel = np.where(late, rng.choice([1, 2, 3, 4], n, p=[0.35, 0.35, 0.1, 0.2]), self.channel[i])
        paying = amt > 0
        self._payments(i[paying], day[paying], amt[paying], channel[paying])
        bounce = (k0 == 0) & (act == NOTHING) & (self.channel[i] == 0) & (a >= self.w0) & (u2 < 0.5) & (C_nd > P)
        if bounce.any():
            pos = self._payments(i[bounce], due_today[bounce], (C_nd - P)[bounce], np.zeros(bounce.sum()))
            self._payments(i[bounce], due_today[bounce] + 1, -(C_nd - P)[bounce], np.zeros(bounce.sum()), pos)
        P = P + amt
        self.P[i] = P

        rs = act == RESTRUCTURE
        if rs.any():
            self._restructure(a, i[rs], f[rs])
            nd = np.where(rs, s.n_due(a, i), nd)
            C_nd = np.where(rs, s.cum_due(nd, i), C_nd)
        f2 = s.fully_paid(P, i)
        dpd = np.where(f2 < nd, month_end(a) - s.due_day(f2, i, pay_day), 0)
        bal = np.where(prepay, 0, s.principal_left(P, np.minimum(f2, s.f0[i] + s.N[i]), i))
        done = prepay | (f2 >= s.f0[i] + s.N[i])
        return {"loan": i, "k0": k0, "act": act, "paid": amt, "day": day, "due_day": due_today,
                "overdue0": np.maximum(C_prev - (P - amt), 0), "dpd": dpd.astype(np.int64),
                "k": np.maximum(nd - f2, 0) * (dpd > 0), "bal": bal, "amount_due": np.maximum(C_nd - C_prev, 0) * ~rs,
                "overdue": np.maximum(C_nd - P, 0) * (dpd > 0), "bounce": bounce, "paid_off": done,
                "bucket": bucket_code(dpd)}

    def _restructure(self, a: int, i: np.ndarray, f: np.ndarray) -> None:
        s, b = self.seg, self.book
        L = s.seg_balance(f - s.f0[i], i)
        remaining = s.f0[i] + s.N[i] - f
        ext = np.where(b.product[i] == MORTGAGE, 36, self.rng.choice([6, 12, 24], len(i)))
        N = np.maximum(remaining + ext, 6)
        C_f = s.cum_due(f, i)
        A = annuity_payment(L, s.rate[i], N)
        s.L[i], s.A[i], s.N[i], s.last[i] = L, A, N, last_payment(L, s.rate[i], A, N)
        s.first[i], s.f0[i], s.C0[i] = a + 1, f, C_f
        self.restructured[i] = True
        self.kept_rows[i] = f
        self.events.restructure(a, i, L, ext, A)

    # ------------------------------------------------------------------ credit cards
    def _cards(self, a: int, i: np.ndarray) -> dict:
        b, rng = self.book, self.rng
        n = len(i)
        c = self.card_pos[i]
        stage = self.people.stage[b.borrower[i]]
        lim = b.limit[i]
        ring = self.ring[c]
        ring[:, :-1] = ring[:, 1:]
        k0 = (ring[:, :-1] > 0).sum(axis=1)
        overdue0 = ring[:, :-1].sum(axis=1)
        interest = np.rint(self.card_carry[c] * 0.015).astype(np.int64)
        S = self.card_bal[c] + interest
        md = np.where(S > 0, np.minimum(S, np.maximum(10_000, np.rint(0.1 * (S - interest)) + interest)), 0)
        ring[:, -1] = md
        u, u2 = rng.random(n), rng.random(n)
        act = np.full(n, ALL, dtype=np.int8)
        calm = stage < 2
        act[calm & (k0 == 0) & (u < np.where(stage == 1, 0.05, TECH_MISS[CARD] * miss_season(a)))] = NOTHING
        relapse = calm & (k0 > 0) & (u >= TECH_CURE)
        act[relapse] = NOTHING
        self.people.stage[b.borrower[i[relapse]]] = 2
        d0 = (stage == 2) & (k0 == 0)
        act[d0 & (u < 0.6)] = NOTHING
        act[d0 & (u >= 0.6) & (u < 0.8)] = PARTIAL
        d1 = (stage == 2) & (k0 > 0)
        kk = np.minimum(k0, 7)
        act[d1] = np.select([u < CURE[kk], u < CURE[kk] + ONE_P[kk], u < CURE[kk] + ONE_P[kk] + PART_P[kk]],
                            [ALL, ONE, PARTIAL], NOTHING)[d1]
        if a < self.w0:
            act[(k0 >= 6) & (act <= PARTIAL)] = ONE
        owed = ring.sum(axis=1)
        oldest = np.argmax(ring > 0, axis=1)
        first_due = ring[np.arange(n), oldest]
        full = np.where(self.transactor[c] & (stage == 0), S,
                        owed + np.rint(rng.random(n) * 0.5 * np.maximum(S - owed, 0)).astype(np.int64))
        X = np.select([act == ALL, act == ONE, act == PARTIAL],
                      [full, first_due, np.rint(rng.uniform(0.2, 0.8, n) * first_due)], 0).astype(np.int64)
        X = np.minimum(X, S)
        cum_before = np.cumsum(ring, axis=1) - ring
        ring -= np.clip(X[:, None] - cum_before, 0, ring)
        late = k0 > 0
        due_today = day_of(a, b.pay_day[i])
        day = np.where(late, day_of(a, rng.integers(12, 29, n)), due_today - rng.integers(0, 4, n))
        channel = np.where(late, rng.choice([1, 2, 4], n), self.channel[i])
        self._payments(i[X > 0], day[X > 0], X[X > 0], channel[X > 0])
        k = (ring > 0).sum(axis=1)
        room = np.maximum(lim - (S - X), 0)
        spend = np.where(stage == 1, rng.uniform(0.4, 0.95, n) * room,
                         rng.uniform(0, 2, n) * self.spend[c] * 0.5 * lim)
        spend = np.where((k > 0) | (stage == 2), 0, np.minimum(spend, room))
        bal = S - X + np.rint(spend).astype(np.int64)
        self.card_carry[c] = np.where(X >= S, 0, S - X)
        self.card_bal[c] = bal
        self.ring[c] = ring
        oldest = np.argmax(ring > 0, axis=1)
        dpd = np.where(k > 0, month_end(a) - day_of(a - (RING - 1) + oldest, b.pay_day[i]), 0)
        stmt = md > 0
        self.sched_cards.add(loan=i[stmt], no=(a - b.orig_month[i])[stmt], day=due_today[stmt],
                             principal=(md - np.minimum(interest, md))[stmt], interest=np.minimum(interest, md)[stmt])
        closed = (stage == 0) & (bal == 0) & (k == 0) & (u2 < CARD_CLOSE) & (a >= self.w0)
        return {"loan": i, "k0": k0, "act": act, "paid": X, "day": day, "due_day": due_today, "overdue0": overdue0,
                "dpd": dpd.astype(np.int64), "k": k, "bal": bal, "amount_due": md, "overdue": ring.sum(axis=1),
                "bounce": np.zeros(n, bool), "paid_off": closed, "bucket": bucket_code(dpd)}

    # ------------------------------------------------------------------ exits and rows
    def _terminal(self, a: int, v: dict) -> None:
        i = v["loan"]
        prod = self.book.product[i]
        co = (prod != MORTGAGE) & (v["dpd"] > config.setting("charge_off_dpd")) & (a >= self.w0)
        po = v["paid_off"] & ~co
        v["terminal"] = np.where(co, CHARGED_OFF, np.where(po, PAID_OFF, 0)).astype(np.int8)
        self.status[i[co]], self.status[i[po]] = CHARGED_OFF, PAID_OFF
        self.end_month[i[co | po]] = a
        self.charged[i[co]] = v["bal"][co]
        v["bal"] = np.where(po, 0, v["bal"])
        v["bucket"] = np.where(co, 8, np.where(po, 9, v["bucket"])).astype(np.int8)
        lit = (prod == MORTGAGE) & (v["dpd"] > 180) & ~self.litigation[i] & (a >= self.w0)
        self.litigation[i[lit]] = True
        v["litigation_new"] = lit

    def _emit_performance(self, E: int, v: dict, new: np.ndarray) -> None:
        b = self.book
        i = v["loan"]
        lim = np.where(b.product[i] == CARD, b.limit[i], -1)
        self.perf.add(loan=i, as_of=np.full(len(i), E), bal=v["bal"], dpd=v["dpd"], bucket=v["bucket"],
                      due=v["amount_due"], paid=v["paid"], overdue=v["overdue"],
                      limit=lim, restructured=self.restructured[i])
        card = b.product[new] == CARD
        bal0 = np.where(card, self.card_bal[np.maximum(self.card_pos[new], 0)], b.principal[new])
        z = np.zeros(len(new), dtype=np.int64)
        self.perf.add(loan=new, as_of=np.full(len(new), E), bal=bal0, dpd=z, bucket=z.astype(np.int8), due=z,
                      paid=z, overdue=z, limit=np.where(card, b.limit[new], -1), restructured=np.zeros(len(new), bool))

    # ------------------------------------------------------------------ schedules
    def schedules(self) -> dict[str, np.ndarray]:
        """Instalment schedules (original rows, then the restructured segment) and card statements."""
        b, s = self.book, self.seg
        i = np.flatnonzero(b.product != CARD)
        orig_rows = np.where(self.kept_rows[i] >= 0, self.kept_rows[i], b.term[i])
        parts = [self._segment_rows(i, orig_rows, b.principal[i], b.rate[i], b.instalment[i], b.term[i],
                                    b.orig_month[i] + 1, np.zeros(len(i), np.int64))]
        r = np.flatnonzero(self.restructured)
        parts.append(self._segment_rows(r, s.N[r], s.L[r], s.rate[r], s.A[r], s.N[r], s.first[r], s.f0[r]))
        cards = self.sched_cards.concat()
        parts.append({"loan": cards["loan"], "no": cards["no"], "day": cards["day"],
                      "principal": cards["principal"], "interest": cards["interest"]})
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def _segment_rows(self, i, rows, L, rate, A, N, first, f0) -> dict[str, np.ndarray]:
        rep = lambda x: np.repeat(x, rows)  # noqa: E731
        j = np.arange(rows.sum()) - np.repeat(np.cumsum(rows) - rows, rows) + 1        # 1-based within segment
        Lr, rr, Ar, Nr = rep(L), rep(rate), rep(A), rep(N)
        before, after = annuity_balance(Lr, rr, Ar, Nr, j - 1), annuity_balance(Lr, rr, Ar, Nr, j)
        last = before + np.rint(before * rr / 12.0).astype(np.int64)
        amount = np.where(j >= Nr, last, Ar)
        principal = before - after
        return {"loan": rep(i), "no": rep(f0) + j, "day": day_of(rep(first) + j - 1, rep(self.book.pay_day[i])),
                "principal": principal, "interest": np.maximum(amount - principal, 0)}
