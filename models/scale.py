"""The master scale: PD to risk grade G1 (lowest PD) .. Gn, with edges from the settings (pd_grade_edges)."""
from __future__ import annotations

import numpy as np

import config


def grade_edges() -> np.ndarray:
    """Upper PD edge of each grade but the last, as shares (setting pd_grade_edges is in basis points)."""
    return np.asarray(config.setting("pd_grade_edges"), dtype=float) / 10_000


def grade_names() -> list[str]:
    return [f"G{i + 1}" for i in range(len(grade_edges()) + 1)]


def grade_of(pd_) -> np.ndarray:
    """The grade of each PD: G1 up to and including the first edge, then one grade per band."""
    idx = np.searchsorted(grade_edges(), np.asarray(pd_, dtype=float), side="left")
    return np.asarray(grade_names(), dtype=object)[idx]


def scale_table() -> list[dict]:
    """grade, pd_from, pd_to for each grade (pd_to None for the last), for a model card or a page."""
    e = [0.0, *grade_edges().tolist()]
    return [{"grade": g, "pd_from": e[i], "pd_to": e[i + 1] if i + 1 < len(e) else None}
            for i, g in enumerate(grade_names())]
