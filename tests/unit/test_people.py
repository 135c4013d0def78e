"""Who sees a borrower's personal data in clear: assignment rules, masking, lookups, and the audit of each view."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from data import importers, people, store, workflow

# B1 has two loans: L1 (officer OF1) and L2 (officer OF2, worked by collector AG7). B2 has L3 (officer OF2).
PEOPLE = pd.DataFrame({
    "borrower_id": ["B1", "B2"], "borrower_type": ["retail", "retail"], "name": ["张伟", "Li Na"],
    "national_id": ["310101199003071234", "11010119850512002X"],
    "phone": ["13812345678", "13998765432"],
    "address": ["上海市浦东新区世纪大道100号", "北京市朝阳区建国路1号"], "city": ["Shanghai", "Beijing"],
    "birth_year": [1990, 1985]})
LOANS = ("loan_id,borrower_id,product,officer,origination_date,principal\n"
         "L1,B1,consumer,OF1,2024-01-10,1000\nL2,B1,card,OF2,2024-01-12,0\nL3,B2,consumer,OF2,2024-01-15,2000\n")
PERF = ("loan_id,as_of,balance,dpd,bucket\nL1,2024-01-31,1000,0,current\nL1,2024-02-29,900,12,1-30\n"
        "L2,2024-01-31,300,0,current\nL3,2024-02-29,2000,0,current\n")
ACTIONS = ("action_id,loan_id,action_date,channel,agent,outcome\nA1,L2,2024-02-05,agent_call,AG7,contacted\n"
           "A2,L3,2024-02-06,sms,AG8,sent\n")


@pytest.fixture
def con(isolated_home, tmp_path):
    PEOPLE.to_csv(tmp_path / "people.csv", index=False)
    importers.import_file(tmp_path / "people.csv", "borrowers")
    for name, text, table in (("l.csv", LOANS, "loans"), ("p.csv", PERF, "performance"),
                              ("a.csv", ACTIONS, "collection_actions")):
        (tmp_path / name).write_text(text)
        importers.import_file(tmp_path / name, table)
    return store.reader().cursor()


def viewer(role: str, code: str | None = None, *more: str) -> people.Viewer:
    return people.Viewer(f"{role}-user", (role, *more), code)


CLEAR = {"name": "张伟", "national_id": "310101199003071234", "phone": "13812345678",
         "address": "上海市浦东新区世纪大道100号"}
MASKED = {"name": "张*", "national_id": "3101**********1234", "phone": "138****5678", "address": "上海市浦东新****"}


@pytest.mark.parametrize("who,key,revealed,assigned", [
    (viewer("credit_officer", "OF1"), "L1", True, ("L1",)),          # officer of the loan
    (viewer("credit_officer", "OF2"), "L1", True, ("L2",)),          # officer of another loan of the same borrower
    (viewer("credit_officer", "OF9"), "L1", False, ()),              # not theirs
    (viewer("credit_officer", None), "L1", False, ()),               # no staff code: never in clear
    (viewer("collector", "AG7"), "L2", True, ("L2",)),               # worked the loan
    (viewer("collector", "AG8"), "L1", False, ()),                   # worked another borrower's loan
    (viewer("collector", "OF1"), "L1", False, ()),                   # an officer code is no agent code
    (viewer("risk_manager", "OF1"), "L1", False, ()),                # masked roles stay masked
    (viewer("executive"), "B1", False, ()),
    (viewer("model_validator"), "B1", False, ()),
    (viewer("admin", "OF1"), "L1", False, ()),
    (viewer("risk_manager", "OF1", "credit_officer"), "L1", True, ("L1",)),   # any role that may reveal
])
def test_assignment_rules(con, who, key, revealed, assigned):
    view = people.borrower_view(con, key, who)
    assert view.borrower_id == "B1"
    assert (view.revealed, view.assigned_loans) == (revealed, assigned)
    assert view.personal == (CLEAR if revealed else MASKED)


def test_lookup_by_loan_borrower_and_national_id(con):
    exec_ = viewer("executive")
    by_loan = people.borrower_view(con, " L2 ", exec_)
    assert (by_loan.borrower_id, by_loan.matched_by, by_loan.loan_id) == ("B1", "loan", "L2")
    by_borrower = people.borrower_view(con, "B1", exec_)
    assert (by_borrower.matched_by, by_borrower.loan_id) == ("borrower", "L2")     # the latest loan by default
    assert list(by_borrower.loans["loan_id"]) == ["L1", "L2"]
    assert people.borrower_view(con, "11010119850512002x", exec_).borrower_id == "B2"   # x or X
    assert people.borrower_view(con, "310101199003071234", exec_).matched_by == "national_id"
    for nothing in ("", "L404", "' OR 1=1 --"):
        assert people.borrower_view(con, nothing, exec_) is None


def test_history_and_loans(con):
    view = people.borrower_view(con, "B1", viewer("executive"), loan_id="L1")
    assert view.loan_id == "L1"
    h = view.history
    assert [str(d)[:10] for d in h["as_of"]] == ["2024-01-31", "2024-02-29"]
    assert [float(b) for b in h["balance"]] == [1000.0, 900.0] and list(h["dpd"]) == [0, 12]
    loans = view.loans.set_index("loan_id")
    assert float(loans.at["L1", "balance"]) == 900.0 and loans.at["L1", "bucket"] == "1-30"
    assert people.borrower_view(con, "B1", viewer("executive"), loan_id="L3").loan_id == "L2"   # not B1's loan
    assert view.attributes["city"] == "Shanghai" and view.attributes["birth_year"] == 1990


def test_may_reveal_is_pure():
    assert people.may_reveal(viewer("collector", "AG1"), ("L1",))
    assert not people.may_reveal(viewer("collector", "AG1"), ())
    assert not people.may_reveal(viewer("executive", "AG1"), ("L1",))


def test_views_and_reveals_are_audited_without_personal_data(con):
    officer = viewer("credit_officer", "OF1")
    people.audit_view(people.borrower_view(con, "L1", officer), officer, origin="web:10.0.0.7")
    exec_ = viewer("executive")
    people.audit_view(people.borrower_view(con, "L3", exec_), exec_)
    with workflow.engine().connect() as c:
        rows = c.execute(sa.select(workflow.audit_log).where(
            workflow.audit_log.c.action.in_(["view_borrower", "pii_reveal"])).order_by(workflow.audit_log.c.seq)).all()
    got = [(r.action, r.actor, r.target, json.loads(r.details)) for r in rows]
    assert got == [
        ("view_borrower", "credit_officer-user", "L1",
         {"borrower_id": "B1", "loan_id": "L1", "matched_by": "loan", "revealed": True}),
        ("pii_reveal", "credit_officer-user", "L1",
         {"borrower_id": "B1", "loan_id": "L1", "fields": ["name", "national_id", "phone", "address"],
          "assigned_loans": ["L1"], "staff_code": "OF1"}),
        ("view_borrower", "executive-user", "L3",
         {"borrower_id": "B2", "loan_id": "L3", "matched_by": "loan", "revealed": False})]
    assert rows[0].origin == "web:10.0.0.7"
    text = " ".join(f"{r.target} {r.details}" for r in rows)
    for secret in list(CLEAR.values()) + ["13998765432", "Li Na"]:
        assert secret not in text
