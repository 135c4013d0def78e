"""Monitoring a model after development: score and feature stability by month, and discrimination as labels mature.

Stability compares each later month's population with the development sample stored with the version
(registry dev_sample.parquet): PSI of the PD, CSI of every feature, banded stable / watch / shifted by the
psi_bands setting (DOMAIN.md: 0.10 and 0.25). Performance by month scores each observation month with the version
and compares with the outcomes known so far: a month is mature once the data reaches its whole window; before
that its bad rate (and AUC) can still change.

Both need the features of every month since development, which on a large book takes minutes, so a background
job (data/jobs.py, kind "monitor") computes them once per version and data month and stores them in the version's
folder (monitoring/); pages read the stored result.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import duckdb
import numpy as np
import pandas as pd

import config
from models import metrics, registry
from models.features import build_features, matrix, month_ends
from models.targets import build_targets

PSI_COLUMNS = ["month", "rows", "mean_pd", "psi", "band"]
CSI_COLUMNS = ["month", "feature", "csi", "band"]
PERF_COLUMNS = ["month", "rows", "bads", "bad_rate", "mean_pd", "auc", "ks", "brier", "mature"]
MONITORING = "monitoring"


def psi_band(value: float) -> str:
    """'stable', 'watch' or 'shifted' for a PSI or CSI value."""
    watch, shifted = (x / 100 for x in config.setting("psi_bands"))
    return "stable" if value < watch else "watch" if value <= shifted else "shifted"


@dataclass(frozen=True)
class Monitoring:
    """Stability and performance of one version, month by month (what the monitoring job stores)."""
    target: str
    version: str
    data_to: dt.date | None         # the latest month-end of the data it was computed on
    computed_at: str | None
    psi: pd.DataFrame               # PSI_COLUMNS
    csi: pd.DataFrame               # CSI_COLUMNS
    performance: pd.DataFrame       # PERF_COLUMNS


def _month_rows(con, model: registry.Model, base: pd.DataFrame, month, with_stability: bool,
                with_performance: bool) -> tuple[list, list, list]:
    feats = build_features(con, [month])
    if feats.empty:
        return [], [], []
    p = model.pd(matrix(feats, model.levels, model.features))
    when = feats["as_of"].iloc[0].date()
    psi_rows, csi_rows, perf_rows = [], [], []
    if with_stability:
        value = metrics.psi(base["pd"], p)
        psi_rows.append((when, len(feats), float(p.mean()), value, psi_band(value)))
        csi = metrics.csi(base, feats, model.features, tuple(model.levels))
        csi_rows = [(when, f, v, psi_band(v)) for f, v in zip(csi["feature"], csi["csi"])]
    if with_performance:
        tg = build_targets(con, [month], model.target)
        y = tg["bad"].to_numpy().astype(int)
        perf_rows.append((when, len(y), int(y.sum()), float(y.mean()), float(p.mean()), metrics.auc(y, p),
                          metrics.ks(y, p), metrics.brier(y, p), bool(tg["mature"].all())))
    return psi_rows, csi_rows, perf_rows


def _frames(psi_rows, csi_rows, perf_rows) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return (pd.DataFrame(psi_rows, columns=PSI_COLUMNS), pd.DataFrame(csi_rows, columns=CSI_COLUMNS),
            pd.DataFrame(perf_rows, columns=PERF_COLUMNS).astype({"auc": float, "ks": float}))


def monitoring(con: duckdb.DuckDBPyConnection, target: str, months: Iterable[str | dt.date],
               version: str | None = None, home: Path | None = None,
               progress: Callable[[int, int, dt.date], None] | None = None) -> Monitoring:
    """PSI, CSI and performance of a version (the champion by default) for each month, one feature pass per month;
    `progress(done, total, month)` after each month."""
    model = registry.load(target, version, home)
    base = registry.read_dev_sample(target, model.version, home)
    months = list(months)
    psi_rows, csi_rows, perf_rows = [], [], []
    for i, month in enumerate(months):
        a, b, c = _month_rows(con, model, base, month, True, True)
        psi_rows += a
        csi_rows += b
        perf_rows += c
        if progress:
            progress(i + 1, len(months), month)
    psi, csi, perf = _frames(psi_rows, csi_rows, perf_rows)
    last = con.execute("SELECT max(as_of) FROM performance").fetchall()[0][0]
    return Monitoring(target, model.version, last, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                      psi, csi, perf)


def stability(con: duckdb.DuckDBPyConnection, target: str, months: Iterable[str | dt.date],
              version: str | None = None, home: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(month, rows, mean_pd, psi, band) and (month, feature, csi, band): each month's population against the
    version's development sample (its champion by default)."""
    model = registry.load(target, version, home)
    base = registry.read_dev_sample(target, model.version, home)
    rows = [_month_rows(con, model, base, m, True, False) for m in months]
    psi, csi, _ = _frames(sum((r[0] for r in rows), []), sum((r[1] for r in rows), []), [])
    return psi, csi


def performance_by_month(con: duckdb.DuckDBPyConnection, target: str, months: Iterable[str | dt.date],
                         version: str | None = None, home: Path | None = None) -> pd.DataFrame:
    """month, rows, bads, bad_rate, mean_pd, auc, ks, brier, mature: the version's discrimination on each
    observation month with the outcomes known in the data now (NaN AUC while no bad is seen yet)."""
    model = registry.load(target, version, home)
    rows = [_month_rows(con, model, pd.DataFrame(), m, False, True) for m in months]
    return _frames([], [], sum((r[2] for r in rows), []))[2]


