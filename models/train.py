"""Training: LightGBM on older observation months, validated out of time on newer ones, saved to the registry.

Observation months obs_from .. obs_to are split at oot_from: earlier months are the development sample, months
from oot_from on the out-of-time (OOT) sample, which only scores the finished model. Early stopping watches a
fifth of the development loans (all their months, so one loan never sits on both sides), never the OOT months.
When the development sample is larger than MAX_TRAIN_ROWS, goods are sampled and weighted back up (every bad
kept), so PDs stay calibrated. Seeded and LightGBM's deterministic mode: the same data and seed give the same
model on the same machine.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
import lightgbm as lgb
import numpy as np
import pandas as pd

from analytics.sql import month_end
from data.errors import DataError, UsageError
from models import explain, registry, scale
from models.catalog import CATEGORICAL, NAMES
from models.features import add_months, build_features, categories, matrix, month_ends
from models.targets import TargetDef, build_targets
from models.validation import build_report, discrimination

Progress = Callable[[str], None]
PARAMS = {"objective": "binary", "metric": "binary_logloss",
          "learning_rate": 0.1, "num_leaves": 31, "min_child_samples": 200, "feature_fraction": 0.8,
          "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0, "cat_smooth": 10,
          "deterministic": True, "force_row_wise": True, "verbose": -1}
MAX_ROUNDS, EARLY_STOP = 2000, 50
EARLY_STOP_SHARE = 20           # percent of development loans watched by early stopping
MAX_STOP_ROWS = 250_000         # at most this many of their loan-months (a random sample)
MAX_TRAIN_ROWS = 1_000_000
MIN_BADS = 20                   # bads needed in the development and in the out-of-time sample
SHAP_SAMPLE = 2000              # out-of-time rows whose SHAP values are stored with the model
DEV_SAMPLE = 20_000             # development rows (features, PD) stored as the monitoring baseline
STABILITY_SAMPLE = 200_000      # development rows the PSI compares against; CSI compares samples this size


@dataclass(frozen=True)
class TrainResult:
    target: TargetDef
    version: str
    report: dict
    predictions: pd.DataFrame   # out-of-time loan_id, obs_month, pd, bad


def observation_split(obs_from: str, obs_to: str, oot_from: str) -> tuple[list[dt.date], list[dt.date]]:
    """(development month-ends, out-of-time month-ends); UsageError unless obs_from < oot_from <= obs_to."""
    first, last, cut = month_end(obs_from), month_end(obs_to), month_end(oot_from)
    if first > last:
        raise UsageError(f"--obs-from {obs_from} is after --obs-to {obs_to}")
    if not first < cut <= last:
        raise UsageError(f"--oot-from must be after --obs-from and not after --obs-to (got {oot_from}: the "
                         "out-of-time months need older months to train on)")
    months = month_ends(first, last)
    return [m for m in months if m < cut], [m for m in months if m >= cut]


def check_months(con: duckdb.DuckDBPyConnection, months: list[dt.date], target: TargetDef) -> None:
    """DataError when an observation month has no data or its outcome window is not fully observed yet."""
    have = {r[0] for r in con.execute("SELECT DISTINCT as_of FROM performance WHERE as_of BETWEEN ? AND ?",
                                      [months[0], months[-1]]).fetchall()}
    span = con.execute("SELECT min(as_of), max(as_of) FROM performance").fetchall()[0]
    if span[0] is None:
        raise DataError("the analytical store has no performance data: build the demo or import a portfolio")
    missing = [m for m in months if m not in have]
    if missing:
        raise DataError(f"months missing: no performance data at {', '.join(str(m)[:7] for m in missing[:6])}"
                        f"{' ...' if len(missing) > 6 else ''} (data runs from {span[0]:%Y-%m} to {span[1]:%Y-%m})")
    last_ok = add_months(span[1], -target.horizon)         # the last month-end whose window the data covers
    if months[-1] > last_ok:
        raise DataError(f"outcomes not observed yet: with a {target.horizon}-month horizon the data (to "
                        f"{span[1]:%Y-%m}) covers observation months up to {last_ok:%Y-%m}, not {months[-1]:%Y-%m}")


def _dataset(con, months: list[dt.date], target: TargetDef, say: Progress) -> pd.DataFrame:
    say(f"building features for {len(months)} month-ends, {months[0]:%Y-%m} to {months[-1]:%Y-%m}")
    feats = build_features(con, months)
    say(f"features: {len(feats):,} loan-months; building targets ({target.describe()})")
    tg = build_targets(con, months, target)
    same = len(feats) == len(tg) and (feats["as_of"].to_numpy() == tg["as_of"].to_numpy()).all() and \
        (feats["loan_id"].to_numpy(dtype=object) == tg["loan_id"].to_numpy(dtype=object)).all()
    if not same:     # both queries select the same population in the same order; this is a safety net
        raise RuntimeError("features and targets disagree on the population")
    feats["bad"] = tg["bad"].to_numpy().astype(np.int8)
    return feats


def _check_bads(y: np.ndarray, what: str, months: list[dt.date]) -> None:
    span = f"{months[0]:%Y-%m} to {months[-1]:%Y-%m}"
    if len(y) == 0:
        raise DataError(f"no population: no open loans at most 90 days past due in the {what} months ({span})")
    if y.sum() < MIN_BADS:
        raise DataError(f"too few bads: {int(y.sum())} of {len(y):,} {what} loan-months ({span}) reached the "
                        f"target; at least {MIN_BADS} are needed")


def _fit_rows(dev: pd.DataFrame, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fit mask, early-stopping mask, weights): a loan's months all on one side; goods sampled when large."""
    h = pd.util.hash_pandas_object(dev["loan_id"], index=False, hash_key=f"loanwatch{seed:07d}"[-16:])
    stop = (h.to_numpy() % 100) < EARLY_STOP_SHARE
    fit = ~stop
    u = np.random.default_rng(seed).random(len(dev))
    if stop.sum() > MAX_STOP_ROWS:
        stop &= u < MAX_STOP_ROWS / stop.sum()
    w = np.ones(len(dev))
    bad = dev["bad"].to_numpy() == 1
    n_fit, n_bad = fit.sum(), (fit & bad).sum()
    if n_fit > MAX_TRAIN_ROWS:
        rate = (MAX_TRAIN_ROWS - n_bad) / (n_fit - n_bad)
        fit &= bad | (u < rate)
        w[~bad] = 1 / rate
    return fit, stop, w


