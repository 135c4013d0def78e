"""Global portfolio filters (product, region, branch) as bound SQL parameters.

Every query over loans takes the same three list parameters and the same predicate, so a page, the CLI and the
API filter identically. An empty list means "all". Use `PREDICATE` on the loans alias `l`:
    ... JOIN loans l USING (loan_id) WHERE ... AND {PREDICATE}
(the .sql files spell it out literally; `tests/unit/test_filters.py` checks they match).
"""
from __future__ import annotations

from dataclasses import dataclass, field

PREDICATE = ("(len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], l.product))"
             " AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], l.region))"
             " AND (len($branches::VARCHAR[]) = 0 OR list_contains($branches::VARCHAR[], l.branch))")


@dataclass(frozen=True)
class Filters:
    products: tuple[str, ...] = field(default_factory=tuple)
    regions: tuple[str, ...] = field(default_factory=tuple)
    branches: tuple[str, ...] = field(default_factory=tuple)

    def params(self) -> dict[str, list[str]]:
        return {"products": list(self.products), "regions": list(self.regions), "branches": list(self.branches)}

    @property
    def active(self) -> bool:
        return bool(self.products or self.regions or self.branches)


ALL = Filters()


def params(f: Filters | None) -> dict[str, list[str]]:
    return (f or ALL).params()
