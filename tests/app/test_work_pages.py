"""The credit officer's and collector's own pages: their checks, run for every role by test_pages.py."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import worklists
from analytics.worklists import Scope
from tests.app.helpers import chart_specs, cursor, metrics, values
from ui import i18n

pytestmark = pytest.mark.app


import sqlalchemy as sa

from data import workflow


def _staff(username: str) -> str:
    with workflow.engine().connect() as c:
        return c.execute(sa.select(workflow.users.c.staff_code).where(workflow.users.c.username == username)).scalar()


def check_my_portfolio(at: AppTest, home: Path) -> None:
    scope = Scope(officer=_staff("officer"))
    con = cursor(home)
    summary = worklists.scope_summary(worklists.scope_buckets(con, scope))
    late = worklists.delinquent_loans(con, scope)
    assert [t.value for t in at.title] == ["My portfolio"]
    assert any(f"loans whose officer is {scope.officer}" in c.value for c in at.main.caption)
    shown = metrics(at)
    assert shown["My open loans"] == i18n.number(summary["open_loans"], lang="en") and summary["open_loans"] > 0
    assert shown["Delinquent loans"] == i18n.number(summary["delinquent_loans"], lang="en")
    (bars,) = chart_specs(at)
    assert sum(sum(values(t["customdata"])) for t in bars["data"]) == summary["open_loans"]
    assert len(late) == summary["delinquent_loans"] > 0
    assert at.dataframe[0].value["loan_id"].tolist() == late["loan_id"].tolist()


def check_my_queue(at: AppTest, home: Path) -> None:
    scope = Scope(agent=_staff("collector"))
    queue = worklists.delinquent_loans(cursor(home), scope)
    assert [t.value for t in at.title] == ["My queue"]
    assert len(queue) > 0 and metrics(at)["Loans in queue"] == i18n.number(len(queue), lang="en")
    shown = at.dataframe[0].value
    assert shown["loan_id"].tolist() == queue["loan_id"].tolist()                  # DPD, then balance, descending
    assert shown["dpd"].tolist() == sorted(shown["dpd"], reverse=True)
    assert set(queue["last_agent"]) == {scope.agent}



PAGE_CHECKS = {"app_pages/my_portfolio.py": check_my_portfolio, "app_pages/my_queue.py": check_my_queue}
