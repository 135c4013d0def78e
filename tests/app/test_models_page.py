"""The model pages (Models, Model monitoring): their checks on the shared demo book, which has no trained model
(run for every role by test_pages.py), and their own tests on a small book with trained early-warning models."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data import jobs, store, workflow
from models import explain, monitor, registry
from models.targets import TARGETS
from models.train import train_model
from models.validation import version_evaluation
from tests.app.helpers import app, chart_specs, metrics, ok, values
from tests.conftest import reset_caches
from tests.workspace import workspace_env

pytestmark = pytest.mark.app
CHANGERS = {"admin", "model_validator"}


# ---- the shared demo book: no model yet ----------------------------------------------------------------------

def check_models(at: AppTest, home: Path) -> None:
    assert [t.value for t in at.title] == ["Models"]
    assert registry.list_models(home).empty
    assert any("No risk model has been trained yet" in i.value for i in at.info)     # says what to do
    roles = set(at.session_state["roles"])
    if roles & CHANGERS:
        assert "models_train_target" in [s.key for s in at.selectbox]
        # the demo book has 12 month-ends: a 12-month target leaves too few observation months, and it says so
        assert any("too short for a 12-month target" in w.value for w in at.warning)
    else:
        assert "models_train_target" not in [s.key for s in at.selectbox]
        assert any("for model validators and administrators" in c.value for c in at.caption)
    bars, _ = chart_specs(at)                       # the modelling population meanwhile
    from analytics import population
    pop = population.behaviour_population(store.reader(home).cursor())
    assert values(bars["data"][0]["y"]) == pop["loans"].tolist()


def check_monitoring(at: AppTest, home: Path) -> None:
    assert [t.value for t in at.title] == ["Model monitoring"]
    assert any("nothing to monitor" in i.value for i in at.info)
    assert not at.get("plotly_chart")


PAGE_CHECKS = {"app_pages/models.py": check_models, "app_pages/model_monitoring.py": check_monitoring}


# ---- a small book with two trained early-warning versions ----------------------------------------------------

@pytest.fixture(scope="module")
def trained(demo, tmp_path_factory):
    """A copy of the shared demo book (2,000 loans x 12 months) with two early-warning versions (seeds 3 and 4),
    the first the champion with its monitoring computed for the last six month-ends."""
    root = tmp_path_factory.mktemp("models-page")
    shutil.copytree(Path(demo.env["LOANWATCH_HOME"]).parent, root, dirs_exist_ok=True)
    env = workspace_env(root)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        home = Path(env["LOANWATCH_HOME"])
        reset_caches()
        con = store.reader(home).cursor()
        months = [r[0] for r in con.execute("SELECT DISTINCT as_of FROM performance ORDER BY 1").fetchall()]
        window = tuple(f"{m:%Y-%m}" for m in jobs.train_window(months, 3))
        first = train_model(con, TARGETS["early_warning"], *window, seed=3, home=home).version
        second = train_model(con, TARGETS["early_warning"], *window, seed=4, home=home).version
        registry.promote("early_warning", first, reason="fixture", actor="validator", home=home)
        monitor.save_monitoring(monitor.monitoring(con, "early_warning", months[-6:], first, home), home)
        reset_caches()
    return env, home, first, second, window


@pytest.fixture
def env(trained, monkeypatch):
    for k, v in trained[0].items():
        monkeypatch.setenv(k, v)
    reset_caches()
    yield trained
    reset_caches()


def _models(user="validator", role="model_validator", lang=None) -> AppTest:
    at = ok(app(user, [role], lang=lang).run())
    return ok(at.switch_page("app_pages/models.py").run())


def test_validation_figures_come_from_the_registry(env):
    _, home, first, second, _ = env
    at = _models()
    ev = version_evaluation("early_warning", first, home)
    shown = metrics(at)
    assert shown["AUC"] == f"{ev.auc:.3f}" and shown["KS"] == f"{ev.ks:.3f}" and shown["ECE"] == f"{ev.ece:.4f}"
    assert shown["Hosmer–Lemeshow p-value"] == f"{ev.hl_p_value:.3g}"
    registry_table = at.dataframe[0].value
    assert set(registry_table["version"]) == {first, second}
    assert registry_table.set_index("version").loc[first, "champion"] == "champion"
    specs = {s["layout"]["title"]["text"]: s for s in chart_specs(at)}
    roc = specs[f"ROC curve: AUC {ev.auc:.3f}, Gini {ev.gini:.3f}"]
    assert values(roc["data"][1]["y"]) == pytest.approx(ev.roc["tpr"].tolist())
    assert f"{ev.rows:,} loan-months, {ev.bads:,} bads" in roc["layout"]["title"]["subtitle"]["text"].replace(
        "<br>", " ")
    deciles = specs["Bad rate by decile of PD"]
    assert values(deciles["data"][0]["y"]) == pytest.approx(ev.deciles["bad_rate"].tolist())
    assert any(k.startswith("KS plot: widest gap " + f"{ev.ks:.3f}") for k in specs)
    assert any(k.startswith("Calibration: Brier") for k in specs)
    grades = next(d.value for d in at.dataframe if "p_value" in d.value.columns)
    assert grades["bads"].sum() == ev.bads and grades["loans"].sum() == ev.rows
    # champion against challenger on the same rows: the table pins both versions' AUC on the common sample
    cmp = next(d.value for d in at.dataframe if "challenger" in d.value.columns)
    sample = monitor.common_sample("early_warning", first, second, home)
    want = monitor.comparison(sample).set_index("metric")
    assert len(sample) == ev.rows
    assert cmp.set_index("metric").loc["AUC", "champion"] == pytest.approx(want.loc["auc", "champion"])
    assert cmp.set_index("metric").loc["AUC", "challenger"] == pytest.approx(want.loc["auc", "challenger"])


def test_promotion_from_the_page_is_audited(env):
    _, home, first, second, _ = env
    at = _models()
    at.selectbox(key="models_version_early_warning_en").set_value(second).run()
    ok(at)
    at.text_input(key=f"models_reason_{second}").input("better calibration").run()
    ok(at)
    at.button(key="models_promote").click().run()
    ok(at)
    assert registry.champion("early_warning", home) == second
    last = workflow.audit_entries(action="model_promote", limit=1)[0]
    assert last["actor"] == "validator" and last["target"] == f"early_warning/{second}"
    assert json.loads(last["details"])["reason"] == "better calibration"
    registry.promote("early_warning", first, reason="restore the fixture's champion", home=home)


def test_risk_manager_sees_but_cannot_promote_or_train(env):
    _, home, first, second, _ = env
    at = _models("risk", "risk_manager")
    assert "models_promote" not in [b.key for b in at.button]
    assert "Start training" not in [b.label for b in at.button]
    assert metrics(at)["AUC"] == f"{version_evaluation('early_warning', first, home).auc:.3f}"


def test_starting_training_creates_a_job(env, monkeypatch):
    launched = []
    monkeypatch.setattr(jobs, "launch", lambda job_id: launched.append(job_id) or 0)   # no worker in this test
    at = _models()
    at.selectbox(key="models_train_target").set_value("early_warning").run()
    ok(at)
    at.button(key="models_train_start").click().run()
    ok(at)
    job = jobs.get(launched[0], check=False)
    assert job["kind"] == "train" and job["actor"] == "validator" and job["status"] == "queued"
    # the suggested window (jobs.train_window): the last month with a whole 3-month window, 3 months out of time
    window = env[4]
    assert job["params"] == {"target": "early_warning", "obs_from": window[0], "obs_to": window[1],
                             "oot_from": window[2], "seed": 7}
    assert workflow.audit_entries(action="job_start", limit=1)[0]["target"] == f"train/{launched[0]}"


def test_monitoring_page_figures(env):
    _, home, first, _, _ = env
    at = ok(app("validator", ["model_validator"]).run())
    ok(at.switch_page("app_pages/model_monitoring.py").run())
    mon = monitor.read_monitoring("early_warning", first, home)
    specs = {}
    for tab in ("Performance over time", "Explanations (SHAP)", "Stability (PSI, CSI)"):   # only the open tab runs
        specs.update({s["layout"]["title"]["text"]: s for s in chart_specs(at)})
        at.session_state["monitor_tabs"] = tab
        ok(at.run())
    assert len(chart_specs(at)) == 2                                   # the stability tab alone: PSI and CSI
    psi = specs["Score stability (PSI) against development"]
    assert values(psi["data"][0]["y"]) == pytest.approx(mon.psi["psi"].tolist())
    perf = specs["Discrimination by observation month, as outcomes mature"]
    assert sum(v is not None and v == v for v in values(perf["data"][0]["y"])) == int(mon.performance["mature"].sum())
    imp = explain.global_importance(registry.read_shap_sample("early_warning", first, home))
    bars = specs["Global importance: top 15 features"]
    assert values(bars["data"][0]["x"])[::-1] == pytest.approx(imp["mean_abs_shap"].head(15).tolist())
    waterfall = next(s for k, s in specs.items() if k.startswith("Why this loan's PD is"))
    sample = registry.read_shap_sample("early_warning", first, home).sort_values("pd", ascending=False)
    top = sample.iloc[0]
    e = explain.explain_loan(store.reader(home).cursor(), top["loan_id"], top["as_of"].date(), "early_warning",
                             first, home)
    assert values(waterfall["data"][0]["x"])[0] == pytest.approx(e.raw_score)          # the total bar
    assert waterfall["layout"]["title"]["text"] == f"Why this loan's PD is {e.pd:.2%}"
    at.session_state["monitor_tabs"] = "Explanations (SHAP)"
    ok(at.run())
    reasons = next(d.value for d in at.dataframe if "zh" in d.value.columns)
    assert list(reasons["en"]) == list(e.reasons["en"]) and list(reasons["zh"]) == list(e.reasons["zh"])


def test_models_page_in_chinese(env):
    at = _models(lang="zh")
    assert [t.value for t in at.title] == ["模型"]
    assert [t.label for t in at.tabs][:2] == ["区分能力", "校准与等级"]
