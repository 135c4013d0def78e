"""Shared fixtures: every test runs in its own LOANWATCH_HOME with a fixed test key; a hand-checked tiny book."""
from __future__ import annotations

import base64
from pathlib import Path

import pytest

TEST_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
REPO = Path(__file__).resolve().parents[1]
REAL_DATA = REPO.parent / "shared" / "data" / "real"


def reset_caches() -> None:
    from data import store, workflow
    for r in store._readers.values():
        r.close()
    store._readers.clear()
    workflow.engine.cache_clear()


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """A fresh workspace per test; never the developer's ./var."""
    home = tmp_path / "home"
    monkeypatch.setenv("LOANWATCH_HOME", str(home))
    monkeypatch.setenv("LOANWATCH_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("LOANWATCH_SECRETS_FILE", str(tmp_path / "secrets.toml"))
    monkeypatch.delenv("LOANWATCH_WORKFLOW_URL", raising=False)
    reset_caches()
    yield home
    reset_caches()


# The tiny book, hand-checked (balances in yuan, month-ends Jan-Mar 2024):
#   L1 current 1000 -> current 900 -> current 800
#   L2 current 2000 -> 1-30 (15) 2000 -> 31-60 (45) 2000
#   L3 1-30 (20) 500 -> current 450 -> paid_off 0
#   L4 31-60 (50) 3000 -> 61-90 (80) 3000 -> 1-30 (10) 2900
#   L5 151-180 (170) 1500 -> charged_off 1500 (no March row)
#   L6 current 700 -> (not observed in February) -> current 600
TINY_PERFORMANCE = [
    ("L1", "2024-01-31", 1000, 0, "current"), ("L1", "2024-02-29", 900, 0, "current"),
    ("L1", "2024-03-31", 800, 0, "current"),
    ("L2", "2024-01-31", 2000, 0, "current"), ("L2", "2024-02-29", 2000, 15, "1-30"),
    ("L2", "2024-03-31", 2000, 45, "31-60"),
    ("L3", "2024-01-31", 500, 20, "1-30"), ("L3", "2024-02-29", 450, 0, "current"),
    ("L3", "2024-03-31", 0, 0, "paid_off"),
    ("L4", "2024-01-31", 3000, 50, "31-60"), ("L4", "2024-02-29", 3000, 80, "61-90"),
    ("L4", "2024-03-31", 2900, 10, "1-30"),
    ("L5", "2024-01-31", 1500, 170, "151-180"), ("L5", "2024-02-29", 1500, 0, "charged_off"),
    ("L6", "2024-01-31", 700, 0, "current"), ("L6", "2024-03-31", 600, 0, "current"),
]


def build_tiny_book(con) -> None:
    for i in range(1, 7):
        con.execute("INSERT INTO borrowers (borrower_id, borrower_type, source) VALUES (?, 'retail', 'test')",
                    [f"B{i}"])
        con.execute("INSERT INTO loans (loan_id, borrower_id, product, origination_date, principal, currency, "
                    "source) VALUES (?, ?, ?, DATE '2023-06-15', 5000, 'CNY', 'test')",
                    [f"L{i}", f"B{i}", "card" if i == 5 else "consumer"])
    con.executemany("INSERT INTO performance (loan_id, as_of, balance, dpd, bucket) VALUES (?, ?, ?, ?, ?)",
                    TINY_PERFORMANCE)


@pytest.fixture
def tiny_store(isolated_home):
    """The tiny book published as the current generation; yields a read cursor."""
    from data import store
    with store.new_generation() as con:
        build_tiny_book(con)
    yield store.reader().cursor()