def _plain_categories(df: pd.DataFrame) -> pd.DataFrame:
    """Category columns as plain text (a parquet file then holds values, not one frame's category codes)."""
    return df.astype({c: object for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)})


def _progress_callback(say: Progress, every: int = 50):
    def callback(env) -> None:
        if (env.iteration + 1) % every == 0:
            res = ", ".join(f"{name} {value:.4f}" for _, name, value, _ in env.evaluation_result_list)
            say(f"training: {env.iteration + 1} trees; early-stopping sample {res}")
    callback.order = 30
    return callback


def fit(dev: pd.DataFrame, levels: dict, seed: int, say: Progress) -> tuple[lgb.Booster, dict, dict]:
    """The LightGBM model, its parameters and the early-stopping figures."""
    fit_m, stop_m, w = _fit_rows(dev, seed)
    x = matrix(dev, levels)
    y = dev["bad"].to_numpy()
    params = PARAMS | {"seed": seed}
    train_set = lgb.Dataset(x[fit_m], y[fit_m], weight=w[fit_m], categorical_feature=list(levels),
                            free_raw_data=True)
    stop_set = lgb.Dataset(x[stop_m], y[stop_m], reference=train_set)
    say(f"training on {fit_m.sum():,} loan-months ({int(y[fit_m].sum()):,} bads), early stopping on "
        f"{stop_m.sum():,}")
    booster = lgb.train(params, train_set, MAX_ROUNDS, valid_sets=[stop_set], valid_names=["stop"],
                        callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False), _progress_callback(say)])
    stop_pd = booster.predict(x[stop_m], num_iteration=booster.best_iteration)
    stopped = discrimination(y[stop_m], stop_pd)
    say(f"training: stopped at {booster.best_iteration} trees; early-stopping sample AUC {stopped['auc']:.4f}")
    info = {"best_iteration": booster.best_iteration, "fit_rows": int(fit_m.sum()),
            "fit_bads": int(y[fit_m].sum()), "goods_weight": float(w[fit_m & (y == 0)].max(initial=1.0)),
            "early_stopping": stopped}
    return booster, params | {"num_boost_round": MAX_ROUNDS, "early_stopping_rounds": EARLY_STOP}, info


def _validate(booster: lgb.Booster, dev: pd.DataFrame, oot: pd.DataFrame, levels: dict,
              rng: np.random.Generator) -> tuple[np.ndarray, pd.DataFrame, np.ndarray, dict]:
    """(out-of-time PDs, development sample, its PDs, the validation report) of the fitted model."""
    p_oot = booster.predict(matrix(oot, levels), num_iteration=booster.best_iteration)
    dev_s = dev.iloc[np.sort(rng.choice(len(dev), min(len(dev), STABILITY_SAMPLE), replace=False))]
    p_dev = booster.predict(matrix(dev_s, levels), num_iteration=booster.best_iteration)
    oot_s = oot.iloc[np.sort(rng.choice(len(oot), min(len(oot), STABILITY_SAMPLE), replace=False))]
    report = build_report(oot["bad"].to_numpy(), p_oot, oot["as_of"].to_numpy(), p_dev, dev_s, oot_s, NAMES,
                          CATEGORICAL)
    return p_oot, dev_s, p_dev, report


