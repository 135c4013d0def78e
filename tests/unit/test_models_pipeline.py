"""A small demo book end to end: train (out of time), registry and champion, batch scoring, SHAP explanations."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import store, workflow
from data.errors import DataError, UsageError
from models import registry
from models.catalog import NAMES, REASONS
from models import monitor
from models.explain import explain_loan, global_importance
from models.features import build_features, matrix
from models.scale import grade_of
from models.score import score_book
from models.targets import TARGETS, TargetDef
from models.train import train_model
from tests.conftest import reset_caches
from tests.workspace import workspace_env

OBS = ("2025-09", "2026-06", "2026-04")          # early warning (H 3): data to 2026-10, so June is the last
AS_OF = "2026-10-31"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("models-pipeline")
    with pytest.MonkeyPatch.context() as mp:
        for k, v in workspace_env(root).items():
            mp.setenv(k, v)
        from data.demo import build_demo
        build_demo(n_loans=3000, months=24, seed=5, end_month="2026-10", home=root / "home")
        reset_caches()
        con = store.reader(root / "home").cursor()
        result = train_model(con, TARGETS["early_warning"], *OBS, seed=3, home=root / "home")
        reset_caches()
    return root, result


@pytest.fixture
def env(root, monkeypatch):
    for k, v in workspace_env(root[0]).items():
        monkeypatch.setenv(k, v)
    reset_caches()
    yield root[1]
    reset_caches()


def test_report_headline_figures_and_files(env):
    r = env.report
    assert set(r) >= {"auc", "gini", "ks", "brier", "psi", "oot", "csi", "importance", "target", "data"}
    assert 0.75 < r["auc"] < 1 and r["gini"] == pytest.approx(2 * r["auc"] - 1)
    assert 0 < r["ks"] < 1 and 0 < r["brier"] < 0.2 and r["psi"] >= 0
    assert r["data"]["development_months"][0] == "2025-09" and r["data"]["oot_months"] == ["2026-04", "2026-05",
                                                                                          "2026-06"]
    assert r["oot"]["rows"] == len(env.predictions) and r["oot"]["bads"] == env.predictions["bad"].sum()
    assert list(env.predictions.columns) == ["loan_id", "obs_month", "pd", "bad"]
    assert set(env.predictions["obs_month"]) == {"2026-04", "2026-05", "2026-06"}
    deciles = pd.DataFrame(r["oot"]["deciles"])
    assert len(deciles) == 10 and deciles["bad_rate"].iloc[0] > 3 * deciles["bad_rate"].iloc[-1]
    assert {g["grade"] for g in r["oot"]["grades"]} <= set(grade_of([0.0, 1.0]).tolist()) | {
        f"G{i}" for i in range(1, 10)}
    folder = registry.version_dir("early_warning", env.version)
    assert {p.name for p in folder.iterdir()} == {"model.txt", "spec.json", "params.json", "report.json",
                                                    "shap_sample.parquet", "predictions.parquet",
                                                    "dev_sample.parquet"}
    assert json.loads((folder / "report.json").read_text())["auc"] == pytest.approx(r["auc"])
    assert json.loads((folder / "spec.json").read_text())["features"] == list(NAMES)
    sample = registry.read_shap_sample("early_warning", env.version)
    assert len(sample) == 2000 and {"shap__base", "pd", "bad"} <= set(sample.columns)
    imp = global_importance(sample)
    assert len(imp) == len(NAMES) and imp["mean_abs_shap"].is_monotonic_decreasing


def test_training_is_reproducible_with_a_seed(env, tmp_path):
    con = store.reader().cursor()
    again = train_model(con, TARGETS["early_warning"], *OBS, seed=3, home=tmp_path)
    assert again.report["auc"] == env.report["auc"]
    np.testing.assert_array_equal(again.predictions["pd"].to_numpy(), env.predictions["pd"].to_numpy())


def test_champion_promotion_is_audited(env):
    assert registry.champion("early_warning") is None
    table = registry.list_models()
    assert table.loc[table["version"] == env.version, "champion"].tolist() == [False]
    assert registry.promote("early_warning", env.version, reason="validated") is None
    assert registry.champion("early_warning") == env.version
    with workflow.engine().connect() as c:
        rows = c.execute(workflow.audit_log.select().where(workflow.audit_log.c.action == "model_promote")).all()
    assert rows[-1].target == f"early_warning/{env.version}" and "validated" in rows[-1].details
    assert registry.list_models().set_index("version").loc[env.version, "champion"]
    with pytest.raises(UsageError):
        registry.promote("early_warning", "20990101-000000-abcd")
    with pytest.raises(UsageError):
        registry.load("behaviour")                      # no champion: say how to promote one
    registry.promote("early_warning", env.version)     # promoting again is harmless and audited again


@pytest.mark.filterwarnings("ignore:LightGBM binary classifier:UserWarning")     # misleading: one array comes back
def test_score_book_and_explain_one_loan(env, monkeypatch):
    monkeypatch.setenv("LOANWATCH_SCORE_REASON_LOANS", "100")
    registry.promote("early_warning", env.version)
    summary = score_book(AS_OF)
    con = store.reader().cursor()
    population = build_features(con, [AS_OF])
    scores = con.execute("SELECT * FROM scores WHERE target = 'early_warning'").df()
    assert len(scores) == len(population) == summary["targets"]["early_warning"]["loans"]
    assert (scores["model_version"] == env.version).all() and (scores["as_of"] == pd.Timestamp(AS_OF)).all()
    assert scores["pd"].between(0, 1).all()
    assert (scores["grade"].to_numpy() == grade_of(scores["pd"])).all()
    with_reasons = scores[scores["reason_1"].notna()]
    assert 90 <= len(with_reasons) <= 100
    assert with_reasons["pd"].min() >= scores.loc[scores["reason_1"].isna(), "pd"].max()   # the riskiest ones
    assert set(with_reasons[["reason_1", "reason_2", "reason_3"]].stack()) <= set(REASONS)

    loan = with_reasons.sort_values("pd").iloc[-1]
    e = explain_loan(con, loan["loan_id"], AS_OF, "early_warning")
    assert e.version == env.version and e.pd == pytest.approx(loan["pd"], rel=1e-9)
    assert e.contributions["shap"].sum() + e.base_value == pytest.approx(e.raw_score, abs=1e-9)
    assert 1 / (1 + np.exp(-e.raw_score)) == pytest.approx(loan["pd"], rel=1e-9)
    assert list(e.reasons["code"]) == [c for c in loan[["reason_1", "reason_2", "reason_3"]] if c]
    assert e.reasons["contribution"].is_monotonic_decreasing and (e.reasons["contribution"] > 0).all()
    assert e.reasons["zh"].str.len().min() > 0

    # the same values as shap's own TreeExplainer on the same row
    import shap
    model = registry.load("early_warning")
    x = matrix(build_features(con, [AS_OF], [loan["loan_id"]]), model.levels, model.features)
    values = np.asarray(shap.TreeExplainer(model.booster).shap_values(x)).reshape(-1)
    mine = e.contributions.set_index("feature").loc[list(model.features), "shap"].to_numpy()
    np.testing.assert_allclose(values, mine, atol=1e-9)

    score_book(AS_OF)                                   # scoring again replaces, never duplicates
    again = store.reader().cursor().execute("SELECT count(*) FROM scores").fetchall()[0][0]
    assert again == len(population)


def test_explaining_a_loan_outside_the_population_is_a_data_error(env):
    registry.promote("early_warning", env.version)
    con = store.reader().cursor()
    gone = con.execute("SELECT loan_id FROM performance WHERE bucket = 'paid_off' AND as_of < ? LIMIT 1",
                       [AS_OF]).fetchall()[0][0]
    with pytest.raises(DataError, match="not in the model population"):
        explain_loan(con, gone, AS_OF, "early_warning")


@pytest.mark.parametrize("obs, target, message", [
    (("2025-01", "2026-06", "2026-01"), TARGETS["behaviour"], "outcomes not observed yet"),
    (("2020-01", "2025-06", "2025-04"), TARGETS["early_warning"], "months missing"),
    (("2025-09", "2026-06", "2026-04"), TargetDef("rare", 1, 999), "too few bads"),
])
def test_data_problems_are_data_errors(env, obs, target, message):
    with pytest.raises(DataError, match=message):
        train_model(store.reader().cursor(), target, *obs)


def test_out_of_time_months_must_follow_training_months(env):
    for obs in (("2025-09", "2026-06", "2025-09"), ("2025-09", "2026-06", "2026-07"), ("2026-06", "2025-09",
                                                                                       "2026-01")):
        with pytest.raises(UsageError):
            train_model(store.reader().cursor(), TARGETS["early_warning"], *obs)
    assert not Path(registry.models_dir()).joinpath("behaviour").exists()


def test_monitoring_by_month(env):
    con = store.reader().cursor()
    v = env.version
    perf = monitor.performance_by_month(con, "early_warning", ["2026-04", "2026-05", "2026-06", "2026-09"], v)
    by_month = {m["obs_month"]: m for m in env.report["oot_by_month"]}
    for row in perf.itertuples():
        if row.mature:
            assert row.auc == pytest.approx(by_month[f"{row.month:%Y-%m}"]["auc"], abs=1e-12)
    assert list(perf["mature"]) == [True, True, True, False]        # September's window needs December
    psi, csi = monitor.stability(con, "early_warning", ["2026-05", "2026-10"], v)
    assert list(psi["month"].astype(str)) == ["2026-05-31", "2026-10-31"]
    assert (psi["psi"] >= 0).all() and set(psi["band"]) <= {"stable", "watch", "shifted"}
    assert psi["psi"].iloc[0] < 0.10                                 # a month of the validation period: stable
    assert len(csi) == 2 * len(NAMES) and set(csi["feature"]) == set(NAMES)
    assert monitor.psi_band(0.05) == "stable" and monitor.psi_band(0.2) == "watch" and \
        monitor.psi_band(0.3) == "shifted"
    same = monitor.champion_vs_challenger(env.predictions["bad"], env.predictions["pd"], env.predictions["pd"])
    assert (same["champion"] == same["challenger"]).all()
    assert same.set_index("metric").loc["auc", "champion"] == pytest.approx(env.report["auc"])
