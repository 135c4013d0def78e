"""Column buffers for the demo generator: arrays appended month by month, concatenated once per chunk."""
from __future__ import annotations

import numpy as np


class Rows:
    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {}

    def add(self, **cols) -> None:
        for name, values in cols.items():
            self.cols.setdefault(name, []).append(np.asarray(values))

    def concat(self) -> dict[str, np.ndarray]:
        return {name: np.concatenate(parts) for name, parts in self.cols.items()}

    def __len__(self) -> int:
        first = next(iter(self.cols.values()), [])
        return int(sum(len(p) for p in first))
