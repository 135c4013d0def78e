"""The delinquency page: its check (run for every role by test_pages.py) and its own tests."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import config
from analytics import delinquency, portfolio
from analytics.filters import Filters
from tests.app.helpers import chart_specs, cursor, metrics, values
from ui import i18n

pytestmark = pytest.mark.app


def check_delinquency(at: AppTest, home: Path, month: dt.date | None = None, filters: Filters | None = None) -> None:
    con = cursor(home)
    trend = delinquency.delinquency_trend(con, month, filters)
    now = trend.iloc[-1]
    as_of = f"{now['as_of']:%Y-%m-%d}"
    assert [t.value for t in at.title] == ["Delinquency"]
    shown = metrics(at)
    assert list(shown) == ["30+ DPD balance rate", "90+ DPD balance rate", "Loans 30+ DPD", "Loans 90+ DPD"]
    assert shown["30+ DPD balance rate"] == i18n.percent(now["dpd30_rate_balance"], lang="en")
    assert shown["Loans 90+ DPD"] == i18n.number(now["dpd90_loans"], lang="en")
    rates, mix, heat = chart_specs(at)
    assert rates["layout"]["title"]["text"] == "30+ and 90+ delinquency rates"
    assert values(rates["data"][0]["y"])[-1] == pytest.approx(now["dpd30_rate_balance"])
    assert len(rates["data"][0]["x"]) == len(trend) == len(portfolio.available_months(con)[:len(trend)])
    assert mix["layout"]["title"]["text"] == "Delinquent balance by bucket over time"
    assert mix["layout"]["barmode"] == "stack" and [t["name"] for t in mix["data"]] == list(config.BUCKETS[1:])
    assert f"at {as_of}" in mix["layout"]["title"]["subtitle"]["text"]
    months = portfolio.available_months(con)
    prev = months[months.index(now["as_of"]) - 1]
    matrix = delinquency.roll_rate_matrix(delinquency.roll_rates_long(con, prev, now["as_of"], filters=filters))
    assert heat["layout"]["title"]["text"] == "Transition matrix: where loans moved in the month"
    assert values(heat["data"][0]["z"])[0] == pytest.approx(list(matrix.iloc[0]))        # the current row
    assert f"month-end {prev:%Y-%m-%d} found in each state at {as_of}" in heat["layout"]["title"]["subtitle"]["text"]



PAGE_CHECKS = {"app_pages/delinquency.py": check_delinquency}
