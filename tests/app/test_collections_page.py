"""The Collections page: its check (run for every role by test_pages.py) and the strategy editor's refusals."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import portfolio
from analytics.filters import Filters
from collection import monitor, strategy
from tests.app.helpers import app, chart_specs, cursor, metrics, ok, values
from ui import i18n

pytestmark = pytest.mark.app
PAGE = "app_pages/collections.py"


BAD_CELLS = {"None", "nan", "NaN", "NaT", "<NA>", ""}


def no_missing_cells(at: AppTest) -> None:
    """Every table cell shows a value or a dash: none reads None, nan or NaT (or is left blank)."""
    for frame in at.dataframe:
        df = frame.value
        for col in df.columns:
            bad = [v for v in df[col] if v is None or (not isinstance(v, str) and pd.isna(v)) or str(v) in BAD_CELLS]
            assert not bad, (col, bad[:3])


def check_collections(at: AppTest, home: Path, filters: Filters | None = None) -> None:
    con = cursor(home)
    months = portfolio.available_months(con)
    as_of, prev = months[-1], months[-2]
    assert [t.value for t in at.title] == ["Collections"]
    tr = monitor.trends(con, as_of, filters)
    contact = monitor.contact_by(tr["contact_trend"], ("month",)).set_index("month")
    flows = monitor.outcome_rates(tr["bucket_outcomes"], ("month",)).set_index("month")
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
    cmp = monitor.comparison(con, as_of, None, filters)
    arms = specs["Champion vs challenger, 95% intervals"]
    assert len(arms["data"]) >= 2
    frames = [f.value for f in at.dataframe]
    verdicts = next(f for f in frames if "verdict" in f.columns)["verdict"].tolist()
    assert verdicts == [i18n.t("collections.v_" + v.replace(" ", "_"), "en") for v in cmp["verdict"]]
    segments = next(f for f in frames if "segment" in f.columns and "path" in f.columns)
    assert segments["segment"].tolist() == [s["name"] for s in strategy.active()["body"]["segments"]]
    by_agent = monitor.breakdown_of(con, as_of, "agent", filters)
    table = next(f for f in frames if "agent" in f.columns and "attempts" in f.columns)
    assert len(table) == len(by_agent)
    assert any("figures were computed when first viewed" in c.value or "kept by the daily run" in c.value for c in at.main.caption)
    no_missing_cells(at)


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


def test_filters_narrow_every_figure(demo_env):
    """With a product filter the cards, charts and tables show the card loans' figures, not the whole book's."""
    con = cursor(demo_env.home)
    as_of = portfolio.available_months(con)[-1]
    card = Filters(products=("card",))
    whole = monitor.contact_by(monitor.trends(con, as_of)["contact_trend"], ("month",)).set_index("month")
    mine = monitor.contact_by(monitor.trends(con, as_of, card)["contact_trend"], ("month",)).set_index("month")
    assert mine.at[as_of, "attempts"] < whole.at[as_of, "attempts"]          # the filter does narrow them
    at = app("risk", ["risk_manager"])
    at.session_state["filters"] = card
    ok(at.run())
    ok(at.switch_page(PAGE).run())
    check_collections(at, demo_env.home, card)
    assert any(c.value.startswith(f"Month-end {as_of:%Y-%m-%d} · ") and "card" in c.value
               and "whole book" not in c.value for c in at.main.caption)
    assert any(i.value == i18n.t("collections.strategy_unfiltered", "en") for i in at.info)


def test_a_recorded_action_shows_on_the_page(demo_env):
    """Recording an action through My queue's function moves the contact rate the page shows at once."""
    from collection import work
    con = cursor(demo_env.home)
    as_of = portfolio.available_months(con)[-1]
    before = monitor.contact_by(monitor.trends(con, as_of)["contact_trend"], ("month",)).set_index("month")
    n, answered = before.at[as_of, "attempts"], before.at[as_of, "contacts"]
    at = ok(app("risk", ["risk_manager"]).run())
    ok(at.switch_page(PAGE).run())
    assert metrics(at)["Contact rate"] == i18n.percent(answered / n, lang="en")
    loan = con.execute("SELECT loan_id FROM performance WHERE as_of = ? AND bucket = 'current' ORDER BY loan_id "
                       "LIMIT 1", [as_of]).fetchone()[0]               # in no collector's queue
    work.record_action(loan, as_of, as_of, "agent_call", "no_answer", agent="AG-TEST", actor="collector")
    ok(at.run())
    # one more attempt, not answered: contacts / (attempts + 1)
    assert metrics(at)["Contact rate"] == i18n.percent(answered / (n + 1), lang="en")
