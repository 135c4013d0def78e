"""The delinquency page: its check (run for every role by test_pages.py) and its own tests."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import config
from analytics import delinquency, flows, portfolio
from analytics.filters import Filters
from tests.app.helpers import app, chart_specs, cursor, metrics, ok, values
from ui import i18n

pytestmark = pytest.mark.app
PAGE = "app_pages/delinquency.py"


def check_delinquency(at: AppTest, home: Path, month: dt.date | None = None, filters: Filters | None = None) -> None:
    con = cursor(home)
    trend = delinquency.delinquency_trend(con, month, filters)
    now = trend.iloc[-1]
    as_of = f"{now['as_of']:%Y-%m-%d}"
    assert [t.value for t in at.title] == ["Delinquency"]
    shown = metrics(at)
    assert list(shown) == ["30+ DPD balance rate", "60+ DPD balance rate", "90+ DPD balance rate", "Loans 30+ DPD",
                           "Loans 90+ DPD"]
    assert shown["30+ DPD balance rate"] == i18n.percent(now["dpd30_rate_balance"], lang="en")
    assert shown["60+ DPD balance rate"] == i18n.percent(now["dpd60_rate_balance"], lang="en")
    assert shown["Loans 90+ DPD"] == i18n.number(now["dpd90_loans"], lang="en")
    rates, mix, heat, by_bucket, fall = chart_specs(at)
    assert rates["layout"]["title"]["text"] == "30+, 60+ and 90+ delinquency rates"
    assert [t["name"] for t in rates["data"]] == ["30+ by balance", "30+ by count", "60+ by balance", "60+ by count",
                                                  "90+ by balance", "90+ by count"]
    assert values(rates["data"][0]["y"])[-1] == pytest.approx(now["dpd30_rate_balance"])
    assert values(rates["data"][2]["y"])[-1] == pytest.approx(now["dpd60_rate_balance"])
    assert len(rates["data"][0]["x"]) == len(trend) == len(portfolio.available_months(con)[:len(trend)])
    assert mix["layout"]["title"]["text"] == "Delinquent balance by bucket over time"
    assert mix["layout"]["barmode"] == "stack" and [t["name"] for t in mix["data"]] == list(config.BUCKETS[1:])
    assert f"at {as_of}" in mix["layout"]["title"]["subtitle"]["text"]
    months = portfolio.available_months(con)
    prev = months[months.index(now["as_of"]) - 1]
    matrix = delinquency.roll_rate_matrix(delinquency.roll_rates_long(con, prev, now["as_of"], filters=filters))
    assert heat["layout"]["title"]["text"] == "Transition matrix: where loans moved in the month"
    assert values(heat["data"][0]["z"])[0] == pytest.approx(list(matrix.iloc[0]))        # the current row
    heat_note = heat["layout"]["title"]["subtitle"]["text"].replace("<br>", " ")
    assert f"month-end {prev:%Y-%m-%d} found in each state at {as_of}" in heat_note
    # roll, cure and flow rates by bucket: the first panel is current's roll rate, pinned to the core function
    rc = flows.roll_cure_rates(con, None, now["as_of"], "count", filters)
    assert by_bucket["layout"]["title"]["text"] == "Roll, cure and flow rates by bucket"
    assert by_bucket["data"][0]["name"] == "Roll rate (to the next worse state)"
    assert values(by_bucket["data"][0]["y"]) == pytest.approx(rc[rc.bucket == "current"].roll_rate.tolist(),
                                                              nan_ok=True)
    assert f"to {as_of}" in by_bucket["layout"]["title"]["subtitle"]["text"].replace("<br>", " ")
    # the waterfall: the current balance, then what reaches each state down to charge-off
    w = flows.flow_waterfall(con, now["as_of"], 12, filters)
    amounts = [row[0] for row in values(fall["data"][0]["customdata"])]
    assert amounts[1:] == pytest.approx(w.expected_balance.fillna(0).tolist())
    assert fall["data"][0]["x"][-1] == "charged off" and fall["layout"]["yaxis"]["type"] == "log"
    assert fall["layout"]["title"]["text"] == "Flow waterfall: from current to charge-off"
    assert f"pairs to {as_of}" in fall["layout"]["title"]["subtitle"]["text"].replace("<br>", " ")


PAGE_CHECKS = {PAGE: check_delinquency}


def _risk(lang: str | None = None) -> AppTest:
    at = ok(app("risk", ["risk_manager"], lang=lang).run())
    assert [t.value for t in at.title] == [i18n.t("delinquency.title", lang or "en")]
    return at


def test_balance_weight_reweights_the_matrix_and_the_rates(demo_env):
    con = cursor(demo_env.home)
    months = portfolio.available_months(con)
    at = _risk()
    ok(at.radio(key="dq_weight_en").set_value("balance").run())
    _, _, heat, by_bucket, _ = chart_specs(at)
    matrix = delinquency.roll_rate_matrix(delinquency.roll_rates_long(con, months[-2], months[-1], "balance"))
    assert np.asarray(values(heat["data"][0]["z"])) == pytest.approx(matrix.to_numpy())
    assert heat["layout"]["yaxis"]["title"]["text"].startswith(f"Bucket at {months[-2]:%Y-%m-%d} (balance, CNY")
    assert "Share of the balance (CNY) in each bucket" in heat["layout"]["title"]["subtitle"]["text"]
    rc = flows.roll_cure_rates(con, None, months[-1], "balance")
    assert values(by_bucket["data"][0]["y"]) == pytest.approx(rc[rc.bucket == "current"].roll_rate.tolist())
    assert any("Weighted by each loan's balance" in c.value for c in at.main.caption)


def test_a_range_of_months_sums_the_moves(demo_env):
    con = cursor(demo_env.home)
    months = portfolio.available_months(con)
    at = _risk()
    ok(at.radio(key="dq_period_en").set_value(True).run())
    ok(at.select_slider(key=f"dq_range_{months[-1]}_en").set_range(months[-7], months[-1]).run())
    heat = chart_specs(at)[2]
    long = delinquency.roll_rates_long(con, months[-7], months[-1])
    assert np.asarray(values(heat["data"][0]["z"])) == pytest.approx(delinquency.roll_rate_matrix(long).to_numpy())
    assert heat["layout"]["title"]["text"] == "Transition matrix: moves summed over a range of months"
    # the row labels carry the summed loans (6 pairs of month-ends)
    assert heat["data"][0]["y"][0] == f"current ({long[long.from_bucket == 'current'].loans.sum():,})"
    ok(at.select_slider(key=f"dq_range_{months[-1]}_en").set_range(months[-3], months[-3]).run())
    assert len(chart_specs(at)) == 4                          # no matrix for a range without a pair
    assert any("Pick two different month-ends" in i.value for i in at.info)


def test_an_earlier_month_end_shows_the_book_as_it_was(demo_env):
    months = portfolio.available_months(cursor(demo_env.home))
    at = app("risk", ["risk_manager"])
    at.session_state["as_of"] = months[-5]
    ok(at.run())
    check_delinquency(at, demo_env.home, months[-5])
    by_bucket = chart_specs(at)[3]
    assert max(values(by_bucket["data"][0]["x"]))[:10] == f"{months[-5]:%Y-%m-%d}"   # up to the as-of, not after


def test_chinese_labels(demo_env):
    at = _risk("zh")
    rates, mix, heat, by_bucket, fall = chart_specs(at)
    assert rates["layout"]["title"]["text"] == "逾期 30+、60+ 与 90+ 比率"
    assert heat["data"][0]["x"][-1] == "已结清" and heat["data"][0]["y"][0].startswith("未逾期 (")
    assert by_bucket["layout"]["title"]["text"] == "各逾期区间的滚动率、治愈率与迁徙率"
    assert fall["data"][0]["x"][0] == "未逾期" and fall["layout"]["title"]["text"] == "迁徙瀑布：从未逾期到核销"
    assert "月" in fall["layout"]["title"]["subtitle"]["text"]


# ---- the figures on hand-made frames (no Streamlit, no database) ------------------------------------------

def test_waterfall_chart_starts_at_the_current_balance():
    import pandas as pd
    from charts import delinquency as dcharts
    w = pd.DataFrame({"to_bucket": ["1-30", "charged_off"], "flow_rate": [0.02, 0.5],
                      "cumulative_rate": [0.02, 0.01], "expected_balance": [2e6, 1e6]})
    fig = dcharts.flow_waterfall(w, 100e6, dt.date(2024, 3, 31), 12, currency="CNY")
    bar = fig.data[0]
    assert list(bar.x) == ["current", "1-30", "charged off"]
    assert list(bar.y) == pytest.approx([100, 2, 1])                    # CNY million
    assert bar.text[1] == "flow 2.0%<br>CNY 2M" and fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis.title.text == "Balance (CNY million, log scale)"
    note = fig.layout.title.subtitle.text.replace("<br>", " ")
    assert "CNY 100M current at 2024-03-31" in note and "CNY 1M charged off (1.00% of it)" in note


def test_rates_by_bucket_has_a_panel_per_bucket_and_no_cure_from_current():
    import pandas as pd
    from charts import delinquency as dcharts
    months = [dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    rc = pd.DataFrame([(m, b, 10, 1000.0, 0.1 * (i + 1), None if b == "current" else 0.2)
                       for m in months for i, b in enumerate(config.BUCKETS)],
                      columns=["as_of", "bucket", "loans", "balance", "roll_rate", "cure_rate"])
    fl = pd.DataFrame([(m, b, 500.0, 3.0 if b == "180+" else 0.3) for m in months for b in config.BUCKETS],
                      columns=["as_of", "from_bucket", "from_balance", "flow_rate"])
    fig = dcharts.rates_by_bucket(rc, fl, months[-1])
    assert len(fig.data) == 8 * 3 - 1                                   # roll, cure, flow; current cannot cure
    assert [a.text for a in fig.layout.annotations][:2] == ["current → 1-30", "1-30 → 31-60"]
    assert list(fig.data[0].y) == pytest.approx([0.1, 0.1])
    assert fig.layout.yaxis.range == (0, pytest.approx(0.3 * 1.15))     # each panel on its own scale: 30% flow
    assert fig.layout.yaxis8.range[1] == 1.05                           # a 300% flow from 180+ is cut at 105%
