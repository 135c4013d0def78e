"""Validation metrics as small pure functions of outcomes (1 = bad) and scores or PDs (higher = riskier)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

PSI_FLOOR = 1e-4        # share given to an empty band so ln(actual / expected) stays finite


def _arrays(y, score) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    s = np.asarray(score, dtype=float)
    if y.shape != s.shape or y.ndim != 1:
        raise ValueError("outcomes and scores must be 1-D and of the same length")
    if not set(np.unique(y)) <= {0.0, 1.0}:
        raise ValueError("outcomes must be 0 (good) or 1 (bad)")
    return y, s


def auc(y, score) -> float:
    """Area under the ROC curve: P(a random bad scores above a random good), ties counting one half."""
    y, s = _arrays(y, score)
    n_bad = y.sum()
    n_good = len(y) - n_bad
    if n_bad == 0 or n_good == 0:
        return float("nan")
    ranks = stats.rankdata(s)                   # average ranks for ties
    return float((ranks[y == 1].sum() - n_bad * (n_bad + 1) / 2) / (n_bad * n_good))


def gini(y, score) -> float:
    """Gini coefficient (accuracy ratio) = 2 AUC - 1."""
    return 2 * auc(y, score) - 1


def ks(y, score) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the score distributions of bads and goods,
    max |TPR - FPR| over every cut-off."""
    y, s = _arrays(y, score)
    n_bad, n_good = y.sum(), len(y) - y.sum()
    if n_bad == 0 or n_good == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    s, y = s[order], y[order]
    last_of_tie = np.r_[s[1:] != s[:-1], True]      # evaluate only between distinct score values
    tpr = np.cumsum(y)[last_of_tie] / n_bad
    fpr = np.cumsum(1 - y)[last_of_tie] / n_good
    return float(np.max(np.abs(tpr - fpr)))


def brier(y, pd_) -> float:
    """Brier score: mean squared difference between the predicted PD and the outcome."""
    y, p = _arrays(y, pd_)
    return float(np.mean((p - y) ** 2))


def _edges(expected: np.ndarray, bins: int) -> np.ndarray:
    """Inner cut points at the expected sample's quantiles (fewer when scores tie)."""
    qs = np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1])
    return np.unique(qs)


def psi_table(expected, actual, bins: int = 10) -> pd.DataFrame:
    """band, expected_share, actual_share, psi: bands at the expected sample's quantiles (missing values are a
    band of their own); each band adds (actual% - expected%) x ln(actual% / expected%)."""
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    edges = _edges(e[~np.isnan(e)], bins) if (~np.isnan(e)).any() else np.array([])
    labels = [f"<= {x:.6g}" for x in edges] + [f"> {edges[-1]:.6g}" if len(edges) else "all"]

    def shares(x: np.ndarray) -> np.ndarray:
        band = np.where(np.isnan(x), len(edges) + 1, np.searchsorted(edges, x, side="left"))
        return np.bincount(band.astype(int), minlength=len(edges) + 2) / max(len(x), 1)
    es, as_ = shares(e), shares(a)
    keep = (es > 0) | (as_ > 0)
    return _psi_frame(np.array(labels + ["missing"])[keep], es[keep], as_[keep])


def _psi_frame(bands, es: np.ndarray, as_: np.ndarray) -> pd.DataFrame:
    ef, af = np.maximum(es, PSI_FLOOR), np.maximum(as_, PSI_FLOOR)
    return pd.DataFrame({"band": bands, "expected_share": es, "actual_share": as_,
                         "psi": (af - ef) * np.log(af / ef)})


def psi(expected, actual, bins: int = 10) -> float:
    """Population stability index of a score between a development (expected) and a later (actual) sample:
    below 0.10 stable, 0.10-0.25 watch, above 0.25 shifted."""
    return float(psi_table(expected, actual, bins)["psi"].sum())


