"""The model card (models/card.py) of a small hand-made version: its sections, figures, limitations, approvals,
both languages, and the PDF."""
from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models import card, metrics, registry
from models.catalog import NAMES
from models.targets import TARGETS

# 10 out-of-time loan-months, hand-made: PDs and outcomes
PD = [0.50, 0.40, 0.30, 0.20, 0.10, 0.05, 0.04, 0.03, 0.02, 0.01]
BAD = [1, 1, 0, 1, 0, 0, 0, 0, 0, 0]


@pytest.fixture
def version(isolated_home):
    """A registered early-warning version whose out-of-time predictions are PD / BAD above."""
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.random((200, 2)), columns=["dpd", "balance"])
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4}, lgb.Dataset(x, x["dpd"] > 0.7), 3)
    months = {"source": "test", "obs_from": "2026-01", "obs_to": "2026-06", "oot_from": "2026-05",
              "development_months": ["2026-01", "2026-02", "2026-03", "2026-04"], "oot_months": ["2026-05", "2026-06"]}
    report = {"target": TARGETS["early_warning"].as_dict(), "created_at": "2026-10-01T08:00:00+00:00",
              "auc": metrics.auc(BAD, PD), "gini": metrics.gini(BAD, PD), "ks": metrics.ks(BAD, PD),
              "brier": metrics.brier(BAD, PD), "psi": 0.31, "data": months, "seed": 7,
              "development": {"rows": 40, "rows_total": 40, "bad_rate": 0.25, "auc": 0.9, "gini": 0.8, "ks": 0.7,
                              "brier": 0.1},
              "training": {"best_iteration": 3},
              "importance": [{"feature": "dpd", "en": "Days past due", "zh": "逾期天数", "mean_abs_shap": 0.8,
                              "gain": 10.0},
                             {"feature": "balance", "en": "Outstanding balance", "zh": "欠款余额",
                              "mean_abs_shap": 0.1, "gain": 1.0}]}
    predictions = pd.DataFrame({"loan_id": [f"L{i}" for i in range(10)], "obs_month": ["2026-05"] * 10, "pd": PD,
                                "bad": BAD})
    spec = {"features": list(NAMES), "categorical": [], "levels": {}}
    v = registry.save_version(TARGETS["early_warning"], booster, spec, {"learning_rate": 0.1, "num_leaves": 4},
                              report, pd.DataFrame({"x": [1]}), predictions, pd.DataFrame({"pd": [0.1]}))
    return v


def test_card_figures_and_sections(version):
    c = card.build("early_warning", version)
    # AUC by hand: bads at 0.5, 0.4, 0.2; goods 0.3, 0.1 .. 0.01 (7 goods). Pairs a bad ranks above a good:
    # 0.5 -> 7, 0.4 -> 7, 0.2 -> 6 (not above 0.3): 20 of 21
    assert c.evaluation.auc == pytest.approx(20 / 21)
    assert not c.champion and c.approvals == []
    page = card.html_page(c, {"roc": "<svg id='roc'></svg>"}, "en")
    for heading in ("Purpose", "Version", "Data", "Target", "Features", "Metrics", "Limitations", "Approvals"):
        assert f"<h2>{heading}</h2>" in page
    assert f"{20 / 21:,.4f}" in page and "<svg id='roc'></svg>" in page
    assert "2026-01 – 2026-04" in page and "2026-05 – 2026-06" in page          # development and out-of-time
    assert "Days past due" in page and "Not approved yet" in page
    # the PSI of 0.31 is reported as a shift, and only 3 bads as wide uncertainty
    lims = card.limitations(c, "en")
    assert any("PSI 0.310" in x for x in lims) and any("Only 3 bads" in x for x in lims)


def test_card_lists_approvals_and_speaks_chinese(version):
    registry.promote("early_warning", version, reason="validated", actor="validator")
    c = card.build("early_warning", version)
    assert c.champion and [(a["actor"], a["reason"], a["previous"]) for a in c.approvals] == [
        ("validator", "validated", None)]
    page = card.html_page(c, {}, "zh")
    assert "模型卡：early_warning" in page and "<h2>审批</h2>" in page and "validated" in page
    assert "逾期天数" in page and "lang='zh-CN'" in page


def test_card_pdf(version):
    pdf = card.pdf(card.html_page(card.build("early_warning", version), {}, "en"))
    assert pdf[:5] == b"%PDF-" and len(pdf) > 5000
