"""The Collections page: its check (run for every role by test_pages.py) and the strategy editor's refusals."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import portfolio
from collection import monitor, strategy
from tests.app.helpers import app, chart_specs, cursor, metrics, ok, values
from ui import i18n

pytestmark = pytest.mark.app
PAGE = "app_pages/collections.py"


def check_collections(at: AppTest, home: Path) -> None:
    con = cursor(home)
    months = portfolio.available_months(con)
    as_of, prev = months[-1], months[-2]
    assert [t.value for t in at.title] == ["Collections"]
    contact = monitor.contact_by(monitor.contact_trend(con, as_of, 12), ("month",)).set_index("month")
    flows = monitor.outcome_rates(monitor.bucket_outcomes(con, as_of, 12), ("month",)).set_index("month")
    shown = metrics(at)
    assert shown["Contact rate"] == i18n.percent(contact.at[as_of, "contact_rate"], lang="en")
    assert shown["Right-party contact"] == i18n.percent(contact.at[as_of, "rpc_rate"], lang="en")
    assert shown["Cure rate"] == i18n.percent(flows.at[prev, "cure_rate"], lang="en")
    assert shown["Collected / due"] == i18n.percent(flows.at[prev, "collected_vs_due"], lang="en")
    specs = {s["layout"]["title"]["text"]: s for s in chart_specs(at)}
    trend = specs["Contact, right-party contact, PTP and PTP kept rates"]
    assert values(trend["data"][0]["y"])[-1] == pytest.approx(contact.at[as_of, "contact_rate"])
    cvd = specs["Amount collected against amount due"]
    assert values(cvd["data"][2]["y"]) == pytest.approx(flows["collected_vs_due"].tolist())
    cmp = monitor.comparison(con, prev)
    arms = specs["Champion vs challenger, 95% intervals"]
    assert len(arms["data"]) >= 2
    frames = [f.value for f in at.dataframe]
    verdicts = next(f for f in frames if "verdict" in f.columns)["verdict"].tolist()
    assert verdicts == [i18n.t("collections.v_" + v.replace(" ", "_"), "en") for v in cmp["verdict"]]
    segments = next(f for f in frames if "segment" in f.columns and "path" in f.columns)
    assert segments["segment"].tolist() == [s["name"] for s in strategy.active()["body"]["segments"]]


def _editor(demo_env):
    at = app("risk", ["risk_manager"]).run()
    return ok(at.switch_page(PAGE).run())


def test_strategy_refused_names_the_field_and_keeps_the_active_one(demo_env):
    before = strategy.active()
    at = _editor(demo_env)
    body = json.loads(json.dumps(before["body"]))
    body["segments"][0]["path"] = "nowhere"
    at.text_area[0].set_value(json.dumps(body))
    next(b for b in at.button if b.label == "Save and activate").click().run()
    ok(at)
    assert [e.value for e in at.error] == \
        ["Refused: segments[0].path: no path named 'nowhere' in paths"]
    assert strategy.active()["strategy_id"] == before["strategy_id"]
    at.text_area[0].set_value("{not json")
    next(b for b in at.button if b.label == "Check").click().run()
    assert at.error[0].value.startswith("Not valid JSON: line 1, column 2")
    at.text_area[0].set_value(json.dumps(before["body"]))
    next(b for b in at.button if b.label == "Check").click().run()
    assert at.success[0].value.startswith(f"Valid: {len(before['body']['segments'])} segments")
    assert strategy.active()["strategy_id"] == before["strategy_id"]


PAGE_CHECKS = {PAGE: check_collections}
