"""Benchmark of the daily early-warning run (issue 6) and of events evaluated on arrival, on a published demo book.

    python bench/bench_daily.py                                   # /tmp/lw-bench/loans-1000000-m36-s7
    python bench/bench_daily.py --book /tmp/lw-bench/loans-100000-m36-s7 --quality

Reads the book's published generation read-only (builds nothing; build one with bench/bench_analytics.py) and
writes alerts and reviews to a fresh SQLite workflow store (--workflow, default /tmp/lw/warning/bench-wf.sqlite).
Prints the first daily run's time per step, the second run's (idempotent: nothing new), and the median and worst
of --events events of each kind (wall milliseconds, warm, in one process), with their median CPU milliseconds and
the load average; --cli N adds the wall time of N `python cli.py event add` commands (a new process each: imports,
opening the store, one cold evaluation). --quality adds the signal-quality backtest (every month-end, all
signals) with its figures.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--book", default="/tmp/lw-bench/loans-1000000-m36-s7", help="a LOANWATCH_HOME with a book")
    ap.add_argument("--workflow", default="/tmp/lw/warning/bench-wf.sqlite", help="SQLite file (replaced)")
    ap.add_argument("--as-of", help="month-end YYYY-MM (default the latest)")
    ap.add_argument("--events", type=int, default=20, help="events of each kind to time")
    ap.add_argument("--cli", type=int, default=0, help="also time this many `cli.py event add` commands")
    ap.add_argument("--quality", action="store_true", help="also run the signal-quality backtest")
    ap.add_argument("--no-daily", action="store_true", help="time the events only (keeps the workflow store)")
    args = ap.parse_args()
    home = Path(args.book)
    if not (home / "analytics" / "CURRENT").exists():
        print(f"no published book in {home}: build one with bench/bench_analytics.py", file=sys.stderr)
        return 1
    wf = Path(args.workflow)
    for suffix in ("", "-wal", "-shm") if not args.no_daily else ():
        Path(str(wf) + suffix).unlink(missing_ok=True)
    wf.parent.mkdir(parents=True, exist_ok=True)
    os.environ["LOANWATCH_HOME"] = str(home)
    os.environ["LOANWATCH_WORKFLOW_URL"] = f"sqlite:///{wf}"
    os.environ.setdefault("LOANWATCH_ACTOR", "bench")
    from data import store
    from signals.daily import daily_run
    say = lambda m: print(f"  [{time.strftime('%H:%M:%S')}] {m}", file=sys.stderr, flush=True)  # noqa: E731
    con = store.reader(home).cursor()
    loans = con.execute("SELECT count(*) FROM loans").fetchone()[0]
    print(f"book {home.name}: {loans:,} loans, generation {store.reader(home).path.name}")

    if args.no_daily:
        return _events(con, home, args, con.execute("SELECT max(as_of) FROM performance").fetchone()[0], say)
    first = daily_run(args.as_of, home=home, progress=say)
    print(f"daily run 1 ({first['as_of']}): {first['seconds']:.1f} s; alerts raised {first['alerts_raised']:,}; "
          f"reviews created {first['reviews_created']}; marked overdue {first['reviews_overdue']:,}")
    print("  step seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in first["timings"].items()))
    print("  fired: " + ", ".join(f"{k} {v:,}" for k, v in first["fired"].items()))
    second = daily_run(args.as_of, home=home)
    print(f"daily run 2 (same month): {second['seconds']:.1f} s; alerts raised {second['alerts_raised']}; "
          f"reviews created {second['reviews_created']}")

    return _events(con, home, args, dt.date.fromisoformat(first["as_of"]), say)


def _events(con, home: Path, args, month: dt.date, say) -> int:
    from signals.events import add_event
    sample = [r[0] for r in con.execute(
        "SELECT loan_id FROM (SELECT loan_id FROM performance WHERE as_of = ? AND bucket NOT IN ('charged_off', "
        f"'paid_off')) USING SAMPLE reservoir({int(args.events)} ROWS) REPEATABLE (7)", [month]).fetchall()]
    rng = random.Random(7)
    kinds = {"payment": {"amount": 100.0}, "reversal": {"amount": 500.0},
             "bureau": {"score": 520, "inquiries": 4}, "flag": {"flag": "litigation"}}
    day = month + dt.timedelta(days=5)
    for kind, values in kinds.items():
        add_event(sample[0], kind, day, home=home, **values)                  # warm-up
        ms, cpu = [], []
        for lid in rng.sample(sample, len(sample)):
            started = time.process_time()
            ms.append(add_event(lid, kind, day, home=home, **values)["ms"])
            cpu.append((time.process_time() - started) * 1000)
        print(f"event {kind}: median {statistics.median(ms):.0f} ms, worst {max(ms):.0f} ms ({len(ms)} events)")
        print(f"  event {kind} in-process: CPU median {statistics.median(cpu):.0f} ms; load average "
              f"{os.getloadavg()[0]:.1f}")
    if args.cli:
        argv = {"payment": ["--amount", "100"], "bureau": ["--score", "520"], "flag": ["--flag", "litigation"]}
        for kind, extra in argv.items():
            walls, inner = [], []
            for lid in sample[:args.cli]:
                started = time.perf_counter()
                out = subprocess.run([sys.executable, str(ROOT / "cli.py"), "event", "add", "--loan", lid, "--kind",
                                      kind, "--date", day.isoformat(), *extra], capture_output=True, text=True,
                                     check=True, cwd=ROOT).stdout
                walls.append((time.perf_counter() - started) * 1000)
                inner.append(json.loads(out)["ms"])
            print(f"event {kind} command line: median wall {statistics.median(walls):.0f} ms (of which the call, "
                  f"cold: {statistics.median(inner):.0f} ms; the rest is Python starting and importing), "
                  f"{len(walls)} commands; load average {os.getloadavg()[0]:.1f}")

    if args.quality:
        from signals.quality import signal_quality
        t = time.perf_counter()
        df = signal_quality(con, progress=say)
        print(f"signal quality backtest: {time.perf_counter() - t:.0f} s")
        print(df.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print(json.dumps(df.to_dict("records"), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
