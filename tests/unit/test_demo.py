"""The demo generator: a small book (3,000 loans, 24 months) checked for contracts, realism and privacy."""
from __future__ import annotations

import base64
from pathlib import Path

import bcrypt
import duckdb
import numpy as np
import pytest
import sqlalchemy as sa

from data import contracts, pii, store, workflow
from data.demo import build_demo, roll_rates, upsert_demo_users

LOANS, MONTHS, SEED = 3000, 24, 11
KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
CHECKSUM = """SELECT count(*), sum(hash(loan_id, as_of, balance, dpd, bucket, amount_paid, restructured))
              FROM performance"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The book, built once for the module (each test still gets its own home from tests/conftest.py)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LOANWATCH_HOME", str(home))
        mp.setenv("LOANWATCH_SECRET_KEY", KEY)
        mp.setenv("LOANWATCH_SECRETS_FILE", str(home / "secrets.toml"))
        mp.delenv("LOANWATCH_WORKFLOW_URL", raising=False)
        messages: list[str] = []
        summary = build_demo(LOANS, months=MONTHS, seed=SEED, end_month="2026-06", progress=messages.append)
        con = duckdb.connect(str(store.current_path(home)), read_only=True)
        yield {"home": home, "summary": summary, "con": con, "messages": messages, "mp": mp}
        con.close()


@pytest.fixture
def con(built):
    return built["con"]


def rows(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchall()


def one(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchone()[0]


# ---------------------------------------------------------------- shape and contracts
def test_contracts_pass_and_summary(built, con):
    assert contracts.violations(con) == []
    s = built["summary"]
    assert s["loans"] == LOANS == one(con, "SELECT count(*) FROM loans")
    assert s["borrowers"] == one(con, "SELECT count(*) FROM borrowers")
    assert s["first_month_end"] == "2024-07-31" and s["last_month_end"] == "2026-06-30"
    assert s["rows"]["macro"] == MONTHS
    assert s["rows"]["performance"] == one(con, "SELECT count(*) FROM performance")
    assert s["charge_offs"] == one(con, "SELECT count(*) FROM performance WHERE bucket = 'charged_off'") > 0
    assert len(built["messages"]) >= 5 and any("chunk" in m for m in built["messages"])


def test_deterministic_same_seed_same_book(built, con, tmp_path):
    again = build_demo(LOANS, months=MONTHS, seed=SEED, end_month="2026-06", home=tmp_path)
    other = duckdb.connect(str(store.current_path(tmp_path)), read_only=True)
    try:
        assert rows(other, CHECKSUM) == rows(con, CHECKSUM)
        for table, cols in (("payments", "payment_id, loan_id, payment_date, amount"),
                            ("schedules", "loan_id, instalment_no, due_date, principal_due, interest_due"),
                            ("bureau", "borrower_id, as_of, score, inquiries_30d"),
                            ("collection_actions", "action_id, action_date, outcome, promise_amount")):
            sql = f"SELECT count(*), sum(hash({cols})) FROM {table}"
            assert rows(other, sql) == rows(con, sql), table
        assert again["rows"] == built["summary"]["rows"]
    finally:
        other.close()


def test_multi_product_book(con):
    got = dict(rows(con, "SELECT product, count(*) FROM loans GROUP BY 1"))
    assert set(got) == {"consumer", "card", "sme", "mortgage"}
    assert all(n > 100 for n in got.values())
    assert rows(con, "SELECT DISTINCT product_type FROM loans WHERE product = 'card'") == [("revolving",)]
    assert one(con, "SELECT count(*) FROM loans WHERE product = 'card' AND (credit_limit IS NULL "
                    "OR credit_limit NOT BETWEEN 5000 AND 100000)") == 0
    limits = {p: (lo, hi) for p, lo, hi in rows(con, "SELECT product, min(principal), max(principal) FROM loans "
                                                     "WHERE product <> 'card' GROUP BY 1")}
    assert 5_000 <= limits["consumer"][0] and limits["consumer"][1] <= 200_000
    assert 100_000 <= limits["sme"][0] and limits["sme"][1] <= 5_000_000
    assert 300_000 <= limits["mortgage"][0] and limits["mortgage"][1] <= 5_000_000
    rates = dict(rows(con, "SELECT product, avg(annual_rate) FROM loans GROUP BY 1"))
    assert rates["mortgage"] < rates["sme"] < rates["consumer"] < rates["card"]
    assert one(con, "SELECT count(*) FROM (SELECT borrower_id FROM loans GROUP BY 1 HAVING count(*) > 1)") > 50
    assert one(con, "SELECT count(*) FROM loans JOIN borrowers USING (borrower_id) "
                    "WHERE borrower_type = 'business' AND product = 'sme'") > 50
    locales = dict(rows(con, "SELECT locale, count(*) FROM borrowers GROUP BY 1"))
    assert locales["zh_CN"] > 5 * locales["en_US"] > 0
    assert one(con, "SELECT count(DISTINCT region) FROM loans") >= 5
    assert one(con, "SELECT count(DISTINCT branch) FROM loans") >= 20
    assert one(con, "SELECT count(DISTINCT officer) FROM loans") >= 100
    seasoned = one(con, "SELECT count(*) FROM loans WHERE origination_date < DATE '2024-07-01'")
    assert 0.4 * LOANS < seasoned < 0.7 * LOANS
    assert one(con, "SELECT count(DISTINCT date_trunc('month', origination_date)) FROM loans "
                    "WHERE origination_date >= DATE '2024-07-01'") == MONTHS
    macro = [r[0] for r in rows(con, "SELECT macro_index FROM macro ORDER BY as_of")]
    assert 90 < min(macro) < 99 and 101 < max(macro) < 110


def test_first_row_at_window_start_or_origination(con):
    bad = one(con, """SELECT count(*) FROM (SELECT loan_id, min(as_of) AS first FROM performance GROUP BY 1)
                      JOIN loans USING (loan_id)
                      WHERE first <> greatest(last_day(origination_date), DATE '2024-07-31')""")
    assert bad == 0


# ---------------------------------------------------------------- delinquency behaves like a real book
def test_realistic_roll_and_cure_rates(con):
    r = roll_rates(con)
    assert 0.01 <= r["current->1-30"] <= 0.05
    assert r["cure"] > 0.1
    assert r["1-30->31-60"] < r["31-60->61-90"] < r["91-120->121-150"] <= r["151-180->180+"]
    assert 0.15 < r["1-30->31-60"] < 0.6


def test_charge_off_only_after_180_dpd_and_never_for_mortgages(con):
    by_product = dict(rows(con, "SELECT product, count(*) FROM performance JOIN loans USING (loan_id) "
                                "WHERE bucket = 'charged_off' GROUP BY 1"))
    assert "mortgage" not in by_product and sum(by_product.values()) > 20
    assert one(con, "SELECT min(dpd) FROM performance WHERE bucket = 'charged_off'") > 180
    before = dict(rows(con, """SELECT b.bucket, count(*) FROM performance a JOIN performance b
                               ON a.loan_id = b.loan_id AND b.as_of = last_day(a.as_of - INTERVAL 1 MONTH)
                               WHERE a.bucket = 'charged_off' GROUP BY 1"""))
    assert set(before) == {"151-180"}
    assert one(con, "SELECT count(*) FROM performance JOIN loans USING (loan_id) "
                    "WHERE bucket = '180+' AND product <> 'mortgage'") == 0
    co = rows(con, """SELECT p.loan_id, p.balance, d.amount FROM performance p JOIN dispositions d
                      ON d.loan_id = p.loan_id AND d.kind = 'charge_off' WHERE p.bucket = 'charged_off'""")
    assert len(co) == sum(by_product.values()) and all(b == a for _, b, a in co)


def test_dpd_matches_schedule_and_payments(con):
    """Instalment loans: DPD = as-of minus the due date of the oldest instalment the payments so far do not cover."""
    mismatched = one(con, """
        WITH s AS (SELECT loan_id, due_date,
                          sum(principal_due + interest_due + fee_due) OVER (PARTITION BY loan_id
                                                                           ORDER BY instalment_no) AS cum
                   FROM schedules),
        loans_checked AS (SELECT loan_id FROM loans WHERE product_type = 'instalment'
                          AND loan_id NOT IN (SELECT loan_id FROM dispositions WHERE kind = 'restructure')),
        paid AS (SELECT p.loan_id, p.as_of, p.dpd, coalesce(sum(y.amount), 0) AS paid
                 FROM performance p JOIN loans_checked USING (loan_id)
                 LEFT JOIN payments y ON y.loan_id = p.loan_id AND y.payment_date <= p.as_of
                 WHERE p.bucket NOT IN ('charged_off', 'paid_off') GROUP BY ALL),
        oldest AS (SELECT paid.loan_id, paid.as_of, any_value(paid.dpd) AS dpd, min(s.due_date) AS due
                   FROM paid LEFT JOIN s ON s.loan_id = paid.loan_id AND s.cum > paid.paid GROUP BY ALL)
        SELECT count(*) FROM oldest
        WHERE dpd <> CASE WHEN due <= as_of THEN as_of - due ELSE 0 END""")
    assert mismatched == 0


def test_card_dpd_matches_statements_and_payments(con):
    """Cards: payments clear statement minimums oldest first (the rest reduces the balance)."""
    cards = [r[0] for r in rows(con, """SELECT loan_id FROM performance JOIN loans USING (loan_id)
                                        WHERE product = 'card' GROUP BY 1 HAVING max(dpd) > 0 ORDER BY 1 LIMIT 60""")]
    assert len(cards) == 60
    for loan in cards:
        stmts = rows(con, "SELECT due_date, principal_due + interest_due FROM schedules WHERE loan_id = ? "
                          "ORDER BY due_date", loan)
        pays = rows(con, "SELECT payment_date, amount FROM payments WHERE loan_id = ? ORDER BY payment_date", loan)
        perf = rows(con, "SELECT as_of, dpd FROM performance WHERE loan_id = ? AND bucket NOT IN "
                         "('charged_off', 'paid_off') ORDER BY as_of", loan)
        open_, si, pi = [], 0, 0
        for as_of, dpd in perf:
            while pi < len(pays) and pays[pi][0] <= as_of:
                while si < len(stmts) and stmts[si][0].replace(day=1) <= pays[pi][0]:
                    open_.append([stmts[si][0], stmts[si][1]])
                    si += 1
                left = pays[pi][1]
                for s in open_:
                    take = min(left, s[1])
                    s[1] -= take
                    left -= take
                open_ = [s for s in open_ if s[1] > 0]
                pi += 1
            while si < len(stmts) and stmts[si][0] <= as_of:
                open_.append([stmts[si][0], stmts[si][1]])
                si += 1
            expected = (as_of - open_[0][0]).days if open_ and open_[0][0] <= as_of else 0
            assert dpd == expected, (loan, as_of)


def test_seasonality_and_vintages(con):
    by_month = dict(rows(con, """
        WITH p AS (SELECT loan_id, year(as_of) * 12 + month(as_of) AS m, month(as_of) AS cm, bucket
                   FROM performance)
        SELECT b.cm IN (2, 3, 4), avg(CASE WHEN b.bucket = '1-30' THEN 1 ELSE 0 END)
        FROM p a JOIN p b ON a.loan_id = b.loan_id AND b.m = a.m + 1 WHERE a.bucket = 'current' GROUP BY 1"""))
    assert by_month[True] > by_month[False] * 1.1
    ever30 = [r[1] for r in rows(con, """
        SELECT date_trunc('quarter', origination_date) AS q,
               avg(CASE WHEN EXISTS (SELECT 1 FROM performance p WHERE p.loan_id = l.loan_id AND p.dpd > 30
                    AND p.as_of <= last_day(l.origination_date + INTERVAL 9 MONTH)) THEN 1 ELSE 0 END)
        FROM loans l WHERE origination_date BETWEEN DATE '2024-07-01' AND DATE '2025-06-30'
        GROUP BY 1 ORDER BY 1""")]
    assert max(ever30) > 1.5 * min(ever30)


def test_bureau_and_account_data_lead_first_delinquency(con):
    lead = rows(con, """
        WITH first_d AS (SELECT loan_id, min(as_of) AS fd FROM performance WHERE dpd > 0 GROUP BY 1),
        late AS (SELECT l.borrower_id, f.fd FROM loans l JOIN first_d f USING (loan_id)
                 WHERE f.fd >= DATE '2024-11-30'),
        never AS (SELECT borrower_id FROM loans WHERE loan_id NOT IN (SELECT loan_id FROM first_d))
        SELECT 'before', avg(score), avg(inquiries_30d), avg(utilisation), avg((salary_deposit = 0)::INTEGER)
        FROM late, range(1, 4) r(k)
        JOIN bureau b ON b.borrower_id = late.borrower_id AND b.as_of = last_day(late.fd - to_months(k::INTEGER))
        JOIN alt_signals a ON a.borrower_id = b.borrower_id AND a.as_of = b.as_of
        UNION ALL
        SELECT 'never', avg(score), avg(inquiries_30d), avg(utilisation), avg((salary_deposit = 0)::INTEGER)
        FROM never JOIN bureau b USING (borrower_id) JOIN alt_signals a USING (borrower_id, as_of)
        ORDER BY 1""")
    (_, s_before, q_before, u_before, nosal_before), (_, s_never, q_never, u_never, nosal_never) = lead
    assert s_before < s_never - 25
    assert q_before > 2 * q_never
    assert u_before > u_never + 0.05
    assert nosal_before > nosal_never


# ---------------------------------------------------------------- collections, reviews, dispositions
def test_promises_to_pay_kept_and_broken_consistent_with_payments(con):
    kept, broken = rows(con, """
        WITH ptp AS (SELECT a.action_id, a.promise_amount,
                            (SELECT coalesce(sum(amount), 0) FROM payments y WHERE y.loan_id = a.loan_id
                             AND y.payment_date BETWEEN a.action_date AND a.promise_date) AS paid
                     FROM collection_actions a WHERE outcome = 'promise_to_pay')
        SELECT count(*) FILTER (WHERE paid >= promise_amount), count(*) FILTER (WHERE paid < promise_amount)
        FROM ptp""")[0]
    assert kept > 20 and broken > 20
    assert 0.3 < kept / (kept + broken) < 0.85
    assert one(con, "SELECT count(*) FROM collection_actions WHERE outcome = 'promise_to_pay' "
                    "AND (promise_date < action_date OR promise_amount <= 0)") == 0
    channels = {r[0] for r in rows(con, "SELECT DISTINCT channel FROM collection_actions")}
    assert {"sms", "robo_call", "agent_call", "field_visit", "agency"} <= channels


def test_reviews_first_periodic_and_ad_hoc(con):
    kinds = dict(rows(con, "SELECT review_type, count(*) FROM reviews GROUP BY 1"))
    assert set(kinds) == {"first", "periodic", "ad_hoc"}
    lo, hi = rows(con, """SELECT min(review_date - origination_date), max(review_date - origination_date)
                          FROM reviews JOIN loans USING (loan_id) WHERE review_type = 'first'""")[0]
    assert 30 <= lo and hi <= 60
    assert one(con, "SELECT count(*) FROM reviews r JOIN loans USING (loan_id) WHERE review_type = 'ad_hoc' "
                    "AND NOT EXISTS (SELECT 1 FROM performance p WHERE p.loan_id = r.loan_id AND p.dpd > 30)") == 0


def test_restructured_flag_from_restructure_on(con):
    n, wrong = rows(con, """
        SELECT count(DISTINCT d.loan_id),
               count(*) FILTER (WHERE p.restructured <> (p.as_of >= last_day(d.disposition_date)))
        FROM dispositions d JOIN performance p USING (loan_id) WHERE d.kind = 'restructure'""")[0]
    assert n > 5 and wrong == 0
    assert one(con, "SELECT count(*) FROM performance WHERE restructured AND loan_id NOT IN "
                    "(SELECT loan_id FROM dispositions WHERE kind = 'restructure')") == 0


def test_dispositions_after_charge_off(con):
    kinds = dict(rows(con, "SELECT kind, count(*) FROM dispositions GROUP BY 1"))
    assert {"charge_off", "write_off", "recovery", "sale", "restructure"} <= set(kinds)
    early = one(con, """SELECT count(*) FROM dispositions d JOIN dispositions c
                        ON c.loan_id = d.loan_id AND c.kind = 'charge_off'
                        WHERE d.kind IN ('write_off', 'recovery', 'sale', 'settlement')
                        AND d.disposition_date <= c.disposition_date""")
    assert early == 0
    assert one(con, """SELECT count(*) FROM (SELECT loan_id, sum(amount) FILTER (WHERE kind IN ('recovery',
                       'settlement', 'sale')) AS back, sum(amount) FILTER (WHERE kind = 'charge_off') AS lost
                       FROM dispositions GROUP BY 1) WHERE back > lost""") == 0


# ---------------------------------------------------------------- privacy and users
def test_personal_data_encrypted_and_valid(built, con):
    tokens = rows(con, "SELECT name_enc, national_id_enc, phone_enc, address_enc, borrower_type "
                       "FROM borrowers ORDER BY borrower_id LIMIT 200")
    assert all(t.startswith("v1:") for r in tokens for t in r[:4])
    names = pii.decrypt_many([r[0] for r in tokens])
    ids = pii.decrypt_many([r[1] for r in tokens])
    phones = pii.decrypt_many([r[2] for r in tokens])
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    for national_id, kind in zip(ids, (r[4] for r in tokens)):
        assert len(national_id) == 18
        if kind == "retail":
            assert national_id[:17].isdigit()
            assert national_id[17] == "10X98765432"[sum(int(c) * w for c, w in zip(national_id, weights)) % 11]
    assert all(len(p) == 11 and p.isdigit() and p[0] == "1" for p in phones)
    raw = Path(store.current_path(built["home"])).read_bytes()
    for value in ids[:40] + phones[:40] + [n for n in names[:40] if len(n) >= 3]:
        assert value.encode() not in raw, "plain personal data in the published file"
    assert pii.blind_index_many(ids[:1])[0] == one(con, "SELECT national_id_hash FROM borrowers "
                                                        "ORDER BY borrower_id LIMIT 1")


def test_demo_users_and_history(built):
    eng = workflow.engine(f"sqlite:///{built['home'] / 'workflow.sqlite'}")   # tests/conftest.py moves the home
    upsert_demo_users(eng)                                  # re-running must not fail
    with eng.connect() as c:
        users = {r.username: r for r in c.execute(sa.select(workflow.users))}
        imports = [r for r in c.execute(sa.select(workflow.imports)) if r.kind == "demo"]
        audits = [r for r in c.execute(sa.select(workflow.audit_log)) if r.action == "demo_build"]
    expected = {"admin": "admin", "risk": "risk_manager", "exec": "executive", "validator": "model_validator",
                "officer": "credit_officer", "collector": "collector"}
    assert {u: users[u].roles for u in expected} == expected
    for name in expected:
        assert bcrypt.checkpw(f"{name}-demo".encode(), users[name].password_hash.encode())
    assert users["officer"].branch and users["collector"].branch
    assert users["admin"].branch is None
    assert imports and imports[0].status == "published" and imports[0].rows_written > 0
    assert audits and workflow.verify_audit(eng)[0]
    assert np.isclose(sum(built["summary"]["rows"].values()), imports[0].rows_written)
