"""How numbers read on a page: counts with separators, money in a readable unit, rates in percent."""
from __future__ import annotations

_UNITS = ((1e9, "bn"), (1e6, "M"), (1e3, "k"))


def count(n: int) -> str:
    return f"{n:,}"


def money(amount: float, currency: str) -> str:
    """CNY 1.23 bn, CNY 45.67 M, CNY 950: a KPI card needs the scale, not every digit."""
    for size, unit in _UNITS:
        if abs(amount) >= size:
            return f"{currency} {amount / size:,.2f} {unit}".strip()
    return f"{currency} {amount:,.0f}".strip()


def pct(rate: float, digits: int = 2) -> str:
    """A share (0.0321) as a percentage (3.21%)."""
    return f"{rate * 100:.{digits}f}%"
