"""Global filters: every .sql query over loans spells the shared predicate, and filtering changes the figures."""
from pathlib import Path

import pytest

from analytics import delinquency, portfolio
from analytics.filters import PREDICATE, Filters

ANALYTICS = Path(__file__).resolve().parents[2] / "analytics"


def _normal(text: str) -> str:
    return " ".join(text.split())


def test_sql_files_use_the_shared_predicate():
    for sql in ANALYTICS.glob("*.sql"):
        text = _normal(sql.read_text())
        if "$products" in text:
            assert text.count("$products::VARCHAR[]") == 2 * text.count(_normal(PREDICATE)), sql.name


def test_product_filter_on_the_tiny_book(tiny_store):
    cards = Filters(products=("card",))                 # only L5 is a card: charged off in February
    s = portfolio.book_summary(tiny_store, "2024-01", cards)
    assert (s["open_loans"], s["outstanding_balance"]) == (1, pytest.approx(1500))
    rest = portfolio.book_summary(tiny_store, "2024-01", Filters(products=("consumer",)))
    assert rest["outstanding_balance"] == pytest.approx(1000 + 2000 + 500 + 3000 + 700)
    df = delinquency.roll_rates_long(tiny_store, filters=cards)
    assert df[["from_bucket", "to_bucket", "loans"]].values.tolist() == [["151-180", "charged_off", 1]]
    assert delinquency.bucket_distribution(tiny_store, "2024-03", Filters(branches=("nowhere",))).loans.sum() == 0
