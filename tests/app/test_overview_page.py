"""The executive overview page: its check (run for every role by test_pages.py) and its own tests."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import kpis, portfolio
from analytics.filters import Filters
from charts import portfolio as charts
from reports import overview as report
from tests.app.helpers import app, chart_specs, cursor, metrics, ok, values
from ui import i18n

pytestmark = pytest.mark.app
LABELS = ["Open loans", "Outstanding balance", "New disbursements", "Collections",
          "30+ DPD balance rate", "90+ DPD balance rate", "30+ DPD count rate", "90+ DPD count rate",
          "NPL ratio", "Expected credit loss", "Coverage (ECL / NPL)", "Charge-offs", "Recoveries"]
ORDER = [k for _, names in charts.KPI_GROUPS for k in names]


def check_overview(at: AppTest, home: Path, month: dt.date | None = None, filters: Filters | None = None) -> None:
    k = kpis.kpis(cursor(home), month, filters)
    when, cur = k["as_of"], k["currency"]
    assert [t.value for t in at.title] == ["Portfolio overview"]
    shown = metrics(at)
    assert list(shown) == LABELS
    assert int(shown["Open loans"].replace(",", "")) == k["open_loans"] > 0
    assert shown["Outstanding balance"] == i18n.money(k["outstanding_balance"], "", "en").strip()
    assert shown["30+ DPD balance rate"] == i18n.percent(k["dpd30_rate_balance"], lang="en")
    assert shown["NPL ratio"] == i18n.percent(k["npl_ratio"], lang="en")
    deltas = [m.delta for m in at.metric]
    assert deltas == [charts.kpi_change(n, k["change_month"] and k["change_month"][n], cur, "en", short=True)
                      for n in ORDER]
    assert any(c.value.startswith(f"Month-end {when:%Y-%m-%d} · ") for c in at.main.caption)
    assert any(f"its change against {i18n.month(kpis.add_months(when, -1), 'en')};" in c.value for c in at.main.caption)
    year = f"vs {i18n.month(kpis.add_months(when, -12), 'en')}" if k["last_year"] else "no month a year earlier"
    assert sum(year in c.value for c in at.main.caption) == len(ORDER) - bool(k["last_year"] and k["coverage_ratio"] is None)
    specs = chart_specs(at)
    trend = specs[-1]
    assert trend["layout"]["title"]["text"].startswith("Trends over ")
    assert f"to {when:%Y-%m-%d}" in trend["layout"]["title"]["subtitle"]["text"]
    assert trend["layout"]["template"]["layout"]["paper_bgcolor"] == "white"   # plotly_white, not Streamlit's
    if k["previous_month"]:
        movers = kpis.segment_movers(cursor(home), when, top=report.MOVERS_TOP, min_share=report.MOVERS_MIN_SHARE,
                                     filters=filters)
        bars = specs[0]
        assert bars["layout"]["title"]["text"] == "Segments that moved most: 30+ DPD balance rate"
        assert f"to {when:%Y-%m-%d}" in bars["layout"]["title"]["subtitle"]["text"]
        assert values(bars["data"][0]["x"]) == pytest.approx((movers.change.fillna(0) * 100).tolist()[::-1])
        assert bars["layout"]["xaxis"]["title"]["text"] == "Change (percentage points)"


PAGE_CHECKS = {"app_pages/overview.py": check_overview}


def test_overview_in_chinese(demo_env):
    at = ok(app("exec", ["executive"], lang="zh").run())
    k = kpis.kpis(cursor(demo_env.home))
    assert [t.value for t in at.title] == ["资产组合概览"]
    shown = metrics(at)
    assert list(shown)[:4] == ["在贷笔数", "贷款余额", "新增放款", "当月回收"] and len(shown) == 13
    assert shown["贷款余额"] == i18n.money(k["outstanding_balance"], "", "zh").strip()
    assert shown["贷款余额"].endswith("亿") or shown["贷款余额"].endswith("万")
    assert any(f"标签为较 {i18n.month(kpis.add_months(k['as_of'], -1), 'zh')} 的变化" in c.value for c in at.main.caption)
    assert sum("无一年前同月数据" in c.value for c in at.main.caption) == 13       # the demo book has 12 month-ends
    bars, trend = chart_specs(at)
    assert bars["layout"]["title"]["text"] == "变化最大的细分：逾期 30+ 余额占比"
    assert trend["layout"]["title"]["text"].startswith("近 ")


def test_movers_measure_and_comparison(demo_env):
    at = ok(app("exec", ["executive"]).run())
    measure, compare = at.main.radio
    assert measure.options == ["30+ DPD balance rate", "90+ DPD balance rate", "Outstanding balance"]
    assert compare.options == ["previous month", "same month last year"]
    ok(measure.set_value("outstanding_balance").run())
    movers = kpis.segment_movers(cursor(demo_env.home), None, "outstanding_balance", "month", report.MOVERS_TOP,
                                 report.MOVERS_MIN_SHARE)
    bars = chart_specs(at)[0]
    assert bars["layout"]["title"]["text"] == "Segments that moved most: Outstanding balance"
    div = 1e6 if movers.change.abs().max() >= 1e6 else 1e3
    assert values(bars["data"][0]["x"]) == pytest.approx((movers.change / div).tolist()[::-1])
    assert bars["data"][0]["y"][-1].startswith("Product: ")
    ok(at.main.radio[1].set_value("year").run())          # the demo book's 12 month-ends hold no year-ago month
    year = kpis.add_months(kpis.kpis(cursor(demo_env.home))["as_of"], -12)
    assert any(f"No month-end {year:%Y-%m-%d} in the data to compare with" in i.value for i in at.info)
    assert len(chart_specs(at)) == 1


def test_first_month_says_there_is_nothing_to_compare_with(demo_env):
    months = portfolio.available_months(cursor(demo_env.home))
    at = app("exec", ["executive"])
    at.session_state["as_of"] = months[0]
    ok(at.run())
    assert all(m.delta in (None, "") for m in at.metric)
    assert any(c.value.startswith("no previous month-end · no month a year earlier") for c in at.main.caption)
    assert any("to compare with" in i.value for i in at.info)
    assert len(chart_specs(at)) == 1                                        # the trend grid only


def test_export_buttons(demo_env):
    at = ok(app("exec", ["executive"]).run())
    assert [b.label for b in at.get("download_button")] == ["PDF (one page)", "HTML"]
