"""Markov-chain PD: absorbing states, fallbacks for unobserved rows, the estimation window (hand-computed)."""
import datetime as dt

import numpy as np
import pytest

from analytics import markov

B = {b: i for i, b in enumerate(markov.STATES)}


def counts(*moves):
    c = np.zeros((8, 10), dtype=np.int64)
    for frm, to, n in moves:
        c[B[frm], B[to]] += n
    return c


def test_default_curves_from_a_hand_chain():
    # current: 3 stay, 1 rolls; 1-30: half cure, half roll; 31-60 and 61-90 roll on; paid_off absorbs
    own = counts(("current", "current", 3), ("current", "1-30", 1), ("1-30", "current", 1), ("1-30", "31-60", 1),
                 ("31-60", "61-90", 2), ("61-90", "91-120", 1), ("61-90", "paid_off", 1))
    p = markov.transition_matrix(own, np.zeros_like(own))
    assert p.sum(axis=1) == pytest.approx([1.0] * 8)
    assert p[B["91-120"], B["91-120"]] == 1.0              # no observation at all: stays (no default from there)
    curves = markov.default_curves(p, 4)
    assert curves[B["61-90"]].tolist() == [0, 0.5, 0.5, 0.5, 0.5]
    assert curves[B["31-60"]].tolist() == [0, 0, 0.5, 0.5, 0.5]
    assert curves[B["1-30"]].tolist() == [0, 0, 0, 0.25, 0.25]
    # current: roll at step 1 then 1-30 -> 31-60 -> 61-90 -> default at step 4 = 1/4 * 1/2 * 1 * 1/2
    assert curves[B["current"]][4] == pytest.approx(1 / 16)
    assert curves[B["180+"]].tolist() == [1, 1, 1, 1, 1]


def test_unobserved_rows_borrow_the_pooled_row():
    pooled = counts(("1-30", "31-60", 1), ("1-30", "current", 3))
    p = markov.transition_matrix(counts(("current", "current", 1)), pooled)
    assert p[B["1-30"], B["31-60"]] == 0.25 and p[B["current"], B["current"]] == 1.0


def test_window_counts_only_pairs_ending_in_the_window():
    months = [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    tensor = np.zeros((3, 1, 8, 10), dtype=np.int64)
    tensor[:, 0, 0, 0] = [1, 10, 100]                      # pairs Jan->Feb, Feb->Mar, Mar->Apr
    assert markov.window_counts(months, tensor, dt.date(2024, 3, 31), 12)[0, 0, 0] == 11
    assert markov.window_counts(months, tensor, dt.date(2024, 3, 31), 1)[0, 0, 0] == 10
    assert markov.window_counts(months, tensor, dt.date(2024, 1, 31), 12)[0, 0, 0] == 0


def test_longer_curves_begin_with_the_shorter_ones():
    # provisioning.month_context computes a month-end's curves once and slices them to each horizon asked for:
    # the first n steps of the chain do not depend on how many follow, so the slice is exactly the shorter curves
    own = counts(("current", "current", 3), ("current", "1-30", 1), ("1-30", "current", 1), ("1-30", "31-60", 1),
                 ("31-60", "61-90", 2), ("61-90", "91-120", 1), ("61-90", "paid_off", 1))
    window = np.stack([own, counts(("current", "current", 5), ("current", "1-30", 1))])
    longest = markov.pd_curves(window, 40)
    for horizon in (12, 13, 36):
        assert np.array_equal(longest[:, :, :horizon + 1], markov.pd_curves(window, horizon))
    assert longest[0, B["current"], 4] == pytest.approx(1 / 16)           # as in test_default_curves_from_a_hand_chain
