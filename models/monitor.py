"""Monitoring a model after development: score and feature stability by month, and discrimination as labels mature.

Stability compares each later month's population with the development sample stored with the version
(registry dev_sample.parquet): PSI of the PD, CSI of every feature, banded stable / watch / shifted by the
psi_bands setting (DOMAIN.md: 0.10 and 0.25). Performance by month scores each observation month with the version
and compares with the outcomes known so far: a month is mature once the data reaches its whole window; before
that its bad rate (and AUC) can still change.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable

import duckdb
import pandas as pd

import config
from models import metrics, registry
from models.features import build_features, matrix
from models.targets import build_targets


def psi_band(value: float) -> str:
    """'stable', 'watch' or 'shifted' for a PSI or CSI value."""
    watch, shifted = (x / 100 for x in config.setting("psi_bands"))
    return "stable" if value < watch else "watch" if value <= shifted else "shifted"


def stability(con: duckdb.DuckDBPyConnection, target: str, months: Iterable[str | dt.date],
              version: str | None = None, home: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(month, rows, mean_pd, psi, band) and (month, feature, csi, band): each month's population against the
    version's development sample (its champion by default)."""
    model = registry.load(target, version, home)
    base = registry.read_dev_sample(target, model.version, home)
    categorical = tuple(model.levels)
    psi_rows, csi_rows = [], []
    for month in months:
        feats = build_features(con, [month])
        if feats.empty:
            continue
        p = model.pd(matrix(feats, model.levels, model.features))
        value = metrics.psi(base["pd"], p)
        when = feats["as_of"].iloc[0].date()
        psi_rows.append((when, len(feats), float(p.mean()), value, psi_band(value)))
        csi = metrics.csi(base, feats, model.features, categorical)
        csi_rows += [(when, f, v, psi_band(v)) for f, v in zip(csi["feature"], csi["csi"])]
    return (pd.DataFrame(psi_rows, columns=["month", "rows", "mean_pd", "psi", "band"]),
            pd.DataFrame(csi_rows, columns=["month", "feature", "csi", "band"]))


def performance_by_month(con: duckdb.DuckDBPyConnection, target: str, months: Iterable[str | dt.date],
                         version: str | None = None, home: Path | None = None) -> pd.DataFrame:
    """month, rows, bads, bad_rate, mean_pd, auc, ks, brier, mature: the version's discrimination on each
    observation month with the outcomes known in the data now (NaN AUC while no bad is seen yet)."""
    model = registry.load(target, version, home)
    rows = []
    for month in months:
        feats = build_features(con, [month])
        if feats.empty:
            continue
        tg = build_targets(con, [month], model.target)
        y = tg["bad"].to_numpy().astype(int)
        p = model.pd(matrix(feats, model.levels, model.features))
        rows.append((feats["as_of"].iloc[0].date(), len(y), int(y.sum()), float(y.mean()), float(p.mean()),
                     metrics.auc(y, p), metrics.ks(y, p), metrics.brier(y, p), bool(tg["mature"].all())))
    return pd.DataFrame(rows, columns=["month", "rows", "bads", "bad_rate", "mean_pd", "auc", "ks", "brier",
                                       "mature"]).astype({"auc": float, "ks": float})


def champion_vs_challenger(y, pd_champion, pd_challenger) -> pd.DataFrame:
    """metric, champion, challenger on the same sample (auc, gini, ks, brier, ece)."""
    out = []
    for name, fn in (("auc", metrics.auc), ("gini", metrics.gini), ("ks", metrics.ks), ("brier", metrics.brier),
                     ("ece", metrics.ece)):
        out.append((name, fn(y, pd_champion), fn(y, pd_challenger)))
    return pd.DataFrame(out, columns=["metric", "champion", "challenger"]).astype({"champion": float,
                                                                                  "challenger": float})
