"""Figures pinned on hand-made frames (no Streamlit, no database), in English and Chinese."""
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import config
from charts import delinquency as dcharts
from charts import models as mcharts
from charts import portfolio as charts

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2024, 3, 31)
BUCKETS = pd.DataFrame({
    "bucket": ["current", "1-30", "31-60", "61-90", "91-120", "121-150", "151-180", "180+"],
    "loans": [900, 40, 20, 10, 5, 3, 2, 0],
    "balance": [5.56e9, 106e6, 13.7e6, 0, 5.65e6, 4.21e6, 2.53e6, 0.0],
})
BUCKETS["balance_share"] = BUCKETS.balance / BUCKETS.balance.sum()


def test_bucket_chart_gives_delinquent_buckets_their_own_panel_and_unit():
    fig = charts.bucket_balance_bar(BUCKETS, AS_OF, "CNY")
    current, delinquent = fig.data
    assert list(current.x) == ["current"] and list(delinquent.x) == list(BUCKETS.bucket[1:])
    assert current.y[0] == pytest.approx(5.56) and delinquent.y[0] == pytest.approx(106)
    assert fig.layout.yaxis.title.text == "Outstanding balance (CNY billion)"
    assert fig.layout.yaxis2.title.text == "Delinquent balance (CNY million)"
    assert delinquent.text[0] == "106<br>1.9%"                  # 106 M of a 5,692 M book
    assert delinquent.text[2] == "0"                            # an empty bucket reads 0
    assert fig.layout.title.subtitle.text.startswith("Month-end 2024-03-31 · open loans")
    assert fig.layout.template.layout.paper_bgcolor == "white"


def test_bucket_chart_in_chinese_uses_wan_and_yi():
    fig = charts.bucket_balance_bar(BUCKETS, AS_OF, "CNY", lang="zh")
    current, delinquent = fig.data
    assert fig.layout.title.text == "按逾期区间的贷款余额"
    assert list(delinquent.x)[:2] == ["1-30", "31-60"] and list(current.x) == ["未逾期"]
    assert current.y[0] == pytest.approx(55.6)                  # 5.56e9 = 55.6 亿
    assert fig.layout.yaxis.title.text == "贷款余额（CNY 亿）"
    assert fig.layout.yaxis2.title.text == "逾期余额（CNY 亿）"   # 106e6 = 1.06 亿
    assert delinquent.y[0] == pytest.approx(1.06)
    assert fig.layout.title.subtitle.text.startswith("月末 2024年3月31日")


def test_product_chart_largest_on_top():
    df = pd.DataFrame({"product": ["mortgage", "card"], "loans": [10, 90], "balance": [4.63e9, 0.09e9]})
    fig = charts.product_balance_bar(df, AS_OF, "CNY")
    assert list(fig.data[0].y) == ["card", "mortgage"]          # plotly draws the last category on top
    assert list(fig.data[0].text) == ["0.09", "4.63"]
    assert fig.layout.xaxis.title.text == "Outstanding balance (CNY billion)"
    zh = charts.product_balance_bar(df, AS_OF, "CNY", lang="zh")
    assert list(zh.data[0].y) == ["信用卡", "个人住房贷款"] and zh.layout.title.text == "按产品的贷款余额"


MONTHS = [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31)]


def _trend() -> pd.DataFrame:
    rows = []
    for i, m in enumerate(MONTHS):
        for b in config.BUCKETS:
            share = {"current": 0.9 - i * 0.01, "1-30": 0.06, "31-60": 0.04 + i * 0.01}.get(b, 0.0)
            rows.append((m, b, int(share * 100), share * 1e6, share, share))
    return pd.DataFrame(rows, columns=["as_of", "bucket", "loans", "balance", "loan_share", "balance_share"])


