"""The signal-quality backtest kept per generation (signals/quality_cache.py): stored once, read back as computed."""
import pytest

from signals import quality_cache
from tests.unit.test_signals import EwBook, memory_con


def test_backtest_is_kept_per_generation_and_read_back():
    # the book of test_signals.test_signal_quality_hand_checked: dpd_rising 1 hit, 1 bad, lift 1 / (2 / 9) = 4.5
    b = EwBook()
    b.loan("A", dpd=(0, 5, 36, 70))
    b.loan("B", dpd=(0, 0, 10, 0))
    b.loan("C", dpd=(0, 0, 0, 0), terminal="charged_off")
    b.loan("D", dpd=(90, 120, 150, 170))
    assert quality_cache.stored("gen-1.duckdb", horizon=1) is None
    df, at = quality_cache.compute(memory_con(b), "gen-1.duckdb", horizon=1)
    row = df.set_index("signal").loc["dpd_rising"]
    assert (row["hits"], row["bad_hits"], row["population"], row["bad"]) == (1, 1, 9, 2)
    assert row["lift"] == pytest.approx(4.5)
    again, when = quality_cache.stored("gen-1.duckdb", horizon=1)
    assert when == at and again.equals(df)
    assert quality_cache.stored("gen-2.duckdb", horizon=1) is None          # another generation: not computed