def _explain_sample(target: TargetDef, booster: lgb.Booster, levels: dict, oot: pd.DataFrame, p_oot: np.ndarray,
                    rng: np.random.Generator) -> tuple[lgb.Booster, pd.DataFrame, pd.DataFrame]:
    """(the model cut at its best iteration, the SHAP sample of out-of-time rows, global importance)."""
    booster.free_dataset()
    booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=booster.best_iteration))
    model = registry.Model(target, "", booster, NAMES, levels)
    sample = oot.iloc[np.sort(rng.choice(len(oot), min(SHAP_SAMPLE, len(oot)), replace=False))]
    shap_sample = explain.shap_frame(model, sample).assign(pd=p_oot[sample.index],
                                                           bad=oot["bad"].to_numpy()[sample.index])
    importance = explain.global_importance(shap_sample)
    importance["gain"] = importance["feature"].map(dict(zip(booster.feature_name(),
                                                            booster.feature_importance("gain"))))
    return booster, shap_sample, importance[["feature", "en", "zh", "mean_abs_shap", "gain"]]


def _months_info(dev_months: list[dt.date], oot_months: list[dt.date], source: str | None) -> dict:
    return {"source": source, "obs_from": f"{dev_months[0]:%Y-%m}", "obs_to": f"{oot_months[-1]:%Y-%m}",
            "oot_from": f"{oot_months[0]:%Y-%m}", "development_months": [f"{m:%Y-%m}" for m in dev_months],
            "oot_months": [f"{m:%Y-%m}" for m in oot_months]}


def train_model(con: duckdb.DuckDBPyConnection, target: TargetDef, obs_from: str, obs_to: str, oot_from: str,
                seed: int = 7, progress: Progress | None = None, home: Path | None = None,
                source: str | None = None) -> TrainResult:
    """Train, validate out of time and register a new version of `target`'s model (not promoted)."""
    say, started = progress or (lambda _m: None), time.perf_counter()
    dev_months, oot_months = observation_split(obs_from, obs_to, oot_from)
    check_months(con, dev_months + oot_months, target)
    data = _dataset(con, dev_months + oot_months, target, say)
    cut = pd.Timestamp(oot_months[0])
    dev, oot = data[data["as_of"] < cut].reset_index(drop=True), data[data["as_of"] >= cut].reset_index(drop=True)
    _check_bads(dev["bad"].to_numpy(), "development", dev_months)
    _check_bads(oot["bad"].to_numpy(), "out-of-time", oot_months)
    t_data, levels, rng = time.perf_counter(), categories(dev), np.random.default_rng(seed)
    booster, params, info = fit(dev, levels, seed, say)
    t_fit = time.perf_counter()
    say(f"validating on {len(oot):,} out-of-time loan-months")
    p_oot, dev_s, p_dev, validation = _validate(booster, dev, oot, levels, rng)
    say(f"SHAP values for a sample of {min(SHAP_SAMPLE, len(oot)):,} out-of-time loans")
    booster, shap_sample, importance = _explain_sample(target, booster, levels, oot, p_oot, rng)
    headline = {k: validation.pop(k) for k in ("auc", "gini", "ks", "brier", "psi")}
    created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    report = {"target": target.as_dict(), "created_at": created, **headline,
              "data": _months_info(dev_months, oot_months, source),
              "development": discrimination(dev_s["bad"].to_numpy(), p_dev) | {"sampled_rows": len(dev_s),
                                                                                "rows_total": len(dev)},
              "training": info, **validation, "importance": importance.to_dict(orient="records"),
              "master_scale": scale.scale_table(), "seed": seed,
              "seconds": {"data": round(t_data - started, 1), "fit": round(t_fit - t_data, 1),
                          "total": round(time.perf_counter() - started, 1)}}
    predictions = pd.DataFrame({"loan_id": oot["loan_id"].astype(str).to_numpy(),
                                "obs_month": oot["as_of"].dt.strftime("%Y-%m").to_numpy(), "pd": p_oot,
                                "bad": oot["bad"].to_numpy().astype(int)})
    keep = np.sort(rng.choice(len(dev_s), min(len(dev_s), DEV_SAMPLE), replace=False))
    dev_sample = _plain_categories(dev_s.iloc[keep]).assign(pd=p_dev[keep]).reset_index(drop=True)
    spec = {"features": list(NAMES), "categorical": list(CATEGORICAL), "levels": levels}
    version = registry.save_version(target, booster, spec, params, report, shap_sample, predictions, dev_sample,
                                    home)
    say(f"saved {target.name} version {version} (out-of-time AUC {report['auc']:.4f}, KS {report['ks']:.4f})")
    return TrainResult(target, version, report | {"version": version}, predictions)
