"""Champion/challenger statistics checked against scipy on the same counts; verdicts at hand-worked sizes; the
per-account outcomes (cure, roll forward, collected net of reversals, channel cost) on a hand-made book."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from collection import compare


@pytest.mark.parametrize("k, n", [(0, 10), (3, 10), (300, 1000), (49, 50)])
def test_wilson_matches_scipy(k, n):
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert compare.wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)


@pytest.mark.parametrize("k1, n1, k2, n2", [(300, 1000, 360, 1000), (12, 40, 20, 45), (5, 30, 5, 31)])
def test_two_proportion_z_matches_chi_square(k1, n1, k2, n2):
    z, p = compare.two_proportion_z(k1, n1, k2, n2)
    chi2, p_chi, _, _ = stats.chi2_contingency([[k1, n1 - k1], [k2, n2 - k2]], correction=False)
    assert z * z == pytest.approx(chi2, rel=1e-10)
    assert p == pytest.approx(p_chi, rel=1e-9)


def test_welch_and_t_interval_match_scipy():
    rng = np.random.default_rng(3)
    a, b = rng.gamma(2.0, 300.0, 80), rng.gamma(2.0, 380.0, 55)
    t, df, p = compare.welch(a, b)
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert (t, p) == (pytest.approx(ref.statistic, rel=1e-10), pytest.approx(ref.pvalue, rel=1e-9))
    lo, hi = stats.t.interval(0.95, len(a) - 1, loc=np.mean(a), scale=stats.sem(a))
    assert compare.t_interval(a) == (pytest.approx(lo), pytest.approx(hi))


def _outcomes(n1, k1, n2, k2, seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cured = np.r_[np.arange(n1) < k1, np.arange(n2) < k2]
    return pd.DataFrame({"loan_id": [f"L{i}" for i in range(n1 + n2)], "segment": "s",
                         "arm": ["champion"] * n1 + ["challenger"] * n2, "cured": cured, "rolled": ~cured,
                         "collected": rng.gamma(2.0, 500.0, n1 + n2), "cost": rng.gamma(2.0, 5.0, n1 + n2)})


def test_verdicts():
    # 300/1000 vs 360/1000: pooled 0.33, se = sqrt(0.33 x 0.67 x 2/1000) = 0.021029, z = 0.06 / se = 2.853,
    # p = 0.0043 < 0.05 -> challenger better (more cures); fewer roll-forwards is better too
    r = compare.compare_arms(_outcomes(1000, 300, 1000, 360)).set_index("metric")
    assert r.loc["cure_rate", "statistic"] == pytest.approx(0.06 / math.sqrt(0.33 * 0.67 * 0.002), rel=1e-9)
    assert r.loc["cure_rate", "verdict"] == "challenger better"
    assert r.loc["roll_forward_rate", "verdict"] == "challenger better"
    # 20 accounts a side: below MIN_ARM = 30
    assert set(compare.compare_arms(_outcomes(20, 6, 20, 12))["verdict"]) == {"sample too small to tell"}
    # 200 a side, 0.30 vs 0.33: not significant and MDE = 2.8016 x sqrt(0.315 x 0.685 x 2/200) = 0.130 > 0.02
    r = compare.compare_arms(_outcomes(200, 60, 200, 66)).set_index("metric")
    assert r.loc["cure_rate", "mde"] == pytest.approx((1.959964 + 0.841621) * math.sqrt(0.315 * 0.685 / 100),
                                                      rel=1e-5)
    assert r.loc["cure_rate", "verdict"] == "sample too small to tell"
    # 20,000 a side, equal rates: MDE = 2.8016 x sqrt(0.21 x 2/20000) = 0.0128 < 0.02 -> no meaningful difference
    r = compare.compare_arms(_outcomes(20000, 6000, 20000, 6000)).set_index("metric")
    assert r.loc["cure_rate", "verdict"] == "no meaningful difference"


def test_segments_without_a_challenger_are_left_out():
    df = _outcomes(100, 30, 100, 40)
    extra = _outcomes(500, 0, 0, 0).assign(segment="other", loan_id=lambda d: "X" + d["loan_id"])
    r = compare.compare_arms(pd.concat([df, extra])).set_index("metric")
    assert r.loc["cure_rate", "champion_n"] == 100 and r.loc["cure_rate", "champion"] == pytest.approx(0.30)


def test_arm_outcomes_on_a_hand_made_book(isolated_home):
    from data import store
    # Feb 2024 (t): C1..C4 in 1-30. March (t+1): C1 current, C2 31-60, C3 paid off, C4 not observed (left out).
    # March payments: C1 100; C2 50 then a reversal of 20 (net 30). March actions: C1 sms (0.05) + agent call (4).
    with store.new_generation() as con:
        for loan in ("C1", "C2", "C3", "C4"):
            con.execute("INSERT INTO borrowers (borrower_id, borrower_type, source) VALUES (?, 'retail', 'test')",
                        [f"B{loan}"])
            con.execute("INSERT INTO loans (loan_id, borrower_id, product, region, origination_date, principal, "
                        "currency, source) VALUES (?, ?, 'consumer', 'R', DATE '2023-06-15', 5000, 'CNY', 'test')",
                        [loan, f"B{loan}"])
            con.execute("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket) VALUES "
                        "(?, DATE '2024-02-29', 1000, 10, '1-30')", [loan])
        con.execute("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket) VALUES "
                    "('C1', DATE '2024-03-31', 900, 0, 'current'), ('C2', DATE '2024-03-31', 1000, 40, '31-60'), "
                    "('C3', DATE '2024-03-31', 0, 0, 'paid_off')")
        con.execute("INSERT INTO payments VALUES ('P1', 'C1', DATE '2024-03-05', 100, 'app', FALSE, NULL), "
                    "('P2', 'C2', DATE '2024-03-06', 50, 'app', FALSE, NULL), "
                    "('P3', 'C2', DATE '2024-03-09', -20, 'app', TRUE, 'P2'), "
                    "('P0', 'C1', DATE '2024-02-20', 999, 'app', FALSE, NULL)")     # before t: not counted
        con.execute("INSERT INTO collection_actions (action_id, loan_id, action_date, channel, agent, outcome) "
                    "VALUES ('A1', 'C1', DATE '2024-03-02', 'sms', NULL, 'sent'), "
                    "('A2', 'C1', DATE '2024-03-04', 'agent_call', 'AG', 'contacted')")
    df = compare.arm_outcomes(store.reader().cursor(), "2024-02").set_index("loan_id")
    assert list(df.index) == ["C1", "C2", "C3"]
    assert df["cured"].tolist() == [True, False, True]
    assert df["rolled"].tolist() == [False, True, False]
    assert df["collected"].tolist() == pytest.approx([100.0, 30.0, 0.0])
    assert df["cost"].tolist() == pytest.approx([4.05, 0.0, 0.0])


def test_cli_compare_says_too_small(isolated_home, capsys):
    test_arm_outcomes_on_a_hand_made_book(isolated_home)
    import cli
    assert cli.main(["collections", "compare", "--as-of", "2024-02"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["metric", "cure_rate", "roll_forward_rate",
                                                      "collected_per_account", "cost_per_unit_collected"]
    assert all(line.endswith("sample too small to tell") for line in lines[1:])
