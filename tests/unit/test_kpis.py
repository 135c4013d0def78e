"""Executive KPIs, their changes, trend and movers pinned on the hand-built KPI book (tests/unit/analytics_books.py)."""
import datetime as dt

import pytest

from analytics import kpis
from analytics.filters import Filters
from tests.unit.analytics_books import (KPI_DISPOSITIONS, KPI_LOANS, KPI_PAYMENTS, KPI_PERFORMANCE, KPI_SETTINGS,
                                        PATHS, path, publish, set_env)

MARCH = {   # 2024-03-31: open K1 1000, K2 2000, K3 500 (45 DPD), K4 300 (75), K5 400 (100), K8 900 (new)
    "open_loans": 6, "outstanding_balance": 5100,
    "dpd30_rate_balance": 1200 / 5100, "dpd60_rate_balance": 700 / 5100, "dpd90_rate_balance": 400 / 5100,
    "dpd30_rate_count": 3 / 6, "dpd60_rate_count": 2 / 6, "dpd90_rate_count": 1 / 6,
    "npl_balance": 400, "npl_ratio": 400 / 5100,                  # only K5 is Substandard
    # PD from Feb -> Mar: current never defaults; 1-30 -> 31-60 -> 61-90 -> 91-120 with certainty, so K3 and K4
    # (Stage 2, lifetime) and K5 (Stage 3) have PD 1: ECL = 0.4 x (500 + 300 + 400)
    "ecl": 480, "coverage_ratio": 480 / 400,
    "new_loans": 1, "new_disbursements": 900,                     # K8
    "collections": 200,                                           # 100 + 100 + 50 - 50 (a reversal)
    "charge_offs": 600, "recoveries": 90,                         # the settlement of 30 is not a recovery kind
}
FEBRUARY = {  # K1 1100, K2 2000, K3 500 (15), K4 300 (40), K5 400 (70), K6 600 (170), K7 100
    "open_loans": 7, "outstanding_balance": 5000, "dpd30_rate_balance": 1300 / 5000, "dpd60_rate_balance": 0.2,
    "dpd90_rate_balance": 0.12, "dpd30_rate_count": 3 / 7, "npl_balance": 600, "npl_ratio": 0.12,
    "ecl": 240, "coverage_ratio": 0.4,          # no transitions yet: only K6 (151-180, PD 1) has ECL, 0.4 x 600
    "new_loans": 0, "collections": 100, "charge_offs": 0,
}
LAST_YEAR = {  # 2023-03-31: K1 1500 current, K2 2500 at 100 DPD
    "open_loans": 2, "outstanding_balance": 4000, "dpd30_rate_balance": 0.625, "dpd90_rate_count": 0.5,
    "npl_ratio": 0.625, "ecl": 1000, "coverage_ratio": 0.4,
}


@pytest.fixture
def book(monkeypatch):
    set_env(monkeypatch, KPI_SETTINGS)
    return publish(KPI_LOANS, KPI_PERFORMANCE, payments=KPI_PAYMENTS, dispositions=KPI_DISPOSITIONS)


@PATHS
def test_kpis_with_previous_month_and_last_year(book, way):
    with path(way):
        k = kpis.kpis(book, "2024-03")
    assert k["as_of"] == dt.date(2024, 3, 31) and k["currency"] == "CNY"
    assert {n: k[n] for n in MARCH} == pytest.approx(MARCH)
    assert {n: k["previous_month"][n] for n in FEBRUARY} == pytest.approx(FEBRUARY)
    assert {n: k["last_year"][n] for n in LAST_YEAR} == pytest.approx(LAST_YEAR)
    assert k["previous_month"]["as_of"] == dt.date(2024, 2, 29)
    assert k["change_month"]["open_loans"] == -1 and k["change_month"]["ecl"] == pytest.approx(240)
    assert k["change_month"]["npl_ratio"] == pytest.approx(400 / 5100 - 0.12)
    assert k["change_year"]["outstanding_balance"] == pytest.approx(1100)
    assert k["change_year"]["coverage_ratio"] == pytest.approx(1.2 - 0.4)


@PATHS
def test_kpis_filtered_to_a_region(book, way):
    with path(way):
        k = kpis.kpis(book, "2024-03", Filters(regions=("East",)))
    assert (k["open_loans"], k["outstanding_balance"]) == (4, pytest.approx(3800))
    assert k["dpd30_rate_balance"] == pytest.approx(800 / 3800)
    assert (k["npl_ratio"], k["ecl"], k["coverage_ratio"]) == (0, pytest.approx(320), None)   # no NPL: no coverage
    assert (k["new_disbursements"], k["collections"], k["charge_offs"]) == (0, pytest.approx(100), 0)


def test_missing_comparison_months_are_none(book):
    k = kpis.kpis(book, "2024-02")          # no 2024-01 and no 2023-02 in the book
    assert k["previous_month"] is None and k["change_month"] is None and k["last_year"] is None


