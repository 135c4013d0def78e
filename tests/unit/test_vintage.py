"""Vintage curves pinned on the hand-built vintage book (cohorts January-March 2024, month-ends to June 2024)."""
import pytest

from analytics import vintage
from analytics.filters import Filters
from tests.unit.analytics_books import PATHS, VINTAGE_LOANS, VINTAGE_PERFORMANCE, path, publish


@pytest.fixture
def book():
    return publish(VINTAGE_LOANS, VINTAGE_PERFORMANCE)


def curves(df):
    return {c: g.share.round(12).tolist() for c, g in df.groupby("cohort")}


@PATHS
def test_ever30_by_count_and_principal(book, way):
    with path(way):
        count = vintage.vintage_curves(book, "ever30", "count")
        balance = vintage.vintage_curves(book, "ever30", "balance")
    # 2024-01 (V1 V2 V3): V2 35 DPD at MOB 1, V1 45 at MOB 2; 2024-02 (V4 V5): V4 65 at MOB 2; 2024-03: V6 at MOB 3.
    # Each cohort runs to June: MOB 5, 4 and 3; the December 2023 cohort (before the history) has no curve.
    assert curves(count) == {"2024-01": pytest.approx([0, 1 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3]),
                             "2024-02": pytest.approx([0, 0, 0.5, 0.5, 0.5]),
                             "2024-03": pytest.approx([0, 0, 0, 1])}
    assert curves(balance) == {"2024-01": pytest.approx([0, 2000 / 6000, 0.5, 0.5, 0.5, 0.5]),
                               "2024-02": pytest.approx([0, 0, 0.25, 0.25, 0.25]),
                               "2024-03": pytest.approx([0, 0, 0, 1])}        # the card is weighted by its limit
    jan = count[count.cohort == "2024-01"]
    assert jan.loans.tolist() == [0, 1, 2, 2, 2, 2] and jan.cohort_loans.unique().tolist() == [3]
    assert balance[balance.cohort == "2024-01"].balance.tolist() == [0, 2000, 3000, 3000, 3000, 3000]
    assert list(count.columns[:5]) == ["cohort", "mob", "loans", "balance", "share"]


@PATHS
def test_ever60_ever90_and_charge_off(book, way):
    with path(way):
        e60, e90 = vintage.vintage_curves(book, "ever60"), vintage.vintage_curves(book, "ever90")
        co = vintage.vintage_curves(book, "charged_off")
    assert curves(e60)["2024-01"] == pytest.approx([0, 0, 0, 1 / 3, 1 / 3, 1 / 3])    # V1 75 DPD in April
    assert curves(e60)["2024-02"] == pytest.approx([0, 0, 0.5, 0.5, 0.5])
    assert curves(e60)["2024-03"] == [0, 0, 0, 0]                                       # 40 DPD is not 60+
    assert curves(e90)["2024-01"] == pytest.approx([0, 0, 0, 0, 1 / 3, 1 / 3])
    assert curves(e90)["2024-02"] == pytest.approx([0, 0, 0, 0.5, 0.5])
    assert curves(co)["2024-01"] == pytest.approx([0, 0, 0, 0, 0, 1 / 3])              # V1 charged off in June
    assert sum(curves(co)["2024-02"]) == 0


@PATHS
def test_quarterly_cohorts(book, way):
    with path(way):
        q = vintage.vintage_curves(book, "ever30", by="quarter")
    # 2024-Q1 holds V1..V6, each counted from its own origination month; it runs to MOB 3 (March loans in June)
    assert curves(q) == {"2024-Q1": pytest.approx([0, 1 / 6, 3 / 6, 4 / 6])}


@PATHS
def test_filters(book, way):
    with path(way):
        cards = vintage.vintage_curves(book, "ever30", filters=Filters(products=("card",)))
    assert curves(cards) == {"2024-03": [0, 0, 0, 1]}


def test_bad_arguments(book):
    with pytest.raises(ValueError, match="metric must be one of"):
        vintage.vintage_curves(book, "ever45")


@PATHS
def test_an_earlier_month_end_shows_the_curves_as_they_were(book, way):
    with path(way):
        april = vintage.vintage_curves(book, "ever30", as_of="2024-04")
        may90 = vintage.vintage_curves(book, "ever90", as_of="2024-05")
        feb_q = vintage.vintage_curves(book, "ever30", by="quarter", as_of="2024-02")
    # At April: 2024-01 runs to MOB 3 (V2 35 DPD in Feb, V1 45 in March); 2024-02 to MOB 2 (V4 65 in April);
    # 2024-03 to MOB 1 (V6 reaches 40 DPD only in June, after April)
    assert curves(april) == {"2024-01": pytest.approx([0, 1 / 3, 2 / 3, 2 / 3]),
                             "2024-02": pytest.approx([0, 0, 0.5]), "2024-03": [0, 0]}
    # At May: V1 100 DPD in May (MOB 4) is ever 90+; V4 95 in May (MOB 3); June's V1 charge-off is not known yet
    assert curves(may90) == {"2024-01": pytest.approx([0, 0, 0, 0, 1 / 3]),
                             "2024-02": pytest.approx([0, 0, 0, 0.5]), "2024-03": [0, 0, 0]}
    # At February the quarter holds V1..V5 (V6 not yet originated) and runs to MOB 0 of its February loans
    assert curves(feb_q) == {"2024-Q1": [0]} and feb_q.cohort_loans.tolist() == [5]
    assert vintage.vintage_curves(book, "ever30").equals(vintage.vintage_curves(book, "ever30", as_of="2024-06"))


def test_table_is_one_row_per_cohort_with_its_size(book):
    table = vintage.vintage_table(vintage.vintage_curves(book, "ever30", as_of="2024-04"))
    # columns: cohort, its loans and principal (fixed denominators), then the share at each MOB (NaN = not reached)
    assert table.columns.tolist() == ["cohort", "loans", "principal", "mob_0", "mob_1", "mob_2", "mob_3"]
    assert table.cohort.tolist() == ["2024-01", "2024-02", "2024-03"]
    assert table.loans.tolist() == [3, 2, 1] and table.principal.tolist() == pytest.approx([6000, 2000, 800])
    assert table.mob_3.iloc[0] == pytest.approx(2 / 3) and table.mob_3.iloc[1:].isna().all()


def test_unknown_month_end_is_refused(book):
    with pytest.raises(ValueError, match="no performance data for month-end 2024-07-31"):
        vintage.vintage_curves(book, "ever30", as_of="2024-07")
