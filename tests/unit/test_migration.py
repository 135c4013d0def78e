"""Tier and stage migration matrices and the NPL movement reconciliation on the hand-built NPL book."""
from decimal import Decimal

import pytest

from analytics import classification, ecl
from tests.unit.analytics_books import NPL_LOANS, NPL_PERFORMANCE, NPL_SETTINGS, PATHS, path, publish, set_env


@pytest.fixture
def book(monkeypatch):
    set_env(monkeypatch, NPL_SETTINGS)
    return publish(NPL_LOANS, NPL_PERFORMANCE)


@PATHS
def test_npl_movement_reconciles_exactly(book, way):
    with path(way):
        r = classification.npl_reconciliation(book, "2024-01", "2024-02")
        month = classification.npl_movement(book, "2024-01", "2024-02")
    # opening: N1 1000 + N2 500 + N3 700 + N4 300 + N5 200; new: N6 410 + N7 250; upgrade: N2 at 500;
    # write-off: N3's 650 charged off; collections: N1 1000 - 900, N3 700 - 650, N4 paid off 300, N5 unseen 200
    assert {k: r[k] for k in ("opening", "new_npl", "upgrades", "collections", "write_offs", "closing")} == {
        "opening": Decimal("2700.00"), "new_npl": Decimal("660.00"), "upgrades": Decimal("500.00"),
        "collections": Decimal("650.00"), "write_offs": Decimal("650.00"), "closing": Decimal("1560.00")}
    assert r["balanced"] is True
    assert month[["new_loans", "upgraded_loans", "written_off_loans"]].values.tolist() == [[2, 1, 1]]


@PATHS
def test_tier_migration(book, way):
    with path(way):
        count = classification.migration(book, "2024-01", "2024-02")
        balance = classification.migration(book, "2024-01", "2024-02", weight="balance")
    got = {(r.from_state, r.to_state): (r.loans, r.share) for r in count.itertuples()}
    assert got == {("normal", "normal"): (1, 1.0), ("special_mention", "substandard"): (1, 1.0),
                   ("substandard", "substandard"): (1, 0.25), ("substandard", "normal"): (1, 0.25),
                   ("substandard", "charged_off"): (1, 0.25), ("substandard", "paid_off"): (1, 0.25)}  # N5 left out
    sub = balance[balance.from_state == "substandard"].set_index("to_state").share
    assert sub.to_dict() == pytest.approx({"substandard": 0.4, "normal": 0.2, "charged_off": 0.28, "paid_off": 0.12})
    matrix = classification.migration_matrix(count)
    assert matrix.sum(axis=1).tolist() == pytest.approx([1.0] * len(matrix))


@PATHS
def test_stage_migration(book, way):
    with path(way):
        df = ecl.stage_migration(book, "2024-01", "2024-02")
    got = {(r.from_state, r.to_state): r.loans for r in df.itertuples()}
    assert got == {("1", "1"): 1, ("2", "3"): 1, ("3", "3"): 1, ("3", "1"): 1, ("3", "charged_off"): 1,
                   ("3", "paid_off"): 1}


def test_migration_needs_a_later_month(book):
    with pytest.raises(ValueError, match="is not after"):
        classification.migration(book, "2024-02", "2024-01")
