"""Batch scoring: each target's champion scores the book at a month-end into the analytical store (`scores`).

The run writes a new generation (data/store.py): features are built from the same copy the scores go into,
so a score always matches the data it sits beside, and readers see all targets' scores appear at once. A
target's earlier scores for that month-end are replaced. The month's feature rows are kept beside them
(models/features_scored.py), so explaining one loan later reads its row instead of building it. Only these two
tables change, so only their contracts are checked before publishing (key, loan reference, month-end, a feature
row for every score): the other tables are the published generation's, already checked, and re-checking 25
million payments would triple the run on a large book. Reason codes (SHAP)
are computed for the riskiest `score_reason_loans` loans of each target (setting); the others have NULL reasons
and are explained on demand.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

import config
from analytics.sql import month_end, queries
from data import store
from data.errors import DataError
from models import features_scored, registry
from models.explain import N_REASONS, contributions, reason_codes
from models.features import build_features, matrix
from models.scale import grade_of

SQL = str(Path(__file__).with_suffix(".sql"))
Progress = Callable[[str], None]


def _month(con, as_of: str | dt.date | None) -> dt.date:
    q = queries(SQL)
    if as_of is None:
        latest = con.execute(q["latest_month"]).fetchall()[0][0]
        if latest is None:
            raise DataError("the analytical store has no performance data: build the demo or import a portfolio")
        return latest
    when = month_end(as_of)
    if not con.execute(q["has_month"], {"as_of": when}).fetchall()[0][0]:
        raise DataError(f"months missing: no performance data at {when:%Y-%m}")
    return when


def scores_frame(model: registry.Model, feats: pd.DataFrame, as_of: dt.date, reason_loans: int) -> pd.DataFrame:
    """loan_id, as_of, target, model_version, pd, grade, reason_1..3 for every row of a feature frame."""
    x = matrix(feats, model.levels, model.features)
    p = model.pd(x)
    reasons = np.full((len(p), N_REASONS), None, dtype=object)
    top = np.argsort(-p, kind="stable")[: max(reason_loans, 0)]
    if len(top):
        codes = reason_codes(contributions(model, x.iloc[np.sort(top)]), model.features)
        for row, c in zip(np.sort(top), codes):
            reasons[row, : len(c)] = c
    out = pd.DataFrame({"loan_id": feats["loan_id"].astype(str).to_numpy(), "as_of": as_of,
                        "target": model.target.name, "model_version": model.version, "pd": p,
                        "grade": grade_of(p)})
    for i in range(N_REASONS):
        out[f"reason_{i + 1}"] = reasons[:, i]
    return out


def score_book(as_of: str | dt.date | None = None, targets: list[str] | None = None, home: Path | None = None,
               progress: Progress | None = None) -> dict:
    """Score the population at a month-end (default the latest) with each target's champion; returns a summary."""
    say = progress or (lambda _m: None)
    started = time.perf_counter()
    names = targets or [t for t in registry.targets(home) if registry.champion(t, home)]
    if not names:
        raise DataError("no champion model to score with: train one (python cli.py train ...) and promote it "
                        "(python cli.py models promote TARGET VERSION)")
    models = [registry.load(t, None, home) for t in names]
    reason_loans = config.setting("score_reason_loans")
    summary: dict = {"targets": {}}
    q = queries(SQL)
    with store.new_generation(home, check=False) as con:
        when = _month(con, as_of)
        say(f"building features for {when:%Y-%m}")
        feats = build_features(con, [when])
        if feats.empty:
            raise DataError(f"no population at {when:%Y-%m}: no open loans at most 90 days past due")
        for model in models:
            say(f"scoring {len(feats):,} loans with {model.target.name} {model.version} "
                f"(reasons for the riskiest {min(reason_loans, len(feats)):,})")
            frame = scores_frame(model, feats, when, reason_loans)
            con.execute(q["delete_scores"], {"as_of": when, "target": model.target.name})
            con.register("new_scores", pa.Table.from_pandas(frame, preserve_index=False))
            try:
                con.execute(q["insert_scores"])
            finally:
                con.unregister("new_scores")
            grades = con.execute(q["score_summary"], {"as_of": when, "target": model.target.name}).fetchall()
            summary["targets"][model.target.name] = {
                "version": model.version, "loans": len(frame), "mean_pd": float(frame["pd"].mean()),
                "grades": {g: n for g, n, _ in grades}}
        say(f"keeping the {len(feats):,} feature rows for explanations")
        features_scored.save(con, feats, when)
        say("checking the contracts of the scores and feature rows and publishing")
        broken = {k: v for k, v in zip(("duplicate_keys", "null_keys", "unknown_loans", "not_month_ends"),
                                       con.execute(q["scores_contracts"]).fetchall()[0]) if v}
        broken |= features_scored.contract_breaks(con, when, names)
        if broken:
            raise DataError(f"scores not published: contracts broken {broken}")
    summary |= {"as_of": str(when), "generation": store.current_path(home).name,
                "seconds": round(time.perf_counter() - started, 1)}
    from data import workflow
    workflow.audit("model_score", target=str(when), details=summary)
    return summary

