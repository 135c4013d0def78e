"""The executive overview page: its check (run for every role by test_pages.py) and its own tests."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import config
from analytics import portfolio
from analytics.filters import Filters
from tests.app.helpers import chart_specs, cursor, metrics
from ui import i18n

pytestmark = pytest.mark.app


def check_overview(at: AppTest, home: Path, month: dt.date | None = None, filters: Filters | None = None) -> None:
    summary = portfolio.book_summary(cursor(home), month, filters)
    as_of = f"{summary['as_of']:%Y-%m-%d}"
    assert [t.value for t in at.title] == ["Portfolio overview"]
    shown = metrics(at)
    assert list(shown) == ["Open loans", "Outstanding balance", "30+ DPD balance rate", "90+ DPD balance rate"]
    assert int(shown["Open loans"].replace(",", "")) == summary["open_loans"] > 0
    assert shown["Outstanding balance"] == i18n.money(summary["outstanding_balance"], summary["currency"], "en")
    assert shown["30+ DPD balance rate"] == i18n.percent(summary["dpd30_rate_balance"], lang="en")
    assert any(c.value.startswith(f"Month-end {as_of} · ") for c in at.main.caption)
    buckets, products = chart_specs(at)
    assert [x for trace in buckets["data"] for x in trace["x"]] == list(config.BUCKETS)
    assert buckets["layout"]["title"]["text"] == "Balance by delinquency bucket"
    assert products["layout"]["title"]["text"] == "Balance by product"
    assert all(as_of in f["layout"]["title"]["subtitle"]["text"] for f in (buckets, products))
    unit = f"({summary['currency']} "
    assert buckets["layout"]["yaxis"]["title"]["text"].startswith(f"Outstanding balance {unit}")
    assert buckets["layout"]["yaxis2"]["title"]["text"].startswith(f"Delinquent balance {unit}")
    assert buckets["layout"]["xaxis2"]["title"]["text"] == "Days past due (bucket)"
    assert products["layout"]["xaxis"]["title"]["text"].startswith(f"Outstanding balance {unit}")
    assert buckets["layout"]["template"]["layout"]["paper_bgcolor"] == "white"    # plotly_white, not Streamlit's



PAGE_CHECKS = {"app_pages/overview.py": check_overview}
