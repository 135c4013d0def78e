"""Benchmark of the demo generator: seconds, peak memory and the book's realistic rates per size.

    python bench/bench_demo.py                 # 100,000 and 1,000,000 loans
    python bench/bench_demo.py --loans 20000   # one size

Each size runs in its own process with its own temporary LOANWATCH_HOME, so its peak memory is its own.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    """Peak resident memory of this process and its waited-for children, in MiB (ru_maxrss is KiB on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def child(loans: int, months: int, seed: int) -> None:
    sys.path.insert(0, str(ROOT))
    from data.demo import build_demo
    started = time.perf_counter()
    summary = build_demo(loans, months=months, seed=seed,
                         progress=lambda m: print(f"  [{time.perf_counter() - started:7.1f}s] {m}",
                                                  file=sys.stderr, flush=True))
    summary["wall_seconds"] = round(time.perf_counter() - started, 1)
    summary["peak_rss_mb"] = round(peak_rss_mb(), 0)
    home = Path(os.environ["LOANWATCH_HOME"])
    summary["db_mb"] = round(sum(p.stat().st_size for p in (home / "analytics").glob("gen-*.duckdb")) / 2**20)
    print(json.dumps(summary, default=str))


def run_size(loans: int, months: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="lw-bench-") as tmp:
        env = dict(os.environ, LOANWATCH_HOME=tmp, LOANWATCH_SECRETS_FILE=str(Path(tmp) / "secrets.toml"),
                   LOANWATCH_SECRET_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode())
        env.pop("LOANWATCH_WORKFLOW_URL", None)
        out = subprocess.run([sys.executable, __file__, "--child", "--loans", str(loans), "--months", str(months),
                              "--seed", str(seed)], env=env, stdout=subprocess.PIPE, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["peak_rss_mb"] = max(result["peak_rss_mb"], round(peak_rss_mb(), 0))
    return result


def report(r: dict) -> str:
    rr = r["roll_rates"]
    rolls = "  ".join(f"{k} {v:.1%}" for k, v in rr.items())
    rows = ", ".join(f"{k} {v:,}" for k, v in r["rows"].items())
    return (f"{r['loans']:>10,} loans x {r['months']} months: {r['wall_seconds']:7.1f} s, peak RSS "
            f"{r['peak_rss_mb'] / 1024:5.2f} GiB, database {r['db_mb']:,} MiB\n"
            f"    monthly current->1-30 {r['roll_current_to_1_30']:.2%}, cure rate {r['cure_rate']:.1%}, "
            f"annual charge-off rate by balance {r['annual_charge_off_rate_by_balance']:.2%}, "
            f"charge-offs {r['charge_offs']:,}\n    roll rates: {rolls}\n    rows: {rows}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, action="append", help="book size (repeatable); default 100k and 1M")
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.loans[0], args.months, args.seed)
        return
    for loans in args.loans or [100_000, 1_000_000]:
        print(f"building {loans:,} loans ...", file=sys.stderr, flush=True)
        print(report(run_size(loans, args.months, args.seed)), flush=True)


if __name__ == "__main__":
    main()
