"""Benchmark of the risk models: real-data accuracy (Taiwan) and speed on a large demo book. Prints its figures.

    python bench/bench_models.py                              # Taiwan only
    python bench/bench_models.py --home /tmp/lw-1m/home       # also a demo book built there before, e.g. by
        LOANWATCH_HOME=/tmp/lw-1m/home python cli.py demo --loans 1000000 --months 36
    python bench/bench_models.py --skip-taiwan --home /tmp/lw-1m/home --reuse-champion   # no training: the
        book's own behaviour champion (trained there before) scores and explains

Taiwan: `import taiwan`, then train --obs-from 2005-06 --obs-to 2005-09 --oot-from 2005-09 --horizon 1
--bad-dpd 30 (September's target is the dataset's own default flag): out-of-time AUC, KS, Brier on September;
then, for comparison with the literature (about 0.78), a 70/30 random split of September alone.
Demo book: features + training + out-of-time validation of the behaviour model, scoring the whole book at its
last month-end (a new generation, which also keeps the month's feature rows: their size is printed), and one
loan's explanation (SHAP) for 30 loans, warm: from the kept feature row (what pages do) and, for comparison,
with the row built on demand by the feature query; both must give the same explanation.
The demo book's published generation is copied to a temporary home first, so the folder given is only read.
The machine's load average is printed beside the timings: on a shared machine they vary a lot.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TAIWAN = ROOT.parent / "shared" / "data" / "real" / "taiwan_credit_card_default" / "UCI_Credit_Card.csv.gz"


def _env(home: Path) -> None:
    os.environ.update(LOANWATCH_HOME=str(home), LOANWATCH_SECRETS_FILE=str(home / "secrets.toml"),
                      LOANWATCH_SECRET_KEY=base64.urlsafe_b64encode(b"b" * 32).decode())
    os.environ.pop("LOANWATCH_WORKFLOW_URL", None)
    from data import store, workflow
    for r in store._readers.values():
        r.close()
    store._readers.clear()
    workflow.engine.cache_clear()


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


def say(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def taiwan(path: Path, seed: int) -> dict:
    import numpy as np
    from data import store
    from data.adapters.taiwan import import_taiwan
    from models import metrics
    from models.features import build_features, categories, matrix
    from models.targets import TargetDef, build_targets
    from models.train import fit, train_model
    with tempfile.TemporaryDirectory(prefix="lw-bench-tw-") as tmp:
        _env(Path(tmp))
        import_taiwan(path)
        con = store.reader().cursor()
        target = TargetDef("tw_default", 1, 30)
        started = time.perf_counter()
        result = train_model(con, target, "2005-06", "2005-09", "2005-09", seed=seed, progress=say)
        seconds = time.perf_counter() - started
        r = result.report
        out = {"oot_auc": r["auc"], "oot_ks": r["ks"], "oot_brier": r["brier"], "oot_gini": r["gini"],
               "psi_sep_vs_jun_aug": r["psi"], "oot_rows": r["oot"]["rows"], "oot_bad_rate": r["oot"]["bad_rate"],
               "trees": r["training"]["best_iteration"], "train_seconds": round(seconds, 1)}
        # 70/30 random split of September alone (the literature's set-up)
        feats = build_features(con, ["2005-09"])
        feats["bad"] = build_targets(con, ["2005-09"], target)["bad"].to_numpy().astype(np.int8)
        test = np.random.default_rng(seed).random(len(feats)) < 0.3
        dev, hold = feats[~test].reset_index(drop=True), feats[test].reset_index(drop=True)
        levels = categories(dev)
        booster, _params, _info = fit(dev, levels, seed, lambda _m: None)
        p = booster.predict(matrix(hold, levels), num_iteration=booster.best_iteration)
        out |= {"sep_70_30_auc": metrics.auc(hold["bad"], p), "sep_70_30_ks": metrics.ks(hold["bad"], p),
                "sep_70_30_test_rows": int(len(hold))}
        store.reader().close()
    return out


def demo(book_home: Path, seed: int, obs: tuple[str, str, str], reuse_champion: bool = False) -> dict:
    from data import store
    from models import features_scored, registry
    from models.explain import contributions, explain_loan
    from models.features import build_features, matrix
    from models.score import score_book
    from models.targets import TARGETS
    from models.train import train_model
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="lw-bench-demo-", dir=str(book_home.parent)) as tmp:
        home = Path(tmp) / "home"
        (home / "analytics").mkdir(parents=True)
        published = (book_home / "analytics" / "CURRENT").read_text().strip()    # not the older generations
        shutil.copyfile(book_home / "analytics" / published, home / "analytics" / published)
        shutil.copyfile(book_home / "analytics" / "CURRENT", home / "analytics" / "CURRENT")
        if reuse_champion:
            shutil.copytree(registry.models_dir(book_home) / "behaviour", registry.models_dir(home) / "behaviour")
        _env(home)
        con = store.reader().cursor()
        out["loans"] = con.execute("SELECT count(*) FROM loans").fetchall()[0][0]
        out["performance_rows"] = con.execute("SELECT count(*) FROM performance").fetchall()[0][0]
        out["load_before"] = load()
        if reuse_champion:
            out["reused_champion"] = registry.champion("behaviour")
        else:
            started = time.perf_counter()
            result = train_model(con, TARGETS["behaviour"], *obs, seed=seed, progress=say)
            r = result.report
            out |= {"train_validate_seconds": round(time.perf_counter() - started, 1),
                    "seconds_split": r["seconds"], "loan_months": r["development"]["rows_total"] + r["oot"]["rows"],
                    "fit_rows": r["training"]["fit_rows"], "trees": r["training"]["best_iteration"],
                    "oot_auc": r["auc"], "oot_ks": r["ks"], "oot_brier": r["brier"], "psi": r["psi"],
                    "load_after_training": load()}
            registry.promote("behaviour", result.version, reason="benchmark")
        store.reader().close()
        started = time.perf_counter()
        summary = score_book(progress=say)
        out |= {"score_seconds": round(time.perf_counter() - started, 1),
                "scored_loans": summary["targets"]["behaviour"]["loans"], "scored_as_of": summary["as_of"],
                "load_after_scoring": load()}
        con = store.reader().cursor()
        kept = features_scored.size(con)
        out |= {"features_scored_rows": kept["rows"], "features_scored_mb": round(kept["bytes"] / 2 ** 20, 1),
                "generation_mb": round(store.current_path().stat().st_size / 2 ** 20, 1)}
        ids = [r[0] for r in con.execute("SELECT loan_id FROM scores USING SAMPLE reservoir(30 ROWS) REPEATABLE (1)")
               .fetchall()]
        model = registry.load("behaviour")
        explain_loan(con, ids[0], summary["as_of"])          # warm: model and query plans
        explain_loan(con, ids[0], summary["as_of"], stored=False)
        stored, built, shap_only, sources = [], [], [], set()
        for loan in ids:
            t0 = time.perf_counter()
            fast = explain_loan(con, loan, summary["as_of"])
            stored.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            slow = explain_loan(con, loan, summary["as_of"], stored=False)
            built.append(time.perf_counter() - t0)
            sources.add(fast.source)
            if fast.raw_score != slow.raw_score or not fast.contributions.equals(slow.contributions) \
                    or not fast.reasons.equals(slow.reasons):
                raise SystemExit(f"loan {loan}: the stored row and the built row explain differently")
            x = matrix(build_features(con, [summary["as_of"]], [loan]), model.levels, model.features)
            t0 = time.perf_counter()
            contributions(model, x)
            shap_only.append(time.perf_counter() - t0)
        out |= {"explain_calls": len(ids), "explain_sources": sorted(sources),
                "explain_one_loan_ms_median": round(1000 * statistics.median(stored), 1),
                "explain_one_loan_ms_max": round(1000 * max(stored), 1),
                "explain_built_on_demand_ms_median": round(1000 * statistics.median(built), 1),
                "explain_built_on_demand_ms_max": round(1000 * max(built), 1),
                "shap_one_loan_ms_median": round(1000 * statistics.median(shap_only), 2),
                "load_end": load()}
        store.reader().close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--taiwan", type=Path, default=TAIWAN)
    ap.add_argument("--home", type=Path, help="LOANWATCH_HOME of a built demo book (read only)")
    ap.add_argument("--obs", nargs=3, default=("2025-03", "2025-10", "2025-09"), metavar=("FROM", "TO", "OOT"),
                    help="observation months of the demo-book behaviour model (default 2025-03 2025-10 2025-09)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--skip-taiwan", action="store_true")
    ap.add_argument("--reuse-champion", action="store_true",
                    help="score and explain with the book home's behaviour champion instead of training one")
    args = ap.parse_args()
    figures: dict = {"machine": load()}
    if not args.skip_taiwan:
        if args.taiwan.exists():
            figures["taiwan"] = taiwan(args.taiwan, args.seed)
        else:
            figures["taiwan"] = f"skipped: {args.taiwan} not found"
    if args.home:
        figures["demo"] = demo(args.home, args.seed, tuple(args.obs), args.reuse_champion)
    print(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