def _category_shares(x) -> pd.Series:
    """Share of each category (missing as '<missing>'), counted without touching every value in Python."""
    s = pd.Series(x)
    counts = s.value_counts(dropna=False)
    counts.index = ["<missing>" if pd.isna(k) else str(k) for k in counts.index]
    return counts.groupby(level=0).sum() / max(len(s), 1)


def category_psi(expected, actual) -> float:
    """PSI of a categorical variable, one band per category (missing is a category)."""
    e, a = _category_shares(expected), _category_shares(actual)
    cats = sorted(set(e.index) | set(a.index))
    es, as_ = e.reindex(cats, fill_value=0).to_numpy(), a.reindex(cats, fill_value=0).to_numpy()
    keep = (es > 0) | (as_ > 0)
    return float(_psi_frame(np.array(cats)[keep], es[keep], as_[keep])["psi"].sum())


def csi(expected: pd.DataFrame, actual: pd.DataFrame, features, categorical=(), bins: int = 10) -> pd.DataFrame:
    """feature, csi: the PSI of each feature between a development and a later sample (characteristic
    stability), deciles of the development sample for numbers, one band per category otherwise."""
    rows = []
    for f in features:
        if f in categorical:
            value = category_psi(expected[f], actual[f])
        else:
            value = psi(pd.to_numeric(expected[f], errors="coerce"), pd.to_numeric(actual[f], errors="coerce"), bins)
        rows.append((f, value))
    return pd.DataFrame(rows, columns=["feature", "csi"]).sort_values("csi", ascending=False, ignore_index=True)


def _bands(pd_: np.ndarray, n: int) -> np.ndarray:
    """Equal-count bands by risk, 1 = the riskiest tenth (ties split by position, so bands stay equal)."""
    order = np.argsort(-pd_, kind="mergesort")
    band = np.empty(len(pd_), dtype=int)
    band[order] = np.arange(len(pd_)) * n // max(len(pd_), 1) + 1
    return band


def decile_table(y, pd_, n: int = 10) -> pd.DataFrame:
    """decile (1 = riskiest), loans, bads, bad_rate, min_pd, max_pd, mean_pd, cum_bad_share, lift (the decile's
    bad rate over the overall one): bad rate should fall monotonically from decile 1 down."""
    y, p = _arrays(y, pd_)
    df = pd.DataFrame({"decile": _bands(p, n), "bad": y, "pd": p})
    t = df.groupby("decile").agg(loans=("bad", "size"), bads=("bad", "sum"), min_pd=("pd", "min"),
                                 max_pd=("pd", "max"), mean_pd=("pd", "mean")).reset_index()
    t["bads"] = t["bads"].astype(int)
    t["bad_rate"] = t["bads"] / t["loans"]
    t["cum_bad_share"] = t["bads"].cumsum() / max(t["bads"].sum(), 1)
    t["lift"] = t["bad_rate"] / (y.mean() if y.mean() > 0 else np.nan)
    return t[["decile", "loans", "bads", "bad_rate", "min_pd", "max_pd", "mean_pd", "cum_bad_share", "lift"]]


def calibration_table(y, pd_, n: int = 10) -> pd.DataFrame:
    """band (1 = riskiest tenth), loans, mean_pd, bad_rate: predicted against observed in equal-count bands."""
    y, p = _arrays(y, pd_)
    df = pd.DataFrame({"band": _bands(p, n), "bad": y, "pd": p})
    return (df.groupby("band").agg(loans=("bad", "size"), mean_pd=("pd", "mean"), bad_rate=("bad", "mean"))
            .reset_index())


def ece(y, pd_, n: int = 10) -> float:
    """Expected calibration error: the loan-weighted mean |observed bad rate - mean PD| over equal-count bands."""
    t = calibration_table(y, pd_, n)
    return float((t["loans"] * (t["bad_rate"] - t["mean_pd"]).abs()).sum() / t["loans"].sum())


