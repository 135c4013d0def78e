"""The Collections page's figures kept once computed (collection/figures.py): what a page view computes is what the
daily run keeps, month pieces are reused across month-ends without changing a figure, and a new publication, a
new assignment or a changed setting makes them be computed again."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from collection import daily, figures, monitor
from data import workflow
from tests.unit.test_collections_monitor import FEB, MAR, book  # noqa: F401  (the hand-made book fixture)


def _kept() -> dict[tuple[dt.date, str], dt.datetime]:
    t = workflow.collection_snapshots
    with workflow.engine().connect() as c:
        return {(d, n): at for d, n, at in c.execute(sa.select(t.c.as_of, t.c.name, t.c.computed_at))}


def _same(a: dict, b: dict) -> None:
    for kind in figures.SCHEMAS:
        if kind in a:
            assert a[kind].sort_by([(c, "ascending") for c in a[kind].column_names]).equals(
                b[kind].sort_by([(c, "ascending") for c in b[kind].column_names])), kind


def test_the_first_view_computes_and_keeps_what_later_views_read(book):
    assert figures.window("actions", MAR)[-2:] == [FEB, MAR] and figures.window("flows", MAR)[-1] == FEB
    first = figures.book_frames(book, MAR)
    assert first["meta"]["source"] == "view" and set(first["meta"]["computed"]) == set(figures.SCHEMAS) - {"costs"}
    kept = _kept()
    # 12 month pieces of each kind at their own month-end, the rest at the month-end shown
    assert (FEB, "piece:flows") in kept and (MAR, "piece:actions") in kept and (MAR, "base:outcomes") in kept
    assert sum(n == "piece:actions" for _, n in kept) == 12
    figures._memo.clear()
    again = figures.book_frames(book, MAR)                         # read back: nothing computed
    assert again["meta"]["computed"] == {} and again["meta"]["computed_at"] == first["meta"]["computed_at"]
    _same(first, again)
    assert _kept() == kept                                         # a read writes nothing


def test_pieces_reused_for_another_month_end_give_the_same_figures(book):
    figures.book_frames(book, FEB)                                 # keeps the pieces up to February
    figures._memo.clear()
    reused = figures.book_frames(book, MAR)
    assert set(reused["meta"]["computed"]) >= {"actions", "flows"}     # March's action piece, February's flows
    figures._memo.clear()
    fresh = figures.book_frames(book, MAR, refresh=True)
    _same(reused, fresh)
    # flows rows (month x segment x bucket): January L1 and L2 (1-30, two segments), L3 (31-60); February L2, L3
    assert reused["flows"].num_rows == 5


def test_daily_run_marks_them_and_the_page_says_so(book):
    summary = monitor.store_performance(book, MAR)
    assert summary["frames"] == 5 and summary["rows"] > 0
    assert figures.book_frames(book, MAR)["meta"]["source"] == "daily"
    assert figures.last_daily() == MAR
    assert monitor.trends(book, MAR)["meta"]["source"] == "daily"


def test_new_publication_assignment_or_setting_computes_again(book, monkeypatch):
    from data import store
    figures.book_frames(book, MAR)
    with store.new_generation() as con:                            # a correction: one more payment in March
        con.execute("INSERT INTO payments (payment_id, loan_id, payment_date, amount, channel, is_reversal) "
                    "VALUES ('P5', 'L3', DATE '2024-03-20', 30, 'app', false)")
    new = store.reader().cursor()
    again = figures.book_frames(new, MAR)
    assert {"flows", "promises", "outcomes"} <= set(again["meta"]["computed"])
    flows = monitor.trends(new, MAR)["bucket_outcomes"].set_index(["month", "bucket"])
    assert flows.loc[(FEB, "31-60"), "collected"] == pytest.approx(20.0 + 30.0)    # L3 paid 20 and 30 in March
    daily.assign(new, FEB)                                         # the assignment read is now the stored one
    assert set(figures.book_frames(new, MAR)["meta"]["computed"]) == {"outcomes"}
    monkeypatch.setenv("LOANWATCH_PTP_GRACE_DAYS", "5")
    assert set(figures.book_frames(new, MAR)["meta"]["computed"]) == {"promises", "outcomes"}
    # with 5 days' grace the 02-07 promise (100 by 02-20) also sees the 02-25 reversal of 40: 60 paid, broken
    kept = monitor.trends(new, MAR)["kept_by_month"].set_index("month")
    assert kept.loc[FEB, ["kept", "broken"]].tolist() == [0, 1]


def test_each_figure_computes_only_the_frames_it_reads(book):
    monitor.trends(book, MAR)                                      # cards and charts: no assignment needed
    kept = {n for _, n in _kept()}
    assert "base:promises" in kept and "base:outcomes" not in kept
    figures._memo.clear()
    assert set(figures.book_frames(book, MAR, kinds=("outcomes",))["meta"]["computed"]) == {"outcomes"}
    assert figures.book_frames(book, MAR)["meta"]["computed"] == {}