def monitoring_months(con: duckdb.DuckDBPyConnection, target: str, version: str,
                      home: Path | None = None) -> list[dt.date]:
    """The version's first observation month-end to the data's latest: the months monitoring covers."""
    first = registry.read_report(target, version, home)["data"]["obs_from"]
    last = con.execute("SELECT max(as_of) FROM performance").fetchall()[0][0]
    return month_ends(first, last) if last is not None else []


def _folder(target: str, version: str, home: Path | None) -> Path:
    return registry.version_dir(target, version, home) / MONITORING


def save_monitoring(m: Monitoring, home: Path | None = None) -> Path:
    """Store a result in the version's monitoring/ folder (replacing an older one atomically)."""
    folder = _folder(m.target, m.version, home)
    tmp = folder.with_name(f".{MONITORING}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    m.psi.to_parquet(tmp / "psi.parquet", index=False)
    m.csi.to_parquet(tmp / "csi.parquet", index=False)
    m.performance.to_parquet(tmp / "performance.parquet", index=False)
    (tmp / "info.json").write_text(json.dumps({"data_to": str(m.data_to) if m.data_to else None,
                                               "computed_at": m.computed_at}))
    old = folder.with_name(f".{MONITORING}.{os.getpid()}.old")
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)
    return folder


def read_monitoring(target: str, version: str, home: Path | None = None) -> Monitoring | None:
    """The stored monitoring of a version, or None when it has not been computed."""
    folder = _folder(target, version, home)
    try:
        info = json.loads((folder / "info.json").read_text())
        frames = [pd.read_parquet(folder / f"{n}.parquet") for n in ("psi", "csi", "performance")]
    except FileNotFoundError:
        return None
    for f in frames:
        f["month"] = pd.to_datetime(f["month"]).dt.date
    data_to = dt.date.fromisoformat(info["data_to"]) if info.get("data_to") else None
    return Monitoring(target, version, data_to, info.get("computed_at"), *frames)


def champion_vs_challenger(y, pd_champion, pd_challenger) -> pd.DataFrame:
    """metric, champion, challenger on the same sample (auc, gini, ks, brier, ece)."""
    out = []
    for name, fn in (("auc", metrics.auc), ("gini", metrics.gini), ("ks", metrics.ks), ("brier", metrics.brier),
                     ("ece", metrics.ece)):
        out.append((name, fn(y, pd_champion), fn(y, pd_challenger)))
    return pd.DataFrame(out, columns=["metric", "champion", "challenger"]).astype({"champion": float,
                                                                                  "challenger": float})


def common_sample(target: str, champion: str, challenger: str, home: Path | None = None) -> pd.DataFrame:
    """loan_id, obs_month, bad, pd_champion, pd_challenger: the out-of-time rows both versions predicted (the
    same loans and months, so their figures compare like with like); empty when their samples do not overlap."""
    a = registry.read_predictions(target, champion, home)
    b = registry.read_predictions(target, challenger, home)
    both = a.merge(b, on=["loan_id", "obs_month"], suffixes=("_champion", "_challenger"))
    agree = both["bad_champion"] == both["bad_challenger"]        # same target definition: always true
    both = both[agree].rename(columns={"bad_champion": "bad"})
    return both[["loan_id", "obs_month", "bad", "pd_champion", "pd_challenger"]].reset_index(drop=True)


def scored_sample(con: duckdb.DuckDBPyConnection, target: str, champion: str, challenger: str,
                  months: tuple[str, ...], home: Path | None = None) -> pd.DataFrame:
    """The same columns as common_sample, by scoring the population of `months` (mature ones) with both versions:
    for two versions whose out-of-time samples do not overlap."""
    a, b = registry.load(target, champion, home), registry.load(target, challenger, home)
    feats = build_features(con, list(months))
    tg = build_targets(con, list(months), a.target)
    keep = tg["mature"].to_numpy()
    return pd.DataFrame({"loan_id": feats["loan_id"].astype(str).to_numpy()[keep],
                         "obs_month": feats["as_of"].dt.strftime("%Y-%m").to_numpy()[keep],
                         "bad": tg["bad"].to_numpy().astype(int)[keep],
                         "pd_champion": a.pd(matrix(feats, a.levels, a.features))[keep],
                         "pd_challenger": b.pd(matrix(feats, b.levels, b.features))[keep]})


def comparison(sample: pd.DataFrame) -> pd.DataFrame:
    """champion_vs_challenger of a common or scored sample (NaN figures when it is empty)."""
    y = sample["bad"].to_numpy().astype(float)
    if not len(y):
        return champion_vs_challenger(np.array([0.0, 1.0]), [0.0, 1.0], [0.0, 1.0]).assign(
            champion=np.nan, challenger=np.nan)
    return champion_vs_challenger(y, sample["pd_champion"], sample["pd_challenger"])


def baseline_rows(target: str, version: str, home: Path | None = None) -> int:
    """Rows of the development sample the PSI and CSI compare with (from the file's metadata, not its data)."""
    import pyarrow.parquet as pq
    return pq.ParquetFile(registry.version_dir(target, version, home) / "dev_sample.parquet").metadata.num_rows
