"""Benchmark of the collections month-end work on a cached demo book (default the 1,000,000-loan one): assignment
(compute and store), promises to pay, champion/challenger outcomes and the outbox.

    python bench/bench_collections.py                                   # /tmp/lw-bench/loans-1000000-m36-s7
    python bench/bench_collections.py --loans 50000 --home /tmp/lw-bench

The book must exist (built by bench/bench_analytics.py); this never builds one. The workflow store written to is
a throwaway SQLite file (--workflow, default a temporary folder), never the workspace's own. Prints each step's
wall seconds; the issue's target is assignment under 2 minutes on the 1M book.
"""
from __future__ import annotations

import argparse
import base64
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--home", default="/tmp/lw-bench")
    ap.add_argument("--as-of", help="month-end YYYY-MM (default the latest)")
    ap.add_argument("--workflow", help="SQLAlchemy URL of the workflow store to write (default a temp SQLite)")
    args = ap.parse_args()
    home = Path(args.home).resolve() / f"loans-{args.loans}-m{args.months}-s{args.seed}"
    os.environ["LOANWATCH_HOME"] = str(home)
    os.environ.setdefault("LOANWATCH_SECRETS_FILE", str(home / "secrets.toml"))
    os.environ.setdefault("LOANWATCH_SECRET_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
    tmp = tempfile.mkdtemp(prefix="bench-collections-")
    os.environ["LOANWATCH_WORKFLOW_URL"] = args.workflow or f"sqlite:///{tmp}/workflow.sqlite"
    from data import store
    if not store.has_data(home):
        print(f"no published book in {home}: build it with bench/bench_analytics.py first", file=sys.stderr)
        return 1
    from collection import compare, daily, messages, ptp
    con = store.reader(home).cursor()
    month = daily.resolve_month(con, args.as_of)
    print(f"book {home.name}, month-end {month}, workflow {os.environ['LOANWATCH_WORKFLOW_URL']}")

    def step(name, fn):
        t = time.perf_counter()
        out = fn()
        print(f"{name:<34} {time.perf_counter() - t:8.2f} s")
        return out

    first = step("assign (first: seeds agents)", lambda: daily.assign(con, month))
    again = step("assign again (idempotent)", lambda: daily.assign(con, month))
    print(f"  accounts {again['accounts']:,}  arms {again['arms']}  queues {again['queues']}  "
          f"agents {again['agents']} (capacity {again['agent_capacity']:,})  timings {again['timings']}")
    assert first["accounts"] == again["accounts"]
    df = step("report collections (stored)", lambda: daily.assignments(con, month)[0])
    print(f"  rows {len(df):,}")
    s = step("promises to pay (the month)", lambda: ptp.ptp_summary(ptp.promises(con, month)))
    print(f"  {s}")
    prev = daily.resolve_month(con, (month.replace(day=1) - __import__('datetime').timedelta(days=1)))
    step("assign previous month-end", lambda: daily.assign(con, prev))
    r = step("champion/challenger (prev -> now)", lambda: compare.compare_arms(compare.arm_outcomes(con, prev)))
    print(r[["metric", "champion_n", "challenger_n", "champion", "challenger", "p_value", "verdict"]]
          .to_string(index=False))
    o = step("outbox", lambda: messages.write_outbox(con, month))
    print(f"  {o}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
