"""The models (validator) pages: their checks (run for every role by test_pages.py) and own tests."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import population
from tests.app.helpers import chart_specs, cursor, metrics, values
from ui import i18n

pytestmark = pytest.mark.app


def check_models(at: AppTest, home: Path) -> None:
    pop = population.behaviour_population(cursor(home))
    assert [t.value for t in at.title] == ["Models"]
    assert any("not built yet" in i.value for i in at.info)                       # says plainly what this is
    shown = metrics(at)
    assert shown["Population at month-end"] == i18n.number(pop["loans"].iloc[-1], lang="en")
    assert shown["Mature observation months"] == f"{pop.mature.sum()} / {len(pop)}"
    # the test book has 12 month-ends: no observation month has its 12-month window yet, and the page says so
    assert not pop.mature.any() and "Bad rate (no mature month yet)" in shown
    first_ready = population.maturity_month(pop["as_of"].iloc[0])
    assert any(f"{first_ready:%Y-%m-%d} or later" in w.value for w in at.warning)
    bars, line = chart_specs(at)
    assert values(bars["data"][0]["y"]) == pop["loans"].tolist()
    assert line["layout"]["title"]["text"] == "Observed 12-month 90+ bad rate"
    assert values(line["data"][1]["y"])[0] == pytest.approx(pop["bad_rate"].iloc[0])      # the incomplete series
    assert at.dataframe[0].value["loans"].tolist() == pop["loans"].tolist()



PAGE_CHECKS = {"app_pages/models.py": check_models}
