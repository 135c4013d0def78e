"""Data contracts: the schema refuses wrong types, nulls and out-of-range values; contracts.py catches the rest."""
import duckdb
import pytest

from data import contracts, store


@pytest.mark.parametrize("sql,message", [
    ("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket) VALUES ('L1', DATE '2024-04-30', -5, 0, "
     "'current')", "CHECK constraint"),
    ("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket) VALUES ('L1', DATE '2024-04-30', 5, 0, "
     "'M1')", "CHECK constraint"),
    ("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket) VALUES ('L1', NULL, 5, 0, 'current')",
     "NOT NULL"),
    ("INSERT INTO loans (loan_id, borrower_id, product, origination_date, principal) VALUES "
     "('L1', 'B1', 'consumer', DATE '2024-01-01', 10)", "PRIMARY KEY|primary key|Duplicate key"),
    ("INSERT INTO loans (loan_id, borrower_id, product, origination_date, principal) VALUES "
     "('L9', 'B1', 'consumer', 'not a date', 10)", "Conversion Error|date"),
    ("INSERT INTO loans (loan_id, borrower_id, product, origination_date, principal, annual_rate) VALUES "
     "('L9', 'B1', 'consumer', DATE '2024-01-01', 10, 8.5)", "CHECK constraint"),   # rates are fractions
])
def test_schema_refuses_and_nothing_is_published(tiny_store, sql, message):
    published = store.current_path()
    with pytest.raises(duckdb.Error, match=message):
        with store.new_generation() as con:
            con.execute(sql)
    assert store.current_path() == published


def test_row_after_terminal_state_and_before_origination_are_violations(tiny_store):
    with pytest.raises(store.ContractError) as info:
        with store.new_generation() as con:
            con.execute("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket) VALUES "
                        "('L3', DATE '2024-04-30', 0, 0, 'current'), ('L1', DATE '2023-05-31', 10, 0, 'current')")
    found = {v.contract for v in info.value.violations}
    assert found == {"no row after a terminal state", "performance not before origination month"}


def test_every_table_has_a_key_contract():
    con = duckdb.connect()
    store.create_schema(con)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert tables == set(contracts.KEYS)
