"""Model registry: versions under LOANWATCH_HOME/models/<target>/<version>/, one champion per target (audited).

A version folder holds model.txt (LightGBM), spec.json (target, features, category levels, master scale),
params.json, report.json (validation), shap_sample.parquet (features and SHAP values of a sample),
predictions.parquet (out-of-time loan_id, obs_month, pd, bad) and dev_sample.parquet (features and PD of a
sample of development rows, the baseline monitoring compares later months with). It is written to a temporary
folder and renamed into place, so a reader never sees half a version. `CHAMPION` names the target's champion.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

import config
from data.errors import UsageError
from models.targets import NAME, TargetDef

CHAMPION = "CHAMPION"
VERSION = re.compile(r"\d{8}-\d{6}-[0-9a-f]{4}")


def models_dir(home: Path | None = None) -> Path:
    return (home or config.home()) / "models"


def _target_dir(target: str, home: Path | None) -> Path:
    if not NAME.fullmatch(target or ""):
        raise UsageError(f"unknown target {target!r}")
    return models_dir(home) / target


def _plain(v):
    """JSON-ready: numpy scalars as Python numbers, NaN and infinities as null, dates as YYYY-MM-DD."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if np.isfinite(v) else None
    if isinstance(v, (dt.date, pd.Timestamp, np.datetime64)):
        return str(pd.Timestamp(v).date())
    return v


def to_json(data) -> str:
    """Strict JSON (no NaN), indented, Chinese kept as is."""
    return json.dumps(_plain(data), indent=2, ensure_ascii=False, allow_nan=False)


def _write_json(path: Path, data) -> None:
    path.write_text(to_json(data) + "\n")


def save_version(target: TargetDef, booster: lgb.Booster, spec: dict, params: dict, report: dict,
                 shap_sample: pd.DataFrame, predictions: pd.DataFrame, dev_sample: pd.DataFrame,
                 home: Path | None = None) -> str:
    """Write a new version of `target`'s model; returns its version id (YYYYMMDD-HHMMSS-xxxx)."""
    base = _target_dir(target.name, home)
    base.mkdir(parents=True, exist_ok=True)
    version = dt.datetime.now().strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
    tmp = base / f".{version}.tmp"
    tmp.mkdir()
    try:
        booster.save_model(str(tmp / "model.txt"))
        _write_json(tmp / "spec.json", spec | {"target": target.as_dict(), "version": version})
        _write_json(tmp / "params.json", params)
        _write_json(tmp / "report.json", report | {"version": version})
        shap_sample.to_parquet(tmp / "shap_sample.parquet", index=False)
        predictions.to_parquet(tmp / "predictions.parquet", index=False)
        dev_sample.to_parquet(tmp / "dev_sample.parquet", index=False)
        os.replace(tmp, base / version)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return version


def version_dir(target: str, version: str, home: Path | None = None) -> Path:
    """The folder of an existing version; UsageError naming the known versions otherwise."""
    path = _target_dir(target, home) / version
    if not VERSION.fullmatch(version or "") or not path.is_dir():
        known = versions(target, home)
        raise UsageError(f"no version {version!r} of target {target!r}"
                         + (f"; versions: {', '.join(known)}" if known else "; train one first"))
    return path


def versions(target: str, home: Path | None = None) -> list[str]:
    """Versions of a target, oldest first."""
    base = _target_dir(target, home)
    return sorted(p.name for p in base.iterdir() if p.is_dir() and VERSION.fullmatch(p.name)) if base.is_dir() else []


def targets(home: Path | None = None) -> list[str]:
    """Targets with at least one version."""
    root = models_dir(home)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and versions(p.name, home)) if root.is_dir() else []


def champion(target: str, home: Path | None = None) -> str | None:
    try:
        return (_target_dir(target, home) / CHAMPION).read_text().strip() or None
    except FileNotFoundError:
        return None


def promote(target: str, version: str, reason: str | None = None, actor: str | None = None,
            home: Path | None = None) -> str | None:
    """Make `version` the champion of `target` (audited as model_promote); returns the previous champion."""
    from data import workflow
    version_dir(target, version, home)
    previous = champion(target, home)
    report = read_report(target, version, home)
    workflow.audit("model_promote", actor=actor, target=f"{target}/{version}",
                   details={"previous": previous, "reason": reason, "auc": report.get("auc"),
                            "gini": report.get("gini"), "ks": report.get("ks"), "psi": report.get("psi")})
    base = _target_dir(target, home)
    tmp = base / (CHAMPION + ".tmp")
    tmp.write_text(version + "\n")
    os.replace(tmp, base / CHAMPION)
    return previous


def read_report(target: str, version: str, home: Path | None = None) -> dict:
    return json.loads((version_dir(target, version, home) / "report.json").read_text())


def read_predictions(target: str, version: str, home: Path | None = None) -> pd.DataFrame:
    return pd.read_parquet(version_dir(target, version, home) / "predictions.parquet")


def read_shap_sample(target: str, version: str, home: Path | None = None) -> pd.DataFrame:
    return pd.read_parquet(version_dir(target, version, home) / "shap_sample.parquet")


def read_dev_sample(target: str, version: str, home: Path | None = None) -> pd.DataFrame:
    return pd.read_parquet(version_dir(target, version, home) / "dev_sample.parquet")


def list_models(home: Path | None = None) -> pd.DataFrame:
    """target, version, champion, created_at, obs_from, oot_from, horizon, bad_dpd, auc, gini, ks, brier, psi."""
    rows = []
    for target in targets(home):
        champ = champion(target, home)
        for version in versions(target, home):
            r = read_report(target, version, home)
            rows.append({"target": target, "version": version, "champion": version == champ,
                         "created_at": r.get("created_at"), "obs_from": r["data"]["obs_from"],
                         "oot_from": r["data"]["oot_from"], "horizon": r["target"]["horizon"],
                         "bad_dpd": r["target"]["bad_dpd"],
                         **{k: r.get(k) for k in ("auc", "gini", "ks", "brier", "psi")}})
    cols = ["target", "version", "champion", "created_at", "obs_from", "oot_from", "horizon", "bad_dpd",
            "auc", "gini", "ks", "brier", "psi"]
    return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True)
class Model:
    target: TargetDef
    version: str
    booster: lgb.Booster
    features: tuple[str, ...]
    levels: dict[str, list[str]]

    def raw_score(self, x: pd.DataFrame) -> np.ndarray:
        return self.booster.predict(x, raw_score=True)

    def pd(self, x: pd.DataFrame) -> np.ndarray:
        return self.booster.predict(x)


def load(target: str, version: str | None = None, home: Path | None = None) -> Model:
    """A version of a target's model (its champion by default), loaded once per process."""
    version = version or champion(target, home)
    if version is None:
        raise UsageError(f"target {target!r} has no champion: promote a version with "
                         f"`python cli.py models promote {target} VERSION` (see `python cli.py models list`)")
    path = version_dir(target, version, home)
    return _load(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _load(path: str, _mtime: int) -> Model:
    spec = json.loads((Path(path) / "spec.json").read_text())
    t = spec["target"]
    booster = lgb.Booster(model_file=str(Path(path) / "model.txt"))
    return Model(TargetDef(t["name"], t["horizon"], t["bad_dpd"]), spec["version"], booster,
                 tuple(spec["features"]), spec["levels"])
