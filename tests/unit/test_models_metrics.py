"""Validation metrics: cross-checked against scikit-learn and scipy on the same inputs, and pinned by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

from models import metrics
from models.scale import grade_of, grade_names


@pytest.fixture(scope="module")
def sample():
    """5,000 loans: PDs from a beta, outcomes drawn from them, scores rounded so that ties occur."""
    rng = np.random.default_rng(11)
    p = rng.beta(1.2, 18, 5000)
    y = (rng.random(5000) < p).astype(int)
    return y, np.round(p, 3)


def test_auc_matches_sklearn_with_ties(sample):
    y, p = sample
    assert metrics.auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert metrics.gini(y, p) == pytest.approx(2 * roc_auc_score(y, p) - 1, abs=1e-12)


def test_auc_by_hand():
    # bads score 0.9 and 0.4, goods 0.4 and 0.1: pairs (0.9>0.4)=1, (0.9>0.1)=1, (0.4=0.4)=0.5, (0.4>0.1)=1
    assert metrics.auc([1, 1, 0, 0], [0.9, 0.4, 0.4, 0.1]) == pytest.approx(3.5 / 4)
    assert np.isnan(metrics.auc([0, 0], [0.1, 0.2]))


def test_ks_matches_scipy_two_sample_statistic(sample):
    y, p = sample
    expected = stats.ks_2samp(p[y == 1], p[y == 0]).statistic
    assert metrics.ks(y, p) == pytest.approx(expected, abs=1e-12)
    fpr, tpr, _ = roc_curve(y, p)
    assert metrics.ks(y, p) == pytest.approx(np.max(tpr - fpr), abs=1e-12)


def test_ks_by_hand():
    # cut between 0.3 and 0.6: both bads above, one good of three above -> |1 - 1/3| = 2/3
    assert metrics.ks([1, 1, 0, 0, 0], [0.9, 0.6, 0.7, 0.3, 0.1]) == pytest.approx(2 / 3)


def test_brier_matches_sklearn(sample):
    y, p = sample
    assert metrics.brier(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-15)
    assert metrics.brier([1, 0], [0.8, 0.3]) == pytest.approx((0.04 + 0.09) / 2)


def test_psi_by_hand():
    expected = np.arange(1, 11, dtype=float)          # deciles: one value per band
    actual = np.array([1, 1, 1, 1, 1, 6, 7, 8, 9, 10], dtype=float)
    t = metrics.psi_table(expected, actual)
    # band of value 1 holds 50% instead of 10%; bands of 2..5 are empty (floored at 0.01%)
    by_hand = (0.5 - 0.1) * np.log(0.5 / 0.1) + 4 * (1e-4 - 0.1) * np.log(1e-4 / 0.1)
    assert metrics.psi(expected, actual) == pytest.approx(by_hand)
    assert t["expected_share"].sum() == pytest.approx(1) and t["actual_share"].sum() == pytest.approx(1)
    assert metrics.psi(expected, expected) == 0.0


def test_psi_counts_missing_values_as_a_band():
    e = np.array([1.0, 2.0, 3.0, 4.0])
    a = np.array([1.0, 2.0, np.nan, np.nan])
    t = metrics.psi_table(e, a, bins=2)
    assert t.set_index("band").loc["missing", "actual_share"] == 0.5
    assert metrics.psi(e, a, bins=2) > 0.25


def test_category_psi_and_csi():
    dev = pd.DataFrame({"product": ["card"] * 50 + ["consumer"] * 50, "x": np.arange(100.0)})
    later = pd.DataFrame({"product": ["card"] * 80 + ["consumer"] * 20, "x": np.arange(100.0)})
    by_hand = (0.8 - 0.5) * np.log(0.8 / 0.5) + (0.2 - 0.5) * np.log(0.2 / 0.5)
    assert metrics.category_psi(dev["product"], later["product"]) == pytest.approx(by_hand)
    csi = metrics.csi(dev, later, ["product", "x"], categorical=("product",)).set_index("feature")["csi"]
    assert csi["product"] == pytest.approx(by_hand) and csi["x"] == 0.0


def test_decile_table_by_hand():
    p = np.arange(1, 21) / 100                       # 20 loans, PD 1% .. 20%
    y = np.r_[np.zeros(16), 1, 0, 1, 1]              # bads at PD 17%, 19%, 20%
    t = metrics.decile_table(y, p)
    assert list(t["loans"]) == [2] * 10
    assert list(t["bads"]) == [2, 1] + [0] * 8
    assert t["bad_rate"].iloc[0] == 1.0 and t["lift"].iloc[0] == pytest.approx(1.0 / 0.15)
    assert t["cum_bad_share"].iloc[1] == 1.0
    assert t["max_pd"].iloc[0] == pytest.approx(0.20) and t["min_pd"].iloc[9] == pytest.approx(0.01)


def test_decile_bad_rate_falls_for_a_good_score(sample):
    y, p = sample
    rates = metrics.decile_table(y, p)["bad_rate"].to_numpy()
    assert rates[0] > 3 * rates[-1]
    assert metrics.decile_table(y, p)["loans"].sum() == len(y)


def test_calibration_ece_and_hosmer_lemeshow_by_hand():
    # two bands of 10 loans: PD 0.1 with 3 bads, PD 0.5 with 5 bads
    p = np.r_[np.full(10, 0.5), np.full(10, 0.1)]
    y = np.r_[np.ones(5), np.zeros(5), np.ones(3), np.zeros(7)]
    t = metrics.calibration_table(y, p, n=2)
    assert list(t["mean_pd"]) == pytest.approx([0.5, 0.1]) and list(t["bad_rate"]) == pytest.approx([0.5, 0.3])
    assert metrics.ece(y, p, n=2) == pytest.approx((10 * 0 + 10 * 0.2) / 20)
    stat, pv = metrics.hosmer_lemeshow(y, p, n=2)
    by_hand = (5 - 5) ** 2 / (5 * 0.5) + (3 - 1) ** 2 / (1 * 0.9)
    assert stat == pytest.approx(by_hand)
    assert pv == pytest.approx(stats.chi2.sf(by_hand, 1))   # 2 bands - 2 -> at least 1 degree of freedom


def test_hosmer_lemeshow_accepts_calibrated_pds(sample):
    y, p = sample
    stat, pv = metrics.hosmer_lemeshow(y, p)
    assert pv > 0.01 and stat >= 0


def test_binomial_tests_match_scipy():
    p = np.r_[np.full(100, 0.02), np.full(50, 0.2)]
    y = np.r_[np.ones(8), np.zeros(92), np.ones(10), np.zeros(40)]
    t = metrics.binomial_tests(y, p, grade_of(p)).set_index("grade")
    low, high = grade_of([0.02])[0], grade_of([0.2])[0]
    assert t.loc[low, "bads"] == 8 and t.loc[low, "loans"] == 100
    assert t.loc[low, "p_value"] == pytest.approx(stats.binomtest(8, 100, 0.02, alternative="greater").pvalue)
    assert bool(t.loc[low, "pd_too_low"]) is True          # 8 bads where 2 were expected
    assert bool(t.loc[high, "pd_too_low"]) is False        # 10 of 50 at PD 20%


def test_master_scale_edges():
    names = grade_names()
    assert names[0] == "G1" and names[-1] == f"G{len(names)}"
    # default edges 0.25%, 0.5%, 1%, 2%, 4%, 8%, 16%, 32%: an edge belongs to the better grade
    assert list(grade_of([0.0, 0.0025, 0.0026, 0.015, 0.32, 0.5])) == ["G1", "G1", "G2", "G4", "G8", "G9"]


def test_roc_points_run_from_origin_to_corner(sample):
    y, p = sample
    r = metrics.roc_points(y, p, 50)
    assert (r["fpr"].iloc[0], r["tpr"].iloc[0]) == (0.0, 0.0)
    assert (r["fpr"].iloc[-1], r["tpr"].iloc[-1]) == pytest.approx((1.0, 1.0))
    assert r["fpr"].is_monotonic_increasing and len(r) <= 50


def test_ks_curve_by_hand():
    # ranked riskiest first: 0.9 bad, 0.7 good, 0.6 bad, 0.3 good, 0.1 good. After the top 3 loans (60%) both
    # bads (100%) and one good of three (33%) are caught: the widest gap 2/3, the same as ks()
    y, s = [1, 1, 0, 0, 0], [0.9, 0.6, 0.7, 0.3, 0.1]
    c = metrics.ks_curve(y, s)
    at = c.loc[c["gap"].idxmax()]
    assert at["share"] == pytest.approx(0.6) and at["bads_share"] == 1.0 and at["goods_share"] == pytest.approx(1 / 3)
    assert at["gap"] == pytest.approx(metrics.ks(y, s)) and at["threshold"] == 0.6
    assert (c["share"].iloc[0], c["share"].iloc[-1]) == (0.0, pytest.approx(1.0))


def test_ks_curve_peak_matches_scipy(sample):
    y, p = sample
    c = metrics.ks_curve(y, p, points=50)
    assert c["gap"].max() == pytest.approx(stats.ks_2samp(p[y == 1], p[y == 0]).statistic, abs=1e-12)
    assert len(c) <= 51


def test_grade_table_by_hand():
    # 100 loans at PD 2% with 8 bads, 50 at PD 20% with 10 bads: overall bad rate 18/150 = 12%
    p = np.r_[np.full(100, 0.02), np.full(50, 0.2)]
    y = np.r_[np.ones(8), np.zeros(92), np.ones(10), np.zeros(40)]
    t = metrics.grade_table(y, p, grade_of(p)).set_index("grade")
    low, high = grade_of([0.02])[0], grade_of([0.2])[0]
    assert t.loc[low, "share"] == pytest.approx(100 / 150) and t.loc[high, "share"] == pytest.approx(50 / 150)
    assert t.loc[low, "lift"] == pytest.approx(0.08 / 0.12) and t.loc[high, "lift"] == pytest.approx(0.2 / 0.12)
    assert bool(t.loc[low, "pd_too_low"]) and not bool(t.loc[high, "pd_too_low"])


def test_evaluation_gathers_the_same_figures(sample):
    from models.validation import evaluate
    y, p = sample
    ev = evaluate(y, p)
    assert ev.auc == pytest.approx(roc_auc_score(y, p), abs=1e-12) and ev.brier == pytest.approx(
        brier_score_loss(y, p), abs=1e-15)
    assert ev.ks == pytest.approx(metrics.ks(y, p)) and ev.ece == pytest.approx(metrics.ece(y, p))
    assert (ev.hl_statistic, ev.hl_p_value) == pytest.approx(metrics.hosmer_lemeshow(y, p))
    assert ev.grades["loans"].sum() == len(y) == ev.deciles["loans"].sum()
    assert list(ev.grades["grade"]) == sorted(ev.grades["grade"], key=lambda g: int(g[1:]))
