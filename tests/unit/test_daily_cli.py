"""`daily`, `event add` and the alert, review and signal-quality reports, through the command line."""
from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pytest
import sqlalchemy as sa

import cli
from data import store, workflow
from tests.unit.test_signals import EwBook


@pytest.fixture
def book():
    """June 2024: FM missed its first payment (medium); UP's DPD rose twice (high, and a first miss in May);
    EV is fine until events arrive; NEW was disbursed in May (first review due 2024-06-19)."""
    b = EwBook()
    b.loan("FM", dpd=(0, 0, 0, 12), officer="OF1")
    b.loan("UP", dpd=(0, 3, 20, 45), officer="OF2", branch="W1")
    ev = b.loan("EV", officer="OF3")
    b.bureau_rows(ev, score=(700, 700, 700, 700))
    b.alt_rows(ev)
    b.loan("NEW", origination="2024-05-20", dpd=(None, None, 0, 0), officer="OF4")
    with store.new_generation(start_empty=True) as con:
        b.build(con)


def run(*argv) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli.main(list(argv))
    return code, out.getvalue()


def tables() -> dict[str, list]:
    with workflow.engine().connect() as c:
        return {t.name: [tuple(r) for r in c.execute(sa.select(t).order_by(*t.primary_key.columns))]
                for t in (workflow.alerts, workflow.loan_reviews, workflow.alert_comments,
                          workflow.collection_assignments)}


def test_daily_twice_changes_nothing(book):
    code, out = run("daily", "--as-of", "2024-06")
    summary = json.loads(out)
    assert code == 0 and summary["fired"]["first_missed_payment"] == 1 and summary["fired"]["dpd_rising"] == 1
    assert summary["alerts_raised"] == 2 and summary["reviews_created"]["first"] == 1
    # the daily run also gives every delinquent open loan its collections segment and next action (issue 7)
    code, csv = run("report", "collections", "--as-of", "2024-06", "--format", "csv")
    assigned = {line.split(",")[0] for line in csv.splitlines()[1:]}
    assert summary["collections"]["accounts"] == len(assigned) > 0 and "FM" in assigned
    before = tables()
    code, out = run("daily", "--as-of", "2024-06")
    assert code == 0 and json.loads(out)["alerts_raised"] == 0 and tables() == before
    code, csv = run("report", "alerts", "--as-of", "2024-06", "--format", "csv")
    # FM: first miss (medium, OF1); UP: DPD rising (high, OF2); UP's first miss was in May (3 DPD), not June
    assert csv.splitlines() == ["alert_id,loan_id,signal,severity,status,raised_at,owner",
                                "1,FM,first_missed_payment,medium,open,2024-06-30,OF1",
                                "2,UP,dpd_rising,high,open,2024-06-30,OF2"]
    code, csv = run("report", "reviews", "--format", "csv")
    assert csv.splitlines()[0] == "review_id,loan_id,kind,due_date,status,reviewer"
    assert "NEW,first,2024-06-19,overdue,OF4" in csv


def test_events_are_evaluated_on_arrival(book):
    run("daily", "--as-of", "2024-06")
    code, out = run("event", "add", "--loan", "EV", "--kind", "bureau", "--score", "640", "--date", "2024-07-03")
    got = json.loads(out)
    # 700 -> 640: 60 points down; inquiries and delinquencies carried over from June's pull (0): no change
    assert code == 0 and got["fired"] == ["bureau_score_drop"] and got["alerts_raised"] == 1
    assert got["signals"] == ["bureau_score_drop", "credit_inquiries", "delinquency_elsewhere"]
    code, out = run("event", "add", "--loan", "EV", "--kind", "flag", "--flag", "litigation", "--date", "2024-07-04")
    assert json.loads(out)["fired"] == ["litigation"]
    code, out = run("event", "add", "--loan", "EV", "--kind", "reversal", "--amount", "300", "--date", "2024-07-05")
    assert json.loads(out)["fired"] == ["payment_reversed"]
    code, csv = run("report", "alerts", "--as-of", "2024-07", "--format", "csv")
    assert [line.split(",")[1:4] for line in csv.splitlines()[1:]] == [
        ["EV", "bureau_score_drop", "high"], ["EV", "litigation", "critical"], ["EV", "payment_reversed", "medium"]]


@pytest.mark.parametrize("argv, message", [
    (["event", "add", "--loan", "EV", "--kind", "payment"], "needs --amount"),
    (["event", "add", "--loan", "EV", "--kind", "flag"], "needs --flag"),
    (["daily", "--as-of", "2024-13"], "expected a month as YYYY-MM"),
])
def test_usage_errors(book, argv, message, capsys):
    assert cli.main(argv) == 2 and message in capsys.readouterr().err


def test_data_errors(book, capsys):
    assert cli.main(["daily", "--as-of", "2025-01"]) == 1
    assert "no performance data at 2025-01" in capsys.readouterr().err
    assert cli.main(["event", "add", "--loan", "NOPE", "--kind", "flag", "--flag", "litigation"]) == 1
    assert "no loan 'NOPE'" in capsys.readouterr().err


def test_signal_quality_report(book):
    code, out = run("report", "signal-quality", "--format", "json")
    rows = {r["signal"]: r for r in json.loads(out)}
    # one backtest month (March; June is three month-ends later): FM, UP, EV open and current, NEW not yet booked;
    # nothing fires in March and nobody is more than 60 DPD by June
    assert code == 0 and len(rows) == 15 and rows["dpd_rising"]["hits"] == 0 and rows["dpd_rising"]["population"] == 3