def hosmer_lemeshow(y, pd_, n: int = 10) -> tuple[float, float]:
    """(statistic, p-value): sum over equal-count bands of (observed - expected bads)^2 / (expected x (1 - mean
    PD)), chi-squared with bands - 2 degrees of freedom; a small p-value says the PDs are off."""
    t = calibration_table(y, pd_, n)
    expected = t["loans"] * t["mean_pd"]
    observed = t["loans"] * t["bad_rate"]
    var = expected * (1 - t["mean_pd"])
    stat = float(((observed - expected) ** 2 / var.where(var > 0)).fillna(0).sum())
    dof = max(len(t) - 2, 1)
    return stat, float(stats.chi2.sf(stat, dof))


def binomial_tests(y, pd_, grade, alpha: float = 0.05) -> pd.DataFrame:
    """grade, loans, bads, bad_rate, mean_pd, p_value, pd_too_low: per grade, the one-sided binomial test of
    H0 "the true default rate is at most the grade's mean PD" (observed bads this many or more); pd_too_low when
    p < alpha."""
    y, p = _arrays(y, pd_)
    df = pd.DataFrame({"grade": np.asarray(grade), "bad": y, "pd": p})
    rows = []
    for g, part in df.groupby("grade", sort=True):
        n, k, mean = len(part), int(part["bad"].sum()), float(part["pd"].mean())
        pv = float(stats.binomtest(k, n, min(max(mean, 1e-12), 1 - 1e-12), alternative="greater").pvalue)
        rows.append((g, n, k, k / n, mean, pv, pv < alpha))
    return pd.DataFrame(rows, columns=["grade", "loans", "bads", "bad_rate", "mean_pd", "p_value", "pd_too_low"])


def roc_points(y, score, points: int = 200) -> pd.DataFrame:
    """fpr, tpr, threshold along the ROC curve, thinned to about `points` rows for a chart."""
    y, s = _arrays(y, score)
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[s[1:] != s[:-1], True]
    tpr = np.r_[0.0, np.cumsum(y)[last] / max(y.sum(), 1)]
    fpr = np.r_[0.0, np.cumsum(1 - y)[last] / max(len(y) - y.sum(), 1)]
    thr = np.r_[np.inf, s[last]]
    keep = np.unique(np.linspace(0, len(tpr) - 1, min(points, len(tpr))).round().astype(int))
    return pd.DataFrame({"fpr": fpr[keep], "tpr": tpr[keep], "threshold": thr[keep]})


def ks_curve(y, score, points: int = 200) -> pd.DataFrame:
    """share, bads_share, goods_share, gap, threshold: loans ranked riskiest first, the cumulative share of all
    bads and of all goods at or above each score (thinned to about `points` rows); the KS is the largest gap."""
    r = roc_points(y, score, points=len(np.asarray(score)) + 1)
    y = np.asarray(y, dtype=float)
    n_bad, n = y.sum(), len(y)
    share = (r["tpr"] * n_bad + r["fpr"] * (n - n_bad)) / max(n, 1)
    df = pd.DataFrame({"share": share, "bads_share": r["tpr"], "goods_share": r["fpr"],
                       "gap": r["tpr"] - r["fpr"], "threshold": r["threshold"]})
    keep = np.unique(np.r_[np.linspace(0, len(df) - 1, min(points, len(df))).round().astype(int),
                           int(df["gap"].abs().idxmax())])
    return df.iloc[keep].reset_index(drop=True)


def grade_table(y, pd_, grade) -> pd.DataFrame:
    """grade, loans, share, bads, bad_rate, mean_pd, lift, p_value, pd_too_low: the binomial test per grade with
    each grade's share of the loans and its lift (bad rate over the overall bad rate)."""
    t = binomial_tests(y, pd_, grade)
    y = np.asarray(y, dtype=float)
    t["share"] = t["loans"] / max(len(y), 1)
    t["lift"] = t["bad_rate"] / (y.mean() if y.mean() > 0 else np.nan)
    return t[["grade", "loans", "share", "bads", "bad_rate", "mean_pd", "lift", "p_value", "pd_too_low"]]
