"""The vintage page: its check (run for every role by test_pages.py) and its own tests."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import portfolio, vintage
from analytics.filters import Filters
from tests.app.helpers import app, chart_specs, cursor, ok, values
from ui import i18n

pytestmark = pytest.mark.app
PAGE = "app_pages/vintage.py"


def check_vintage(at: AppTest, home: Path, month: dt.date | None = None, filters: Filters | None = None,
                  metric: str = "ever30", weight: str = "count", by: str = "month") -> None:
    con = cursor(home)
    as_of = month or portfolio.available_months(con)[-1]
    curves = vintage.vintage_curves(con, metric, weight, by, filters, as_of=as_of)
    cohorts = sorted(curves.cohort.unique())
    assert [t.value for t in at.title] == ["Vintage curves"]
    lines, bars = chart_specs(at)
    assert sorted(t["name"] for t in lines["data"]) == cohorts
    oldest = next(t for t in lines["data"] if t["name"] == cohorts[0])
    assert values(oldest["y"]) == pytest.approx(curves[curves.cohort == cohorts[0]].share.tolist())
    assert oldest["legendgrouptitle"]["text"] == cohorts[0][:4]            # the legend is grouped by year
    note = lines["layout"]["title"]["subtitle"]["text"].replace("<br>", " ")
    assert f"{len(cohorts)} cohorts, {cohorts[0]} to {cohorts[-1]}, as known at {as_of:%Y-%m-%d}" in note
    assert "Denominator: the whole cohort, fixed" in note
    assert lines["layout"]["xaxis"]["title"]["text"] == "Months on book (0 = origination month)"
    mob = min(12, int(curves.mob.max()) // 2)                              # an age most cohorts have reached
    at_mob = curves[curves.mob == mob].sort_values("cohort")
    assert list(bars["data"][0]["x"]) == at_mob.cohort.tolist()
    assert values(bars["data"][0]["y"]) == pytest.approx(at_mob.share.tolist())
    table = at.dataframe[0].value
    expected = vintage.vintage_table(curves)
    assert table.cohort.tolist() == cohorts and table.loans.tolist() == expected.loans.tolist()
    # shares as percentages; blank where the cohort has not reached that month on book
    assert table["mob_1"].tolist() == ["" if v != v else i18n.percent(v, lang="en") for v in expected["mob_1"]]
    assert "" in table[f"mob_{int(curves.mob.max())}"].tolist() and "None" not in table.to_string()
    assert len(at.get("download_button")) == 2                            # CSV and Excel


PAGE_CHECKS = {PAGE: check_vintage}


def _open(lang: str | None = None, as_of: dt.date | None = None) -> AppTest:
    at = app("risk", ["risk_manager"], lang=lang)
    if as_of:
        at.session_state["as_of"] = as_of
    ok(at.run())
    return ok(at.switch_page(PAGE).run())


def test_quarterly_balance_weighted_ever90(demo_env):
    at = _open()
    ok(at.radio(key="vi_metric_en").set_value("ever90").run())
    ok(at.radio(key="vi_weight_en").set_value("balance").run())
    ok(at.radio(key="vi_by_en").set_value("quarter").run())
    check_vintage(at, demo_env.home, metric="ever90", weight="balance", by="quarter")
    lines = chart_specs(at)[0]
    assert lines["layout"]["title"]["text"] == "Vintage curves: ever 90+ DPD by months on book"
    assert lines["layout"]["yaxis"]["title"]["text"] == "Share of the cohort's principal (CNY)"


def test_highlighted_cohorts_are_drawn_thick_on_top(demo_env):
    at = _open()
    cohorts = sorted(vintage.vintage_curves(cursor(demo_env.home)).cohort.unique())
    chosen = [cohorts[3], cohorts[10]]
    ok(at.multiselect(key="vi_highlight_month_en").set_value(chosen).run())
    lines = chart_specs(at)[0]["data"]
    assert [t["name"] for t in lines[-2:]] == chosen                      # drawn last, so on top
    assert all(t["line"]["width"] > 3 for t in lines[-2:])
    assert all(t["opacity"] < 0.5 and t["line"]["width"] < 2 for t in lines[:-2])


def test_an_earlier_month_end_shows_the_cohorts_as_they_were(demo_env):
    months = portfolio.available_months(cursor(demo_env.home))
    at = _open()
    ok(at.multiselect(key="vi_highlight_month_en").set_value([f"{months[-1]:%Y-%m}", f"{months[-9]:%Y-%m}"]).run())
    ok(at.sidebar.selectbox[0].set_value(months[-7]).run())       # the newest cohort did not exist yet: dropped
    check_vintage(at, demo_env.home, months[-7])
    lines = chart_specs(at)[0]["data"]
    assert max(t["name"] for t in lines) == f"{months[-7]:%Y-%m}"        # no cohort after the month-end
    assert at.multiselect(key="vi_highlight_month_en").value == [f"{months[-9]:%Y-%m}"]
    assert lines[-1]["name"] == f"{months[-9]:%Y-%m}" and lines[-1]["line"]["width"] > 3


def test_chinese_titles(demo_env):
    at = _open("zh")
    assert [t.value for t in at.title] == ["账龄曲线"]
    lines, bars = chart_specs(at)
    assert lines["layout"]["title"]["text"] == "账龄曲线：各账龄曾逾期 30+ 的比例"
    assert lines["layout"]["xaxis"]["title"]["text"] == "账龄（月，0 = 放款当月）"
    assert "年" in lines["layout"]["title"]["subtitle"]["text"]


# ---- the figures on hand-made frames (no Streamlit, no database) ------------------------------------------

def _curves():
    import pandas as pd
    rows = [(c, m, m, 100.0 * m, m / 10, 10, 1000.0) for c, n in (("2023-12", 3), ("2024-01", 2), ("2024-02", 1))
            for m in range(n)]
    return pd.DataFrame(rows, columns=["cohort", "mob", "loans", "balance", "share", "cohort_loans",
                                       "cohort_balance"])


def test_cohorts_ramp_by_age_and_group_by_year():
    from charts import vintage as vcharts
    fig = vcharts.vintage_chart(_curves(), "ever30", "count", "month", dt.date(2024, 2, 29))
    assert [t.name for t in fig.data] == ["2023-12", "2024-01", "2024-02"]
    assert [t.legendgroup for t in fig.data] == ["2023", "2024", "2024"]
    assert fig.data[0].legendgrouptitle.text == "2023" and fig.data[2].legendgrouptitle.text is None
    colours = vcharts.cohort_colours(["a", "b", "c"])
    assert colours["a"] != colours["b"] != colours["c"] and [t.line.color for t in fig.data] == list(
        vcharts.cohort_colours(["2023-12", "2024-01", "2024-02"]).values())
    assert list(fig.data[1].y) == pytest.approx([0, 0.1])
    note = fig.layout.title.subtitle.text.replace("<br>", " ")
    assert "3 cohorts, 2023-12 to 2024-02, as known at 2024-02-29" in note


def test_cohorts_at_one_mob_leave_out_the_younger_ones():
    from charts import vintage as vcharts
    fig = vcharts.vintage_at_mob(_curves(), 1, "ever30", "count", "month", dt.date(2024, 2, 29),
                                 highlight=("2024-01",))
    assert list(fig.data[0].x) == ["2023-12", "2024-01"]                # 2024-02 has not reached MOB 1
    assert list(fig.data[0].y) == pytest.approx([0.1, 0.1]) and list(fig.data[0].text) == ["10.0%", "10.0%"]
    assert list(fig.data[0].marker.line.color) == ["rgba(0,0,0,0)", "#000000"]
    assert fig.layout.title.text == "Cohorts at month on book 1: ever 30+ DPD"


def test_highlighted_curves_are_named_where_they_end():
    from charts import vintage as vcharts
    fig = vcharts.vintage_chart(_curves(), "ever30", "count", "month", dt.date(2024, 2, 29), highlight=("2023-12",))
    (note,) = fig.layout.annotations
    assert note.text == "<b>2023-12</b>" and (note.x, note.y) == (2, pytest.approx(0.2))   # MOB 2, 20%
