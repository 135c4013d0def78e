"""The review policy on hand-made loans at 2024-06-30: first, periodic by risk tier and triggered reviews."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data import reviews, store
from tests.unit.test_signals import EwBook

JUNE = dt.date(2024, 6, 30)
OLD = "2023-01-15"


def publish(book: EwBook, history=()) -> None:
    """history: (loan_id, review_date, review_type) reviews already in the analytical store."""
    with store.new_generation(start_empty=True) as con:
        book.build(con)
        con.executemany("INSERT INTO reviews (review_id, loan_id, review_date, review_type, reviewer) "
                        "VALUES (?, ?, ?, ?, 'OF1')", [(f"R{i}", *h) for i, h in enumerate(history)])


@pytest.fixture
def scheduled():
    b = EwBook()
    b.loan("NEWC", origination="2024-05-20", dpd=(None, None, 0, 0))               # consumer: 30 days
    b.loan("NEWM", product="mortgage", origination="2024-06-10", dpd=(None, None, None, 0))   # mortgage: 60
    b.loan("OLDF", origination="2024-02-01")                                       # disbursed > 3 months ago
    for lid in ("LOW", "LOW2", "MED", "HIGH", "PDH", "T61", "T60"):
        b.loan(lid, origination=OLD, dpd={"MED": (0, 0, 0, 10), "HIGH": (35, 65, 95, 95),
                                          "T61": (0, 0, 30, 61), "T60": (0, 0, 30, 60)}.get(lid, (0, 0, 0, 0)))
    b.scores.append(("PDH", "2024-06-30", "behaviour", "v1", 0.10, "G6", None))   # PD 10%: high (review_pd_bands)
    publish(b, [("LOW", "2023-07-15", "periodic"), ("LOW2", "2023-08-15", "periodic"),
                ("MED", "2024-04-10", "periodic"), ("HIGH", "2024-05-31", "ad_hoc"), ("PDH", "2024-05-20", "periodic"),
                ("T61", "2024-06-01", "periodic"), ("T60", "2024-06-01", "periodic"), ("OLDF", "2024-03-01", "first")])
    con = store.reader().cursor()
    return con, reviews.schedule(con, JUNE)


def test_policy_creates_first_periodic_and_triggered_reviews(scheduled):
    _con, summary = scheduled
    got = {(r.loan_id, r.kind): (r.due_date, r.status, r.reason) for r in reviews.reviews_frame().itertuples()}
    assert got == {
        ("NEWC", "first"): (dt.date(2024, 6, 19), "overdue", "policy:first"),      # 2024-05-20 + 30 days
        ("NEWM", "first"): (dt.date(2024, 8, 9), "due", "policy:first"),           # 2024-06-10 + 60 days
        ("LOW", "periodic"): (dt.date(2024, 7, 15), "due", "policy:low"),          # + 12 months, within 30 days
        ("MED", "periodic"): (dt.date(2024, 7, 10), "due", "policy:medium"),       # 10 DPD > 7: + 3 months
        ("HIGH", "periodic"): (dt.date(2024, 6, 30), "due", "policy:high"),        # 95 DPD > 90: + 1 month
        ("PDH", "periodic"): (dt.date(2024, 6, 20), "overdue", "policy:high"),     # PD 10%: + 1 month
        ("HIGH", "triggered"): (dt.date(2024, 7, 14), "due", "interest_overdue"),  # 95 > 60 DPD: month-end + 14
        ("T61", "triggered"): (dt.date(2024, 7, 14), "due", "interest_overdue"),
    }   # LOW2 due 2024-08-15 (beyond 30 days), T60 not more than 60 DPD, OLDF disbursed too long ago
    assert summary == {"created": {"first": 2, "periodic": 4, "triggered": 2}, "overdue": 0}


def test_schedule_is_idempotent_and_marks_overdue(scheduled):
    con, _ = scheduled
    before = reviews.reviews_frame()
    again = reviews.schedule(con, JUNE)
    assert again == {"created": {"first": 0, "periodic": 0, "triggered": 0}, "overdue": 0}
    assert reviews.reviews_frame().equals(before)
    # a month later nothing is new in the store, but what fell due in July is now overdue: LOW (07-15), MED
    # (07-10), HIGH periodic (06-30) and both triggered (07-14); NEWM (08-09) is still due
    later = reviews.schedule(con, dt.date(2024, 7, 31))
    assert later["overdue"] == 5


def test_completing_a_review_records_it_and_frees_the_loan(scheduled):
    from data import workflow
    con, _ = scheduled
    rid = int(reviews.reviews_frame().query("loan_id == 'PDH'").review_id.iloc[0])
    reviews.complete(rid, "income checked, arrears explained", "special_mention", actor="officer")
    row = reviews.reviews_frame().query(f"review_id == {rid}").iloc[0]
    assert (row.status, row.classification, row.completed_by) == ("done", "special_mention", "officer")
    assert row.isna()["pending_key"]
    assert workflow.audit_entries()[0]["target"] == f"review:{rid}"
    with pytest.raises(ValueError, match="is not pending"):
        reviews.complete(rid, "again", actor="officer")
    # the policy now counts from the review just done (today, after 2024-06-30): no periodic review is wanted
    assert "PDH" not in set(reviews.due_reviews(con, JUNE).loan_id)


# ------------------------------------------------------------------------ the review form and maker-checker
from data import overrides, workflow  # noqa: E402

OFFICER = overrides.Editor("officer", ("credit_officer",), "OF1")
RISK = overrides.Editor("risk", ("risk_manager",))


@pytest.fixture
def form(monkeypatch, scheduled):
    """The scheduled book with the ECL floors out of reach (its short history gives Markov PDs near 1), so the
    rules' tiers come from days past due alone: LOW normal (0), MED special_mention (10 > 7), HIGH substandard
    (95 > 90)."""
    monkeypatch.setenv("LOANWATCH_ECL_FLOOR_DOUBTFUL", "2.0")
    monkeypatch.setenv("LOANWATCH_ECL_FLOOR_LOSS", "3.0")
    return scheduled


def review_of(loan_id: str, kind: str = "periodic") -> int:
    df = reviews.reviews_frame()
    return int(df[(df.loan_id == loan_id) & (df.kind == kind)].review_id.iloc[0])


def test_checklist_by_product_from_the_setting(monkeypatch):
    assert reviews.checklist("mortgage") == ["income", "collateral", "insurance"]
    assert reviews.checklist("auto") == ["income", "use_of_funds", "contact"]          # '*'
    monkeypatch.setenv("LOANWATCH_REVIEW_CHECKLIST", "sme=site_visit;*=income")
    assert reviews.checklist("sme") == ["site_visit"] and reviews.checklist("consumer") == ["income"]


def test_confirming_or_worsening_the_tier_completes_the_review(form):
    con, _ = form
    low = review_of("LOW")
    # LOW: 0 DPD at 2024-06-30 -> normal by the rules; confirmed
    status = reviews.submit(con, low, "salary seen", "normal", OFFICER, checks={"income": True, "contact": False},
                            actions="call again in July")
    r = reviews.get_review(low)
    assert (status, r["status"], r["tier_before"], r["classification"]) == ("done", "done", "normal", "normal")
    assert r["checklist"] == {"income": True, "contact": False} and r["actions"] == "call again in July"
    assert r["pending_key"] is None
    # MED: 10 DPD > 7 -> special_mention by the rules; the review makes it substandard: an override
    med = review_of("MED")
    with pytest.raises(overrides.Refused, match="reason is required"):
        reviews.submit(con, med, "business closed", "substandard", OFFICER)
    assert reviews.submit(con, med, "business closed", "substandard", OFFICER, reason="shop shut") == "done"
    active = overrides.overrides("MED")
    assert active[["tier", "rule_tier", "actor"]].values.tolist() == [["substandard", "special_mention", "officer"]]
    assert reviews.current_tier(con, "MED")["tier"] == "substandard"
    assert [e["action"] for e in workflow.audit_entries()[:3]] == ["review_complete", "classification_override",
                                                                   "review_complete"]


def test_an_improvement_needs_a_second_person_with_an_approver_role(form):
    con, _ = form
    overrides.add_override(con, "LOW", "substandard", "arrears feared", OFFICER)     # LOW: normal by the rules
    low = review_of("LOW")
    assert reviews.submit(con, low, "arrears cleared", "normal", OFFICER, reason="paid up") == "pending_approval"
    assert reviews.current_tier(con, "LOW")["tier"] == "substandard"                # nothing changed yet
    assert reviews.reviews_frame().query(f"review_id == {low}").pending_key.iloc[0] == "LOW|periodic"
    assert reviews.schedule(con, JUNE)["created"]["periodic"] == 0                   # the loan's kind stays taken
    with pytest.raises(overrides.Refused, match="second person") as same:
        reviews.approve(con, low, overrides.Editor("officer", ("credit_officer", "risk_manager"), "OF1"))
    assert same.value.key == "same_person"
    with pytest.raises(overrides.Refused) as role:
        reviews.approve(con, low, overrides.Editor("olga", ("credit_officer",), "OF1"))
    assert role.value.key == "approver_role"
    reviews.approve(con, low, RISK, "agreed")
    r = reviews.get_review(low)
    assert (r["status"], r["approved_by"], r["completed_by"]) == ("done", "risk", "officer")
    assert overrides.overrides("LOW").empty                                         # override withdrawn
    assert reviews.current_tier(con, "LOW")["tier"] == "normal"
    assert [e["action"] for e in workflow.audit_entries()[:2]] == ["review_approve",
                                                                   "classification_override_withdrawn"]


def test_rejected_improvement_goes_back_to_the_reviewer(form):
    con, _ = form
    overrides.add_override(con, "LOW", "doubtful", "fraud suspected", OFFICER)
    low = review_of("LOW")
    # doubtful -> substandard is an improvement, still worse than the rules' normal: approving eases the override
    assert reviews.submit(con, low, "partly explained", "substandard", OFFICER, reason="docs") == "pending_approval"
    with pytest.raises(overrides.Refused, match="reason is required"):
        reviews.reject(low, RISK, "")
    reviews.reject(low, RISK, "need bank statements", today=dt.date(2024, 7, 1))
    r = reviews.get_review(low)
    assert (r["status"], r["completed_by"], r["classification"]) == ("due", None, None)   # due 2024-07-15
    assert reviews.submit(con, low, "statements seen", "substandard", OFFICER, reason="docs") == "pending_approval"
    reviews.approve(con, low, RISK)
    assert overrides.overrides("LOW")[["tier", "status"]].values.tolist() == [["substandard", "active"]]


def test_review_refusals(form):
    con, _ = form
    high = review_of("HIGH")
    with pytest.raises(overrides.Refused) as below:      # 95 DPD > 90: substandard by the rules
        reviews.submit(con, high, "looks fine", "normal", OFFICER, reason="promised to pay")
    assert below.value.key == "below_rules"
    with pytest.raises(overrides.Refused) as other:
        reviews.submit(con, high, "x", "substandard", overrides.Editor("ann", ("credit_officer",), "OF9"))
    assert other.value.key == "not_yours"
    with pytest.raises(overrides.Refused) as role:
        reviews.submit(con, high, "x", "substandard", overrides.Editor("col", ("collector",), "OF1"))
    assert role.value.key == "role"
    with pytest.raises(overrides.Refused) as empty:
        reviews.submit(con, high, "  ", "substandard", OFFICER)
    assert empty.value.key == "findings"
    reviews.submit(con, high, "confirmed", "substandard", RISK)       # risk managers review any loan
    with pytest.raises(overrides.Refused) as again:
        reviews.submit(con, high, "again", "substandard", RISK)
    assert again.value.key == "not_pending"


def _frame(rows) -> pd.DataFrame:
    cols = ["review_id", "branch", "reviewer", "status", "due_date", "completed_at"]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)


def test_status_by_branch_and_officer_and_monthly_trend():
    import pandas as pd
    today = dt.date(2024, 7, 20)
    df = _frame([
        (1, "E1", "OF1", "done", dt.date(2024, 6, 10), pd.Timestamp("2024-06-09 10:00", tz="UTC")),   # on time
        (2, "E1", "OF1", "done", dt.date(2024, 6, 20), pd.Timestamp("2024-06-25 10:00", tz="UTC")),   # late
        (3, "E1", "OF2", "overdue", dt.date(2024, 7, 5), None),                                      # overdue
        (4, "W1", "OF3", "due", dt.date(2024, 7, 25), None),                                         # due
        (5, "W1", "OF3", "pending_approval", dt.date(2024, 7, 1), pd.Timestamp("2024-06-30", tz="UTC")),
    ])
    by_branch = reviews.status_by(df, "branch", today)
    # E1: 3 reviews, 2 done (1 on time), 1 overdue -> completion 2/3, timeliness 1/2; W1: 2 reviews, review 5
    # awaiting approval past its due date counts as overdue, 4 is due -> completion 0, timeliness undefined
    assert by_branch[["branch", "reviews", "due", "overdue", "done", "on_time"]].values.tolist() == [
        ["E1", 3, 0, 1, 2, 1], ["W1", 2, 1, 1, 0, 0]]
    assert by_branch["completion"].tolist()[0] == pytest.approx(2 / 3)
    assert by_branch["timeliness"].tolist()[0] == pytest.approx(0.5) and pd.isna(by_branch["timeliness"][1])
    by_officer = reviews.status_by(df, "reviewer", today)
    assert by_officer["reviewer"].tolist() == ["OF2", "OF3", "OF1"]           # most overdue first, then by name
    trend = reviews.monthly_trend(df, today)
    # June: reviews 1, 2 due, both done, one on time; July: 3, 4, 5 due, none done
    assert trend[["reviews", "done", "on_time"]].values.tolist() == [[2, 2, 1], [3, 0, 0]]
    assert trend["timeliness"].tolist()[0] == pytest.approx(0.5) and trend["completion"].tolist()[1] == 0
    assert reviews.queue_summary(df, today) == {"due": 1, "overdue": 1, "awaiting": 1, "done": 2}


def test_counts_in_the_store_equal_the_same_figures_over_the_rows():
    """The Reviews page counts in the workflow store (no rows loaded at 1M loans): the same answers as the
    hand-checked frame functions above, on the same reviews stored."""
    from data import workflow
    today = dt.date(2024, 7, 20)
    rows = [(1, "E1", "OF1", "done", dt.date(2024, 6, 10), dt.datetime(2024, 6, 9, 10, tzinfo=dt.timezone.utc)),
            (2, "E1", "OF1", "done", dt.date(2024, 6, 20), dt.datetime(2024, 6, 25, 10, tzinfo=dt.timezone.utc)),
            (3, "E1", "OF2", "overdue", dt.date(2024, 7, 5), None),
            (4, "W1", "OF3", "due", dt.date(2024, 7, 25), None),
            (5, None, None, "pending_approval", dt.date(2024, 7, 1), dt.datetime(2024, 6, 30, tzinfo=dt.timezone.utc)),
            (6, "W1", "OF3", "done", dt.date(2024, 6, 30), dt.datetime(2024, 6, 30, 23, 59, tzinfo=dt.timezone.utc))]
    with workflow.engine().begin() as c:
        c.execute(workflow.loan_reviews.insert(), [dict(
            review_id=i, loan_id=f"L{i}", kind="periodic", reason="policy:normal", due_date=due, status=status,
            reviewer=who, branch=branch, created_at=dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc),
            completed_at=done) for i, branch, who, status, due, done in rows])
    df = reviews.review_list()
    assert df.review_id.tolist() == [1, 2, 6, 5, 3, 4]                               # soonest due first
    assert reviews.review_list(limit=2).review_id.tolist() == [1, 2]
    for by in ("branch", "reviewer"):
        pd.testing.assert_frame_equal(reviews.status_by_store(by, today), reviews.status_by(df, by, today))
    pd.testing.assert_frame_equal(reviews.monthly_trend_store(today), reviews.monthly_trend(df, today))
    # June: 1 (on time), 2 (late), 6 (done on its due day: on time); July: 3, 4, 5
    assert reviews.monthly_trend_store(today)[["reviews", "done", "on_time"]].values.tolist() == [[3, 3, 2],
                                                                                                [3, 0, 0]]
    for status, branch in (((), None), (("due", "overdue"), None), ((), "E1")):
        assert reviews.review_summary(today, status, None, branch) == reviews.queue_summary(
            reviews.review_list(status, None, branch), today)
    assert reviews.review_summary(today) == {"due": 1, "overdue": 1, "awaiting": 1, "done": 3}
    assert reviews.review_facets() == {"branch": ["E1", "W1"], "reviewer": ["OF1", "OF2", "OF3"]}
