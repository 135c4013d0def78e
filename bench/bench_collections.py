"""Benchmark of the collections month-end work on a cached demo book (default the 1,000,000-loan one): assignment
(compute and store), promises to pay, champion/challenger outcomes and the outbox.

    python bench/bench_collections.py                                   # /tmp/lw-bench/loans-1000000-m36-s7
    python bench/bench_collections.py --loans 50000 --home /tmp/lw-bench

The book must exist (built by bench/bench_analytics.py); this never builds one. The workflow store written to is
a throwaway SQLite file (--workflow, default a temporary folder), never the workspace's own. Prints each step's
wall seconds; the issue's target is assignment under 2 minutes on the 1M book and the collections page under
300 ms per figure. The Collections page's figure functions are timed last (page_figures): the first view of a
month-end the daily run has not kept, and each figure from the kept figures, whole book and filtered.
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
    ap.add_argument("--repeat", type=int, default=5, help="warm calls per figure function (median printed)")
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
    page_figures(con, month, args.repeat)
    return 0


def page_figures(con, month, repeat: int) -> None:
    """The Collections page's figure functions on the month-end: the first view with nothing kept (no daily run:
    computed once and kept), a month-end whose month pieces are mostly kept already, the daily run's keeping;
    then each figure function (median of `repeat` warm calls) from the kept figures, whole book and filtered,
    and the kept figures read by a fresh process (no in-process memo)."""
    import statistics

    from analytics.filters import Filters
    from collection import figures, monitor, strategy
    prev = figures.shift(month, -1)
    earlier = figures.shift(month, -2)

    def first(name, as_of):
        """Each figure function of a month-end in page order, nothing kept in this process yet."""
        figures._memo.clear()
        ver = monitor.stamp(as_of)
        for what, fn in (("trends", lambda: monitor.trends(con, as_of, None, ver)),
                         ("+ breakdown", lambda: monitor.breakdown_of(con, as_of, "agent", None, ver)),
                         ("+ champion/challenger", lambda: monitor.comparison(con, as_of, None, None, ver))):
            t = time.perf_counter()
            fn()
            print(f"{name + ': ' + what:<50} {time.perf_counter() - t:8.2f} s")

    print("-- Collections page figures (no daily run for the month-end: computed on the first view and kept)")
    first("first view, nothing kept", month)
    first("first view, month before (pieces kept)", prev)
    first("read back by a fresh process", month)
    t = time.perf_counter()
    kept = monitor.store_performance(con, earlier)
    print(f"{'daily run keeps ' + str(earlier):<50} {time.perf_counter() - t:8.2f} s   {kept['computed']}")
    product = con.execute("SELECT product FROM loans GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    seg = next((s["name"] for s in strategy.active()["body"]["segments"] if s.get("challenger")), None)
    ver = monitor.stamp(month)
    calls = {"trends (8 cards, 4 charts)": lambda f: monitor.trends(con, month, f, ver),
             "breakdown by agent": lambda f: monitor.breakdown_of(con, month, "agent", f, ver),
             "breakdown by channel": lambda f: monitor.breakdown_of(con, month, "channel", f, ver),
             "breakdown by segment": lambda f: monitor.breakdown_of(con, month, "segment", f, ver),
             "drill-down (one segment)": lambda f: monitor.accounts(con, month, "segment", seg, f, ver),
             "champion/challenger (pooled)": lambda f: monitor.comparison(con, month, None, f, ver),
             f"champion/challenger ({seg})": lambda f: monitor.comparison(con, month, seg, f, ver),
             "stamp (cache key, every run)": lambda f: monitor.stamp(month)}
    print(f"-- figure functions on kept figures, median of {repeat} warm calls (ms): whole book | {product} only")
    for name, fn in calls.items():
        row = []
        for flt in (None, Filters(products=(product,))):
            fn(flt)
            ms = []
            for _ in range(repeat):
                t = time.perf_counter()
                fn(flt)
                ms.append((time.perf_counter() - t) * 1000)
            row.append(statistics.median(ms))
        print(f"  {name:<32} {row[0]:8.0f} {row[1]:8.0f}")


if __name__ == "__main__":
    sys.exit(main())