def test_bucket_share_trend_stacks_the_delinquent_buckets():
    fig = dcharts.bucket_share_trend(_trend(), MONTHS[-1])
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data] == list(config.BUCKETS[1:])          # current is the rest, not drawn
    assert list(fig.data[1].y) == pytest.approx([0.04, 0.05, 0.06])          # 31-60 by month
    assert list(pd.to_datetime(fig.data[0].x).date) == MONTHS and fig.data[0].xperiod == "M1"
    assert fig.layout.xaxis.type == "date" and fig.layout.xaxis.tickformat == "%b %Y" and fig.layout.xaxis.dtick == "M2"
    subtitle = fig.layout.title.subtitle.text.replace("<br>", " ")
    assert "2024-01-31 to 2024-03-31" in subtitle and "88.0% at 2024-03-31" in subtitle
    assert fig.layout.yaxis.tickformat == ".1%"
    zh = dcharts.bucket_share_trend(_trend(), MONTHS[-1], "zh")
    assert zh.layout.xaxis.tickformat == "%Y年\n%-m月" and zh.data[0].name == "1-30"


def test_rate_trend_lines():
    df = pd.DataFrame({"as_of": MONTHS, "dpd30_rate_balance": [0.01, 0.02, 0.03], "dpd30_rate_count": [0.02] * 3,
                       "dpd90_rate_balance": [0.001, 0.002, 0.004], "dpd90_rate_count": [0.003] * 3})
    fig = dcharts.delinquency_rate_trend(df, MONTHS[-1])
    assert [t.name for t in fig.data] == ["30+ by balance", "30+ by count", "90+ by balance", "90+ by count"]
    assert list(fig.data[2].y) == pytest.approx([0.001, 0.002, 0.004])
    assert fig.layout.title.text == "30+ and 90+ delinquency rates"


def test_transition_heatmap_rows_and_denominators():
    long = pd.DataFrame({"from_bucket": ["current", "current", "1-30", "1-30"],
                         "to_bucket": ["current", "1-30", "current", "paid_off"],
                         "loans": [3, 1, 1, 1], "balance": [3.0, 1.0, 1.0, 1.0], "share": [0.75, 0.25, 0.5, 0.5]})
    fig = dcharts.transition_heatmap(long, MONTHS[1], MONTHS[2])
    heat = fig.data[0]
    assert list(heat.y) == ["current (4)", "1-30 (2)"]
    assert list(heat.x) == ["current", "1-30", "paid off"]
    assert [list(r) for r in heat.z] == [[0.75, 0.25, 0.0], [0.5, 0.0, 0.5]]
    assert heat.text[0][0] == "75.0%" and heat.text[0][2] == ""
    subtitle = fig.layout.title.subtitle.text.replace("<br>", " ")
    assert "month-end 2024-02-29 found in each state at 2024-03-31; rows sum to 100%" in subtitle
    assert dcharts.transition_heatmap(long, MONTHS[1], MONTHS[2], "zh").data[0].x[2] == "已结清"


def test_population_charts_split_mature_and_incomplete_months():
    pop = pd.DataFrame({"as_of": MONTHS, "loans": [100, 110, 120], "balance": [1e6] * 3, "bads": [3, 2, 0],
                        "bad_rate": [0.03, 2 / 110, 0.0], "mature": [True, False, False],
                        "months_observed": [12, 11, 10]})
    bars = mcharts.population_bar(pop, MONTHS[-1])
    assert list(bars.data[0].y) == [100, 110, 120] and bars.layout.title.text == "Modelling population"
    line = mcharts.bad_rate_line(pop, MONTHS[-1], 12)
    mature, incomplete = line.data
    assert list(mature.y)[0] == pytest.approx(0.03) and pd.isna(mature.y[1])
    assert pd.isna(incomplete.y[0]) and list(incomplete.y)[1] == pytest.approx(2 / 110)
    assert line.layout.title.text == "Observed 12-month 90+ bad rate"
    assert "data known at 2024-03-31" in line.layout.title.subtitle.text.replace("<br>", " ")


def test_charts_do_not_import_streamlit():
    code = ("import sys; import charts.portfolio, charts.delinquency, charts.models; "
            "sys.exit('streamlit' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_long_subtitles_wrap_instead_of_running_off_the_chart():
    from charts.style import wrap
    text = "Share of open-loan balance at each month-end, 2025-11-30 to 2026-10-31; current loans not drawn"
    assert all(len(line) <= 60 for line in wrap(text, 60)) and " ".join(wrap(text, 60)) == text
    zh = wrap("各月末占在贷余额的比例，2025年11月30日 至 2026年10月31日；未逾期部分未画出", 40)
    assert len(zh) == 2 and "".join(zh).replace(" ", "") == "各月末占在贷余额的比例，2025年11月30日至2026年10月31日；未逾期部分未画出"