@PATHS
def test_trend_changes_and_movers(book, way):
    with path(way):
        trend = kpis.kpi_trend(book, "2024-03", months=24)
        changes = kpis.kpi_changes(book, "2024-03").set_index("kpi")
        movers = kpis.kpi_movers(book, "2024-03", kpi="outstanding_balance", by="region")
    assert [str(d) for d in trend.as_of] == ["2023-03-31", "2024-02-29", "2024-03-31"]
    assert trend.npl_ratio.tolist() == pytest.approx([0.625, 0.12, 400 / 5100])
    assert list(changes.columns) == ["value", "previous_month", "change_month", "last_year", "change_year"]
    assert changes.at["ecl", "change_year"] == pytest.approx(-520)
    assert movers.segment.tolist() == ["West", "East"]        # West 1100 -> 1300, East 3900 -> 3800
    assert movers.change.tolist() == pytest.approx([200, -100])
    assert kpis.kpi_trend(book, "2024-03", months=1).as_of.tolist() == [dt.date(2024, 3, 31)]


def test_unknown_month_and_bad_arguments(book):
    with pytest.raises(ValueError, match="no performance data for month-end 2024-01-31"):
        kpis.kpis(book, "2024-01")
    with pytest.raises(ValueError, match="kpi must be one of"):
        kpis.kpi_movers(book, kpi="nope")


# 30+ balance rate by segment (all KPI-book loans are consumer; East = branch E1, West = branch W1):
#   East Feb 300 / 3900 (K4 at 40 DPD of K1 1100, K2 2000, K3 500, K4 300); Mar 800 / 3800 (K3 45, K4 75)
#   West Feb 1000 / 1100 (K5 70, K6 170 of K5 400, K6 600, K7 100);        Mar 400 / 1300 (K5 100; K8 900 new)
#   the whole book (the one product) Feb 1300 / 5000, Mar 1200 / 5100
EAST, WEST, BOOK = (300 / 3900, 800 / 3800), (1000 / 1100, 400 / 1300), (1300 / 5000, 1200 / 5100)


@PATHS
def test_segment_movers_per_dimension(book, way):
    with path(way):
        movers = kpis.segment_movers(book, "2024-03", top=3)
        balance = kpis.segment_movers(book, "2024-03", measure="outstanding_balance", top=1)
    assert movers[["dimension", "segment"]].values.tolist() == [
        ["product", "consumer"], ["region", "West"], ["region", "East"], ["branch", "W1"], ["branch", "E1"]]
    assert movers.change.tolist() == pytest.approx([BOOK[1] - BOOK[0], WEST[1] - WEST[0], EAST[1] - EAST[0],
                                                    WEST[1] - WEST[0], EAST[1] - EAST[0]])
    west = movers.iloc[1]
    assert (west.loans, west.balance, west.share) == (2, pytest.approx(1300), pytest.approx(1300 / 5100))
    assert (west.value, west.previous) == (pytest.approx(WEST[1]), pytest.approx(WEST[0]))
    # balance: consumer +100, West +200 (1100 -> 1300) beats East -100 (3900 -> 3800)
    assert balance[["segment", "change"]].values.tolist() == [["consumer", 100], ["West", 200], ["W1", 200]]


def test_segment_movers_size_floor_filters_and_missing_year(book):
    # East holds 3800 / 5100 = 74.5% of the balance, West 25.5%: a 30% floor keeps East only
    big = kpis.segment_movers(book, "2024-03", min_share=0.3)
    assert big[["dimension", "segment"]].values.tolist() == [["product", "consumer"], ["region", "East"],
                                                             ["branch", "E1"]]
    west = kpis.segment_movers(book, "2024-03", filters=Filters(regions=("West",)))
    assert west.segment.tolist() == ["consumer", "West", "W1"] and west.share.tolist() == [1, 1, 1]
    assert west.change.tolist() == pytest.approx([WEST[1] - WEST[0]] * 3)
    # 2023-03-31 is there, but 2023-02-28 (a year before 2024-02) is not: nothing to compare with
    assert kpis.segment_movers(book, "2024-02", compare="year").empty
    year = kpis.segment_movers(book, "2024-03", compare="year", measure="dpd30_rate_count", top=1)
    # East: 2023-03 K2 at 100 DPD of K1, K2 (1 / 2); 2024-03 K3, K4 of 4 loans (2 / 4): no change;
    # West had no loans in 2023-03: no change to rank, so it comes after East
    assert year[["segment", "value", "previous"]].values.tolist()[1] == ["East", 0.5, 0.5]
    with pytest.raises(ValueError, match="measure must be one of"):
        kpis.segment_movers(book, measure="ecl")


def test_better_or_worse():
    assert kpis.better("dpd30_rate_balance", 0.01) == -1 and kpis.better("npl_ratio", -0.01) == 1
    assert kpis.better("collections", 5) == 1 and kpis.better("coverage_ratio", -0.1) == -1
    assert kpis.better("ecl", 0) == 0 and kpis.better("ecl", None) == 0
    assert set(kpis.BETTER_UP) <= set(kpis.KPIS)
