"""The review cadence reads the effective tier: an officer's classification override (only ever worse than the
rules) raises a loan's risk band for reviews; withdrawn, or made for a later month-end, it does not."""
from __future__ import annotations

import datetime as dt

from data import overrides, reviews, store
from tests.unit.test_reviews import JUNE, OLD, publish
from tests.unit.test_signals import EwBook

MAY = dt.date(2024, 5, 31)
RISK = overrides.Editor("risk", ("risk_manager",))


def test_an_override_to_substandard_makes_a_normal_loan_monthly():
    """Five loans current at every month-end (Normal by the rules: low risk, a yearly review) and reviewed on
    2024-05-20, except OVM reviewed on 2024-04-10. At June 2024:
    - OVS overridden to Substandard: high, monthly -> due 2024-06-20 (overdue at the month-end);
    - OVD overridden to Doubtful: worse than Substandard, also monthly -> 2024-06-20;
    - OVM overridden to Special mention: medium, quarterly -> 2024-07-10 (within the 30 days' lead);
    - OVW overridden to Substandard, then the override withdrawn: low again -> 2025-05-20, not yet;
    - CTRL no override: low -> 2025-05-20, not yet."""
    b = EwBook()
    for lid in ("OVS", "OVD", "OVM", "OVW", "CTRL"):
        b.loan(lid, origination=OLD)
    publish(b, [(lid, "2024-04-10" if lid == "OVM" else "2024-05-20", "periodic")
                for lid in ("OVS", "OVD", "OVM", "OVW", "CTRL")])
    con = store.reader().cursor()
    overrides.add_override(con, "OVS", "substandard", "borrower's business closed", RISK, as_of=JUNE)
    overrides.add_override(con, "OVD", "doubtful", "fraud suspected", RISK, as_of=JUNE)
    overrides.add_override(con, "OVM", "special_mention", "sector under stress", RISK, as_of=JUNE)
    withdrawn = overrides.add_override(con, "OVW", "substandard", "mistaken", RISK, as_of=JUNE)
    overrides.withdraw_override(con, withdrawn, RISK, "entered on the wrong loan")

    assert reviews.override_bands(JUNE).sort_values("loan_id").values.tolist() == [
        ["OVD", "high"], ["OVM", "medium"], ["OVS", "high"]]
    # in May none of the overrides (made for June) is in force: every loan is low, nothing due by 2024-06-30
    assert reviews.due_reviews(con, MAY).empty

    summary = reviews.schedule(con, JUNE)
    got = {(r.loan_id, r.kind): (r.due_date, r.status, r.reason) for r in reviews.reviews_frame().itertuples()}
    assert got == {("OVS", "periodic"): (dt.date(2024, 6, 20), "overdue", "policy:high"),
                   ("OVD", "periodic"): (dt.date(2024, 6, 20), "overdue", "policy:high"),
                   ("OVM", "periodic"): (dt.date(2024, 7, 10), "due", "policy:medium")}
    assert summary["created"] == {"first": 0, "periodic": 3, "triggered": 0}
