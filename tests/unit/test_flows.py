"""Roll, cure and flow rates and the flow waterfall pinned on the shared tiny book (tests/conftest.py), read
through freshly built summaries and computed raw."""
import math

import pytest

from analytics import delinquency, flows
from analytics.filters import Filters
from tests.conftest import build_tiny_book
from tests.unit.analytics_books import PATHS, path


@pytest.fixture
def tiny(isolated_home):
    """The tiny book as published data, with its summaries this time."""
    from analytics import summaries
    from data import store
    with store.new_generation() as con:
        build_tiny_book(con)
        summaries.build(con)
    return store.reader().cursor()


def nan_or(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


@PATHS
def test_roll_and_cure_rates(tiny, way):
    with path(way):
        df = flows.roll_cure_rates(tiny)
        bal = flows.roll_cure_rates(tiny, weight="balance")
    got = {(str(r.as_of), r.bucket): (r.loans, nan_or(r.roll_rate), nan_or(r.cure_rate)) for r in df.itertuples()}
    # Jan -> Feb: current L1 stays, L2 rolls (L6 unseen, left out); L3 1-30 cures; L4 31-60 rolls; L5 151-180 is
    # charged off (not 180+); Feb -> Mar: L1 stays, L3 pays off; L2 1-30 rolls; L4 61-90 goes back to 1-30
    assert got == {
        ("2024-02-29", "current"): (2, 0.5, None), ("2024-02-29", "1-30"): (1, 0.0, 1.0),
        ("2024-02-29", "31-60"): (1, 1.0, 0.0), ("2024-02-29", "151-180"): (1, 0.0, 0.0),
        ("2024-02-29", "delinquent"): (3, None, pytest.approx(1 / 3)),
        ("2024-03-31", "current"): (2, 0.0, None), ("2024-03-31", "1-30"): (1, 1.0, 0.0),
        ("2024-03-31", "61-90"): (1, 0.0, 0.0), ("2024-03-31", "delinquent"): (2, None, 0.0)}
    first = bal[(bal.bucket == "current") & (bal.as_of.astype(str) == "2024-02-29")].iloc[0]
    assert first.roll_rate == pytest.approx(2000 / 3000)


@PATHS
def test_flow_rates(tiny, way):
    with path(way):
        df = flows.flow_rates(tiny)
    got = {(str(r.as_of), r.from_bucket): nan_or(r.flow_rate) for r in df.itertuples()}
    # balances: Jan current 3700, 1-30 500, 31-60 3000, 151-180 1500; Feb current 1350, 1-30 2000, 61-90 3000,
    # charged off 1500; Mar current 1400, 1-30 2900, 31-60 2000
    assert got["2024-02-29", "current"] == pytest.approx(2000 / 3700)
    assert got["2024-02-29", "1-30"] == 0.0 and got["2024-02-29", "31-60"] == 1.0
    assert got["2024-02-29", "151-180"] == 0.0 and got["2024-02-29", "180+"] is None     # nothing in 180+
    assert got["2024-03-31", "current"] == pytest.approx(2900 / 1350)                  # aggregate: can exceed 1
    assert got["2024-03-31", "1-30"] == 1.0 and got["2024-03-31", "61-90"] == 0.0
    assert len(df) == 16 and df.to_bucket.iloc[7] == "charged_off"


@PATHS
def test_flow_waterfall(tiny, way):
    with path(way):
        w = flows.flow_waterfall(tiny, "2024-03", months=12)
    assert w.from_bucket.tolist()[:4] == ["current", "1-30", "31-60", "61-90"]
    assert w.flow_rate.tolist()[:4] == pytest.approx([4900 / 5050, 2000 / 2500, 1.0, 0.0])
    assert w.cumulative_rate.tolist()[:3] == pytest.approx([4900 / 5050, 4900 / 5050 * 0.8, 4900 / 5050 * 0.8])
    assert w.expected_balance.iloc[1] == pytest.approx(1400 * 4900 / 5050 * 0.8)   # March current balance 1400
    assert w.expected_balance.iloc[3] == 0.0


@PATHS
def test_roll_rates_long_reads_summaries_with_the_same_answer(tiny, way):
    with path(way):
        df = delinquency.roll_rates_long(tiny, weight="count")
        cards = delinquency.roll_rates_long(tiny, filters=Filters(products=("card",)))
        trend = delinquency.bucket_trend(tiny, "2024-03")
    assert len(df) == 8 and df.loans.sum() == 9
    assert cards[["from_bucket", "to_bucket", "loans"]].values.tolist() == [["151-180", "charged_off", 1]]
    assert trend[trend.as_of.astype(str) == "2024-03-31"].balance.sum() == pytest.approx(6300)


def test_flow_into_180_plus_exceeds_one_and_the_next_step_offsets_it(isolated_home):
    """The decision documented in analytics/flows.py: 180+ is a stock, so the flow into it can exceed 100%, and
    the two last steps multiplied equal charge-offs / 151-180 balance x the growth of the 180+ stock."""
    from tests.unit.analytics_books import loan, publish
    jan, feb, mar = "2024-01-31", "2024-02-29", "2024-03-31"
    perf = [("A", jan, 1000, 170, "151-180"), ("A", feb, 1000, 200, "180+"), ("A", mar, 1000, 230, "charged_off"),
            ("B", jan, 2000, 300, "180+"), ("B", feb, 2000, 330, "180+"), ("B", mar, 2000, 360, "180+"),
            ("C", jan, 500, 160, "151-180"), ("C", feb, 500, 190, "180+"), ("C", mar, 500, 220, "180+"),
            ("D", jan, 1000, 0, "current"), ("D", feb, 1000, 0, "current"), ("D", mar, 1000, 0, "current")]
    con = publish([loan(x, origination="2023-06-15") for x in "ABCD"], perf)
    fr = flows.flow_rates(con)
    got = {(str(r.as_of), r.from_bucket): nan_or(r.flow_rate) for r in fr.itertuples()}
    # Jan -> Feb: 180+ at Feb 1000 + 2000 + 500 = 3500 over 151-180 at Jan 1000 + 500 = 1500; nothing charged off
    assert got[feb, "151-180"] == pytest.approx(3500 / 1500) and got[feb, "180+"] == 0.0
    # Feb -> Mar: nothing in 151-180 at Feb; A charged off (1000) out of 3500 in 180+ at Feb
    assert got[mar, "151-180"] is None and got[mar, "180+"] == pytest.approx(1000 / 3500)
    w = flows.flow_waterfall(con, mar, months=12).set_index("from_bucket")
    into, out = w.at["151-180", "flow_rate"], w.at["180+", "flow_rate"]
    assert into == pytest.approx((3500 + 2500) / 1500) and out == pytest.approx(1000 / (2000 + 3500))
    # charge-offs 1000 / 151-180 balance 1500, times the 180+ stock's growth (3500 + 2500) / (2000 + 3500)
    assert into * out == pytest.approx(1000 / 1500 * (6000 / 5500))
