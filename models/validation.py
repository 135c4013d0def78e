"""The validation report of a trained model: discrimination, calibration and stability, as a JSON-ready dict."""
from __future__ import annotations

import numpy as np
import pandas as pd

from models import metrics
from models.scale import grade_of


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
