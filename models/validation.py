"""The validation report of a trained model: discrimination, calibration and stability, as a JSON-ready dict."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from models import metrics, registry
from models.scale import grade_names, grade_of


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
            for row in df.to_dict(orient="records")]


def discrimination(y, p) -> dict:
    """rows, bads, bad_rate, mean_pd, auc, gini, ks, brier of one sample."""
    y = np.asarray(y, dtype=float)
    return {"rows": int(len(y)), "bads": int(y.sum()), "bad_rate": float(y.mean()) if len(y) else None,
            "mean_pd": float(np.mean(p)) if len(y) else None, "auc": metrics.auc(y, p),
            "gini": metrics.gini(y, p), "ks": metrics.ks(y, p), "brier": metrics.brier(y, p)}


def calibration(y, p) -> dict:
    """ECE, Hosmer-Lemeshow, the calibration bands and the binomial test per master-scale grade."""
    stat, pv = metrics.hosmer_lemeshow(y, p)
    return {"ece": metrics.ece(y, p), "hosmer_lemeshow": {"statistic": stat, "p_value": pv, "groups": 10},
            "bands": _records(metrics.calibration_table(y, p)),
            "grades": _records(metrics.binomial_tests(y, p, grade_of(p)))}


def by_month(months, y, p) -> list[dict]:
    """The out-of-time figures of each observation month on its own."""
    df = pd.DataFrame({"m": months, "y": y, "p": p})
    return [{"obs_month": str(m)[:7], **discrimination(g["y"], g["p"])} for m, g in df.groupby("m", sort=True)]


def build_report(y_oot, p_oot, oot_months, p_dev, x_dev: pd.DataFrame, x_oot: pd.DataFrame,
                 features, categorical) -> dict:
    """The out-of-time report: headline auc, gini, ks, brier and psi (score stability against the development
    sample) at the top level, then deciles, calibration, per-month figures, the PSI bands and each feature's
    CSI between the development rows x_dev and the out-of-time rows x_oot (samples of them on a large book)."""
    oot = discrimination(y_oot, p_oot)
    psi_bands = metrics.psi_table(p_dev, p_oot)
    csi = metrics.csi(x_dev, x_oot, features, categorical)
    return {
        **{k: oot[k] for k in ("auc", "gini", "ks", "brier")},
        "psi": float(psi_bands["psi"].sum()),
        "oot": oot | calibration(y_oot, p_oot) | {"deciles": _records(metrics.decile_table(y_oot, p_oot))},
        "oot_by_month": by_month(oot_months, y_oot, p_oot),
        "psi_bands": _records(psi_bands),
        "csi": _records(csi),
        "roc": _records(metrics.roc_points(y_oot, p_oot, 101)),
    }


@dataclass(frozen=True)
class Evaluation:
    """Every validation figure of one sample of outcomes and PDs, ready for a page, a chart or a model card."""
    rows: int
    bads: int
    bad_rate: float
    mean_pd: float
    auc: float
    gini: float
    ks: float
    brier: float
    ece: float
    hl_statistic: float
    hl_p_value: float
    roc: pd.DataFrame               # fpr, tpr, threshold
    ks_curve: pd.DataFrame          # share, bads_share, goods_share, gap, threshold
    deciles: pd.DataFrame           # metrics.decile_table
    grades: pd.DataFrame            # metrics.grade_table (master-scale grades)
    calibration: pd.DataFrame       # band, loans, mean_pd, bad_rate


def evaluate(y, p) -> Evaluation:
    """The full validation of a sample: discrimination, deciles, grades, calibration."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    d = discrimination(y, p)
    stat, pv = metrics.hosmer_lemeshow(y, p)
    grades = metrics.grade_table(y, p, grade_of(p))
    order = {g: i for i, g in enumerate(grade_names())}
    grades = grades.sort_values("grade", key=lambda s: s.map(order), ignore_index=True)
    return Evaluation(d["rows"], d["bads"], d["bad_rate"], d["mean_pd"], d["auc"], d["gini"], d["ks"], d["brier"],
                      metrics.ece(y, p), stat, pv, metrics.roc_points(y, p), metrics.ks_curve(y, p),
                      metrics.decile_table(y, p), grades, metrics.calibration_table(y, p))


def version_evaluation(target: str, version: str, home: Path | None = None) -> Evaluation:
    """evaluate() of a registered version's out-of-time predictions (computed once per process and version)."""
    path = registry.version_dir(target, version, home)
    return _version_evaluation(str(path), (path / "predictions.parquet").stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _version_evaluation(path: str, _mtime: int) -> Evaluation:
    pred = pd.read_parquet(Path(path) / "predictions.parquet")
    return evaluate(pred["bad"].to_numpy(), pred["pd"].to_numpy())
