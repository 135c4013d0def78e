"""Bucket distribution, book summary and roll rates pinned on the hand-checked tiny book (tests/conftest.py)."""
import pytest

from analytics import delinquency, portfolio


def test_available_months(tiny_store):
    assert [str(m) for m in portfolio.available_months(tiny_store)] == ["2024-01-31", "2024-02-29", "2024-03-31"]


def test_bucket_distribution_march(tiny_store):
    df = delinquency.bucket_distribution(tiny_store, "2024-03")
    assert list(df.bucket) == ["current", "1-30", "31-60", "61-90", "91-120", "121-150", "151-180", "180+"]
    got = df.set_index("bucket")
    assert got.loc["current", "loans"] == 2 and got.loc["current", "balance"] == pytest.approx(1400)
    assert got.loc["1-30", "balance"] == pytest.approx(2900)
    assert got.loc["31-60", "balance"] == pytest.approx(2000)
    assert got.loc["61-90", "loans"] == 0
    assert got.loc["current", "loan_share"] == pytest.approx(2 / 4)
    assert got.loc["1-30", "balance_share"] == pytest.approx(2900 / 6300)
    assert df.balance_share.sum() == pytest.approx(1.0)


def test_book_summary_march(tiny_store):
    s = portfolio.book_summary(tiny_store, "2024-03")
    assert s["open_loans"] == 4
    assert s["outstanding_balance"] == pytest.approx(6300)
    assert s["dpd30_rate_balance"] == pytest.approx(2000 / 6300)   # only L2 (45 DPD) is more than 30 days late
    assert s["dpd90_rate_balance"] == 0
    assert s["dpd30_rate_count"] == pytest.approx(1 / 4)


def test_unknown_month_is_refused(tiny_store):
    with pytest.raises(ValueError, match="no performance data for month-end 2023-12-31"):
        delinquency.bucket_distribution(tiny_store, "2023-12")


def test_roll_rates_whole_history_count(tiny_store):
    df = delinquency.roll_rates_long(tiny_store, weight="count")
    got = {(r.from_bucket, r.to_bucket): (r.loans, r.balance, r.share) for r in df.itertuples()}
    assert got == {
        ("current", "current"): (2, pytest.approx(1900), pytest.approx(2 / 4)),
        ("current", "1-30"): (1, pytest.approx(2000), pytest.approx(1 / 4)),
        ("current", "paid_off"): (1, pytest.approx(450), pytest.approx(1 / 4)),
        ("1-30", "current"): (1, pytest.approx(500), pytest.approx(1 / 2)),
        ("1-30", "31-60"): (1, pytest.approx(2000), pytest.approx(1 / 2)),
        ("31-60", "61-90"): (1, pytest.approx(3000), pytest.approx(1.0)),
        ("61-90", "1-30"): (1, pytest.approx(3000), pytest.approx(1.0)),
        ("151-180", "charged_off"): (1, pytest.approx(1500), pytest.approx(1.0)),
    }
    assert list(df.columns) == ["from_bucket", "to_bucket", "loans", "balance", "share"]


def test_roll_rates_balance_weight_and_range(tiny_store):
    df = delinquency.roll_rates_long(tiny_store, "2024-01", "2024-02", weight="balance")
    cur = df[df.from_bucket == "current"].set_index("to_bucket")
    # Jan -> Feb only: L1 (1000) stays current, L2 (2000) rolls; L6 is unseen in February and left out
    assert cur.loans.to_dict() == {"current": 1, "1-30": 1}
    assert cur.share.to_dict() == {"current": pytest.approx(1000 / 3000), "1-30": pytest.approx(2000 / 3000)}
    matrix = delinquency.roll_rate_matrix(df)
    assert matrix.sum(axis=1).tolist() == pytest.approx([1.0] * len(matrix))


def test_roll_rates_empty_range_is_refused(tiny_store):
    with pytest.raises(ValueError, match="no pair of consecutive month-ends"):
        delinquency.roll_rates_long(tiny_store, "2024-02", "2024-02")


@pytest.fixture
def tiny_with_summaries(isolated_home):
    from analytics import summaries
    from data import store
    from tests.conftest import build_tiny_book
    with store.new_generation() as con:
        build_tiny_book(con)
        summaries.build(con)
    return store.reader().cursor()


@pytest.mark.parametrize("way", ["summary", "raw"])
def test_delinquency_trend_60_plus(tiny_with_summaries, way):
    from tests.unit.analytics_books import path
    with path(way):
        df = delinquency.delinquency_trend(tiny_with_summaries).set_index("as_of")
    # more than 60 DPD: January L5 (170, 1500 of 8700 open balance, 1 of 6 loans); February L4 (80, 3000 of 6350,
    # 1 of 4); March none (L2 is 45, L4 back to 10)
    assert df.dpd60_loans.tolist() == [1, 1, 0]
    assert df.dpd60_balance.tolist() == pytest.approx([1500, 3000, 0])
    assert df.dpd60_rate_balance.tolist() == pytest.approx([1500 / 8700, 3000 / 6350, 0])
    assert df.dpd60_rate_count.tolist() == pytest.approx([1 / 6, 1 / 4, 0])
