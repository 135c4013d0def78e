"""The portfolio explorer page: its check (run for every role by test_pages.py) and the drill-down from a bar to the
loan list to one loan's history. A plotly click is simulated the way the browser reports it: the chart's key in
session state holds {"selection": {"points": [...]}} (a dataframe row likewise {"selection": {"rows": [...]}})."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import explorer, portfolio
from tests.app.helpers import app, chart_specs, cursor, metrics, ok, values
from ui import i18n

pytestmark = pytest.mark.app
PAGE = "app_pages/explorer.py"


def check_explorer(at: AppTest, home: Path) -> None:
    con = cursor(home)
    as_of = portfolio.resolve_as_of(con, None)
    seg = explorer.segment_table(con, as_of, "product")
    assert [t.value for t in at.title] == ["Portfolio explorer"]
    bars, exposures = chart_specs(at)
    assert bars["layout"]["title"]["text"] == "Balance and 30+ rate by product"
    assert f"Month-end {as_of:%Y-%m-%d}" in bars["layout"]["title"]["subtitle"]["text"]
    assert bars["data"][0]["customdata"] == list(seg["segment"])                     # what a click selects
    div = seg["balance"].max() / max(values(bars["data"][0]["y"]))
    assert [v * div for v in values(bars["data"][0]["y"])] == pytest.approx(list(seg["balance"]))
    assert values(bars["data"][1]["y"]) == pytest.approx(list(seg["dpd30_rate"]))
    top = explorer.top_exposures(con, as_of, None, 20)
    assert metrics(at)["Top 10 borrowers' share"] == i18n.percent(explorer.top_share(top, 10), lang="en")
    assert exposures["layout"]["title"]["text"] == "Top 20 exposures by borrower"
    assert {d.label for d in at.get("download_button")} == {"CSV", "Excel"}
    assert any("Click a bar" in c.value for c in at.main.caption)


def loan_table(at: AppTest):
    """The loan list on the page (the one table with a loan column)."""
    found = [d.value for d in at.dataframe if "loan_id" in d.value.columns]
    assert len(found) == 1
    return found[0]


def _click(at: AppTest, key: str, code: str) -> None:
    at.session_state[key] = {"selection": {"points": [{"customdata": code, "x": code, "point_index": 0}],
                                           "point_indices": [0], "box": [], "lasso": []}}


def test_drill_down_from_a_bar_to_one_loan(demo_env):
    con = cursor(demo_env.home)
    as_of = portfolio.resolve_as_of(con, None)
    at = ok(app("risk", ["risk_manager"]).switch_page(PAGE).run())
    ok(at.radio(key="explorer_dimension_en").set_value("officer").run())
    seg = explorer.segment_table(con, as_of, "officer")
    assert chart_specs(at)[0]["layout"]["title"]["text"] == "Balance and 30+ rate by officer"
    officer = seg["segment"].iloc[0]
    _click(at, "explorer_chart_officer_month_0", officer)
    ok(at.run())
    assert f"Loans in Officer: {officer}" in [s.value for s in at.subheader]
    page = explorer.loan_list(con, as_of, "officer", officer)
    shown = loan_table(at)
    assert list(shown["loan_id"]) == list(page.rows["loan_id"])[:len(shown)] and len(shown) == min(500, page.total)
    assert list(shown["balance"]) == sorted(shown["balance"], reverse=True)
    assert any(m.value.startswith("Whole book › **Officer: ") for m in at.markdown)
    # sort by days past due, then pick the worst loan
    ok(at.radio(key="explorer_order_en").set_value("dpd").run())
    worst = explorer.loan_list(con, as_of, "officer", officer, order="dpd").rows.iloc[0]
    assert loan_table(at)["loan_id"].iloc[0] == worst.loan_id
    at.session_state[f"explorer_loans_officer_month_{officer}_dpd_1_0"] = {
        "selection": {"rows": [0], "columns": [], "cells": []}}
    ok(at.run())
    assert f"Loan {worst.loan_id}" in [s.value for s in at.subheader]
    history = chart_specs(at)[1]
    detail = explorer.loan_detail(con, worst.loan_id, as_of)
    assert history["layout"]["title"]["text"] == "Balance and days past due"
    assert values(history["data"][1]["y"]) == list(detail.history["dpd"])
    assert [t.label for t in at.tabs] == ["Month-end history", "Payments", "Credit bureau", "Collection actions"]
    assert any(m.value.endswith(f"**Loan {worst.loan_id}**") for m in at.markdown)
    # back to the list, then back to all segments
    ok(at.button(key="explorer_back_list").click().run())
    assert f"Loan {worst.loan_id}" not in [s.value for s in at.subheader]
    assert f"Loans in Officer: {officer}" in [s.value for s in at.subheader]
    ok(at.button(key="explorer_back_segments").click().run())
    assert not [s for s in at.subheader if s.value.startswith("Loans in")]


def test_cohorts_by_quarter_and_grade_source_in_chinese(demo_env):
    con = cursor(demo_env.home)
    as_of = portfolio.resolve_as_of(con, None)
    at = ok(app("exec", ["executive"], lang="zh").switch_page(PAGE).run())
    assert [t.value for t in at.title] == ["资产组合透视"]
    ok(at.radio(key="explorer_dimension_zh").set_value("cohort").run())
    ok(at.radio(key="explorer_cohort_by_zh").set_value("quarter").run())
    bars = chart_specs(at)[0]
    seg = explorer.segment_table(con, as_of, "cohort", None, "quarter")
    assert bars["data"][0]["customdata"] == list(seg["segment"]) and seg["segment"].iloc[0].count("-Q") == 1
    assert bars["layout"]["title"]["text"] == "按放款批次的余额与 30+ 逾期率"
    ok(at.radio(key="explorer_dimension_zh").set_value("grade").run())
    source = explorer.grade_source(con, as_of)
    said = i18n.t(f"explorer.grade_{source.source}", "zh", target=source.target, date=i18n.date(as_of, "zh"),
                  loans=i18n.number(source.loans, lang="zh"))
    assert said in [i.value for i in at.info] and "没有模型评分" in said       # the demo book has no scores


PAGE_CHECKS = {PAGE: check_explorer}
