"""The credit officer's and collector's own pages: their checks, run for every role by test_pages.py."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import worklists
from analytics.worklists import Scope
import datetime as dt

from tests.app.helpers import app, chart_specs, cursor, metrics, values
from tests.app.test_collections_page import no_missing_cells
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
    no_missing_cells(at)                               # a loan not worked yet shows dashes, never None


def _queue(home: Path):
    from analytics import portfolio
    from collection import work
    con = cursor(home)
    month = portfolio.available_months(con)[-1]                  # the shell's default as-of: the latest month-end
    return con, month, work.my_queue(con, month, _staff("collector"))


def check_my_queue(at: AppTest, home: Path) -> None:
    from collection import work
    _con, month, queue = _queue(home)
    assert [t.value for t in at.title] == ["My queue"]
    assert len(queue) > 0, "the demo collector should have accounts assigned"
    shown = metrics(at)
    summary = work.queue_summary(queue, work.work_date(month))
    assert shown["Accounts in queue"] == i18n.number(summary["accounts"], lang="en")
    assert shown["Expected recovery"] == i18n.money(summary["expected_recovery"], "CNY", lang="en")
    table = at.dataframe[0].value
    assert table["loan_id"].tolist() == queue["loan_id"].tolist()                 # by queue rank
    assert table["queue_rank"].tolist() == list(range(1, len(queue) + 1))
    assert at.selectbox(key="queue_loan").value == queue["loan_id"].iloc[0]
    assert any("Contact details shown in clear" in s.value for s in at.success)     # my account: revealed
    assert [b.label for b in at.button if b.label == "Queue to outbox"] == ["Queue to outbox"]
    worked = dict(zip(queue["loan_id"], queue["last_outcome"]))
    assert [v for lid, v in zip(table["loan_id"], table["last_outcome"]) if not worked[lid]] == \
        ["not worked yet"] * sum(not v for v in worked.values())
    no_missing_cells(at)                     # queue, actions, payments, promises: a dash, never None / nan / NaT


def test_collector_records_an_action_and_reveal_is_audited(demo_env):
    """The form stores the action with its next step (audited), the queue shows the step, the reveal is audited."""
    from collection import work
    con, month, queue = _queue(demo_env.home)
    loan = queue["loan_id"].iloc[0]
    at = app("collector", ["collector"])
    at.run()
    at.switch_page("app_pages/my_queue.py").run()
    assert not at.exception
    reveals = [e for e in workflow.audit_entries(action="pii_reveal") if e["target"] == loan]
    assert reveals and reveals[-1]["actor"] == "collector"
    day = work.work_date(month)
    nxt = day + dt.timedelta(days=3)
    form = at.get("form")[0]
    assert form
    boxes = {s.label: s for s in at.selectbox}
    boxes["Outcome"].set_value("promise_to_pay")
    boxes["Next step"].set_value("field_visit")
    inputs = {d.label: d for d in at.date_input}
    inputs["Promised by"].set_value(day + dt.timedelta(days=5))
    inputs["Next step on"].set_value(nxt)
    at.number_input[0].set_value(1234.5)
    [b for b in at.button if b.label == "Record"][0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(f"Recorded on {loan}: promise to pay." in s.value for s in at.success)
    rec = work.recorded((loan,)).iloc[-1]
    assert (rec["outcome"], rec["promise_amount"], rec["next_action"], rec["next_action_date"]) == \
        ("promise_to_pay", 1234.5, "field_visit", nxt)
    entry = workflow.audit_entries(action="collections_action_record")[0]          # newest first
    assert (entry["actor"], entry["target"]) == ("collector", loan)
    table = at.dataframe[0].value.set_index("loan_id")
    assert bool(table.at[loan, "scheduled"]) is True
    assert table.at[loan, "next_action_date"] == nxt or str(table.at[loan, "next_action_date"])[:10] == str(nxt)


PAGE_CHECKS = {"app_pages/my_portfolio.py": check_my_portfolio, "app_pages/my_queue.py": check_my_queue}
