"""Targets pinned on a hand-made panel: population, bad within H month-ends, DPD >= D, charge-off, maturity."""
from __future__ import annotations

import pandas as pd
import pytest

from data import store
from data.errors import UsageError
from models.features import month_ends
from models.targets import TARGETS, TargetDef, build_targets, resolve_target

MONTHS = month_ends("2024-01", "2024-06")        # the data: January to June 2024
# loan -> DPD at each month-end from January (a string is a terminal state; the list ends where rows stop)
PANEL = {
    "A": [0, 0, 0, 0, 0, 0],                      # never late
    "B": [0, 15, 45, 0, 0, 0],                    # 45 DPD in March
    "C": [0, 31, 0, 0, 0, 0],                     # exactly 31 in February
    "D": [0, 0, 0, 100, "charged_off"],           # 100 DPD in April, charged off in May
    "E": [0, "charged_off"],                      # charged off in February
    "F": [10, "paid_off"],                        # paid off in February
    "G": [95, 120, 150],                          # in default (more than 90 DPD) from January
    "H": [90, 91, 0, 0, 0, 0],                    # 90 in January (in the population), 91 in February
    "I": [0, 0, 0, 0, 0, 40],                     # 40 DPD in June, the last month of data
}


def _bucket(dpd: int) -> str:
    for edge, name in ((0, "current"), (30, "1-30"), (60, "31-60"), (90, "61-90"), (120, "91-120"),
                       (150, "121-150"), (180, "151-180")):
        if dpd <= edge:
            return name
    return "180+"


@pytest.fixture
def panel(isolated_home):
    with store.new_generation() as con:
        for loan, states in PANEL.items():
            con.execute("INSERT INTO borrowers (borrower_id, borrower_type) VALUES (?, 'retail')", [f"B{loan}"])
            con.execute("INSERT INTO loans (loan_id, borrower_id, product, origination_date, principal) "
                        "VALUES (?, ?, 'consumer', DATE '2023-12-15', 1000)", [loan, f"B{loan}"])
            for month, s in zip(MONTHS, states):
                dpd, bucket = (0, s) if isinstance(s, str) else (s, _bucket(s))
                con.execute("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket) VALUES (?, ?, ?, ?, ?)",
                            [loan, month, 0 if s == "paid_off" else 1000, dpd, bucket])
    yield store.reader().cursor()


def _targets(con, obs: str, horizon: int, bad_dpd: int) -> dict[str, tuple]:
    df = build_targets(con, [obs], TargetDef("t", horizon, bad_dpd))
    assert (df["as_of"] == pd.Timestamp(obs)).all()
    return {r.loan_id: (bool(r.bad), bool(r.mature), None if pd.isna(r.months_to_bad) else int(r.months_to_bad))
            for r in df.itertuples()}


def test_population_is_open_loans_at_most_90_dpd(panel):
    jan = _targets(panel, "2024-01-31", 2, 31)
    assert set(jan) == {"A", "B", "C", "D", "E", "F", "H", "I"}          # G is in default (95 DPD)
    feb = _targets(panel, "2024-02-29", 2, 31)
    assert set(feb) == {"A", "B", "C", "D", "I"}        # E charged off, F paid off, G and H above 90 DPD


def test_bad_within_two_month_ends_at_31_dpd(panel):
    jan = _targets(panel, "2024-01-31", 2, 31)
    assert jan["A"] == (False, True, None)
    assert jan["B"] == (True, True, 2)                  # 45 DPD at t+2
    assert jan["C"] == (True, True, 1)                  # exactly D counts: DPD >= D
    assert jan["D"] == (False, True, None)              # 100 DPD at t+3, after the window
    assert jan["E"] == (True, True, 1)                  # charge-off is bad whatever its DPD
    assert jan["F"] == (False, True, None)              # paid off within the window: good, and known
    assert jan["H"] == (True, True, 1)                  # 91 at t+1


def test_horizon_one_is_the_next_month_end(panel):
    jan = _targets(panel, "2024-01-31", 1, 31)
    assert {k for k, v in jan.items() if v[0]} == {"C", "E", "H"}     # B's 15 DPD in February is not 31+
    assert jan["B"] == (False, True, None)


def test_behaviour_definition_needs_more_than_90(panel):
    jan = _targets(panel, "2024-01-31", 3, 91)
    assert {k for k, v in jan.items() if v[0]} == {"D", "E", "H"}     # 100 and 91 DPD, a charge-off; not B (45)
    assert TARGETS["behaviour"] == TargetDef("behaviour", 12, 91)
    assert TARGETS["early_warning"] == TargetDef("early_warning", 3, 31)


def test_months_without_a_whole_window_are_immature(panel):
    # data ends in June: May's two-month window would need July
    may = _targets(panel, "2024-05-31", 2, 31)
    assert may["I"] == (True, False, 1)                 # bad seen already, still immature: rows of the month go
    assert may["A"] == (False, False, None)
    apr = _targets(panel, "2024-04-30", 2, 31)
    assert all(v[1] for v in apr.values())              # April + 2 = June: mature


def test_resolve_target_defaults_and_overrides():
    assert resolve_target("behaviour") == TargetDef("behaviour", 12, 91)
    assert resolve_target("early_warning", bad_dpd=61) == TargetDef("early_warning", 3, 61)
    assert resolve_target("tw_default", 1, 30) == TargetDef("tw_default", 1, 30)
    for bad in (("tw_default", None, 30), ("Bad-Name", 1, 30), ("behaviour", 0, None), ("../x", 1, 30)):
        with pytest.raises(UsageError):
            resolve_target(*bad)
