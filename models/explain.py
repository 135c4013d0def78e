"""SHAP explanations: per-loan contributions on demand, global importance from the stored sample, reason codes.

Contributions come from LightGBM's own TreeSHAP (`predict(pred_contrib=True)`, what shap.TreeExplainer calls
for LightGBM, identical values): per row one value per feature plus the base value, adding up to the model's
raw score (log-odds of the PD). Reason codes sum the contributions of the features behind each code
(models/catalog.py) and keep the largest positive ones: what pushed this loan's risk up the most.
One loan's features come from the rows batch scoring kept for its month-end (models/features_scored.py) when
there is one, else they are built on demand; both give the same row, so the same explanation.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analytics.sql import month_end
from data.errors import DataError
from models import catalog, features_scored, registry
from models.features import build_features, matrix

N_REASONS = 3


def contributions(model: registry.Model, x: pd.DataFrame) -> np.ndarray:
    """SHAP values, shape (rows, features + 1); the last column is the base value. Rows sum to the raw score."""
    return np.asarray(model.booster.predict(x, pred_contrib=True))


@lru_cache(maxsize=16)
def _reason_matrix(features: tuple[str, ...]) -> tuple[list[str], np.ndarray]:
    """The reason codes behind `features` and the 0/1 matrix (features x codes) that sums contributions by code
    (kept per feature list: one loan's explanation would otherwise spend milliseconds rebuilding it)."""
    codes = list(dict.fromkeys(catalog.BY_NAME[f].reason for f in features))
    m = np.zeros((len(features), len(codes)))
    for i, f in enumerate(features):
        m[i, codes.index(catalog.BY_NAME[f].reason)] = 1.0
    return codes, m


def reason_codes(contrib: np.ndarray, features, k: int = N_REASONS) -> list[list[str]]:
    """Per row, up to k reason codes with the largest positive summed contribution, largest first."""
    codes, m = _reason_matrix(tuple(features))
    by_code = contrib[:, : len(features)] @ m
    order = np.argsort(-by_code, axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(by_code, order, axis=1)
    names = np.asarray(codes, dtype=object)[order]
    return [[c for c, v in zip(row, vals) if v > 0] for row, vals in zip(names, top)]


def reason_sums(contrib_row: np.ndarray, features) -> pd.DataFrame:
    """code, en, zh, contribution for one row: every reason code's summed SHAP value, largest first."""
    codes, m = _reason_matrix(tuple(features))
    sums = contrib_row[: len(features)] @ m
    en, zh = _texts(tuple(codes), catalog.reason_text)
    df = pd.DataFrame({"code": codes, "contribution": sums, "en": en, "zh": zh})
    return df.sort_values("contribution", ascending=False, ignore_index=True)[["code", "en", "zh", "contribution"]]


@lru_cache(maxsize=64)
def _texts(keys: tuple[str, ...], text) -> tuple[list[str], list[str]]:
    """English and Chinese words for feature names or reason codes (`text` is catalog.label or reason_text)."""
    return [text(k, "en") for k in keys], [text(k, "zh") for k in keys]


@dataclass(frozen=True)
class LoanExplanation:
    loan_id: str
    as_of: dt.date
    target: str
    version: str
    pd: float
    raw_score: float
    base_value: float
    contributions: pd.DataFrame     # feature, en, zh, value, shap; largest |shap| first
    reasons: pd.DataFrame           # code, en, zh, contribution; top positive reason codes, largest first
    source: str = "built"           # where the feature row came from: "stored" (batch scoring) or "built"


def explain_loan(con: duckdb.DuckDBPyConnection, loan_id: str, as_of: str | dt.date, target: str = "behaviour",
                 version: str | None = None, home: Path | None = None, stored: bool = True) -> LoanExplanation:
    """One loan's PD and SHAP explanation at a month-end, with the target's champion (or `version`). The
    feature row is read from the month's stored rows when it was scored (`stored=False` always builds it)."""
    model = registry.load(target, version, home)
    when = month_end(as_of)
    df = features_scored.stored_row(con, loan_id, when) if stored else None
    source = "stored" if df is not None else "built"
    if df is None:
        df = build_features(con, [when], [loan_id])
    if df.empty:
        raise DataError(f"loan {loan_id} is not in the model population at {when} (no row that month, paid off, "
                        "charged off or more than 90 days past due)")
    x = matrix(df, model.levels, model.features)
    contrib = contributions(model, x)[0]
    raw = float(contrib.sum())
    en, zh = _texts(model.features, catalog.label)
    table = pd.DataFrame({"feature": list(model.features), "en": en, "zh": zh,
                          "value": [df[f].iloc[0] for f in model.features],
                          "shap": contrib[:-1]})
    table = table.reindex(table["shap"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    sums = reason_sums(contrib, model.features)
    reasons = sums[sums["contribution"] > 0].head(N_REASONS).reset_index(drop=True)
    return LoanExplanation(loan_id, when, target, model.version, float(1 / (1 + np.exp(-raw))), raw,
                           float(contrib[-1]), table, reasons, source)


def global_importance(shap_sample: pd.DataFrame) -> pd.DataFrame:
    """feature, en, zh, mean_abs_shap over a stored SHAP sample (registry.read_shap_sample), largest first."""
    cols = [c for c in shap_sample.columns if c.startswith("shap__") and c != "shap__base"]
    names = [c[len("shap__"):] for c in cols]
    values = shap_sample[cols].abs().mean().to_numpy()
    df = pd.DataFrame({"feature": names, "en": [catalog.label(f, "en") for f in names],
                       "zh": [catalog.label(f, "zh") for f in names], "mean_abs_shap": values})
    return df.sort_values("mean_abs_shap", ascending=False, ignore_index=True)


def shap_frame(model: registry.Model, df: pd.DataFrame, keep=("loan_id", "as_of")) -> pd.DataFrame:
    """Key columns, feature values and shap__<feature> columns plus shap__base for rows of a feature frame (the
    stored sample; pages draw beeswarm and dependence plots from it)."""
    x = matrix(df, model.levels, model.features)
    contrib = contributions(model, x)
    keys = df[[k for k in keep if k in df.columns]].reset_index(drop=True)
    values = {f: (df[f].astype("object").where(df[f].notna(), None) if f in model.levels else df[f])
              .reset_index(drop=True) for f in model.features}
    shap = {f"shap__{f}": contrib[:, i] for i, f in enumerate(model.features)} | {"shap__base": contrib[:, -1]}
    return pd.concat([keys, pd.DataFrame(values), pd.DataFrame(shap)], axis=1)
