"""Benchmark of the figures the Delinquency and Vintage curves pages add beyond bench_analytics.py: each as the pages get
it (DuckDB over the summaries built at publish), by DuckDB from the raw monthly rows, and by polars and pandas.

    python bench/bench_delinquency.py                       # the 1,000,000-loan book of bench_analytics (cached)
    python bench/bench_delinquency.py --home /tmp/lw-bench --repeat 9

Workspace, timing and frames are bench_analytics.py's (same --loans/--months/--seed/--home). "as of" is the
month-end a year before the latest (point in time: the book as it was then); ratios are polars / DuckDB and
pandas / DuckDB against the figure as the pages get it.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_analytics import OPEN, book_arguments, fmt, load_frames, ratio, timed, workspace  # noqa: E402

LADDER = list(zip(OPEN, OPEN[1:] + ["charged_off"]))


def lw_figures(con, months):
    from analytics import delinquency, flows, vintage
    last, pit = months[-1], months[-13]
    return {
        "trend_30_60_90": lambda: delinquency.delinquency_trend(con, last),
        "matrix_12m_balance": lambda: delinquency.roll_rates_long(con, months[-13], last, "balance"),
        "roll_cure_balance_pit": lambda: flows.roll_cure_rates(con, None, pit, "balance"),
        "flow_rates_pit": lambda: flows.flow_rates(con, None, pit),
        "waterfall_pit": lambda: flows.flow_waterfall(con, pit, 12),
        "vintage_ever30_pit": lambda: vintage.vintage_curves(con, "ever30", as_of=pit),
        "vintage_ever90_q_balance": lambda: vintage.vintage_curves(con, "ever90", "balance", "quarter"),
        "vintage_table": lambda: vintage.vintage_table(vintage.vintage_curves(con, "ever30")),
    }


def raw_figures(con, months):
    from analytics import summaries
    figures = lw_figures(con, months)

    def raw(fn):
        def run():
            with summaries.raw_only():
                return fn()
        return run
    return {k: raw(v) for k, v in figures.items()}


def pl_figures(f, months):
    import polars as pl
    P, L = f["perf"], f["loans"]
    last, pit = months[-1], months[-13]
    open_ = pl.col("bucket").is_in(OPEN)

    def trend():
        return P.filter(open_ & (pl.col("as_of") <= last)).group_by("as_of").agg(
            pl.len().alias("loans"), pl.col("balance").sum(),
            *[pl.col("balance").filter(pl.col("dpd") > k).sum().alias(f"b{k}") for k in (30, 60, 90)],
            *[(pl.col("dpd") > k).sum().alias(f"n{k}") for k in (30, 60, 90)]).sort("as_of")

    def pairs(lo, hi):
        src = P.filter(pl.col("as_of").is_between(lo, hi))
        a = src.filter(open_).select("loan_id", "as_of", pl.col("bucket").alias("f"), "balance").with_columns(
            pl.col("as_of").dt.offset_by("1mo").dt.month_end().alias("nxt"))
        b = src.select("loan_id", pl.col("as_of").alias("nxt"), pl.col("bucket").alias("t"))
        return a.join(b, on=["loan_id", "nxt"])

    def matrix():
        return pairs(months[-13], last).group_by("f", "t").agg(pl.len(), pl.col("balance").sum())

    def roll_cure():
        return pairs(months[0], pit).group_by("nxt", "f", "t").agg(pl.len(), pl.col("balance").sum())

    def balances(lo, hi):
        return P.filter(pl.col("as_of").is_between(lo, hi) & (pl.col("bucket") != "paid_off")).group_by(
            "as_of", "bucket").agg(pl.col("balance").sum())

    def flow(lo, hi):
        b = balances(lo, hi).pivot(on="bucket", index="as_of", values="balance").sort("as_of").fill_null(0.0)
        nxt = b.shift(-1)
        return b.select("as_of", *[(nxt[t] / b[k]).alias(k) for k, t in LADDER if k in b.columns and t in b.columns])

    def vintage(dpd, lo_cohort, hi, by_quarter=False, weight="count"):
        ev = P.filter((pl.col("as_of") <= hi) & ((pl.col("dpd") > dpd) | (pl.col("bucket") == "charged_off")))
        first = ev.group_by("loan_id").agg(pl.col("as_of").min().alias("ev"))
        lo = L.filter(pl.col("cohort").is_between(lo_cohort, hi)).join(first, on="loan_id", how="left")
        lo = lo.with_columns(((pl.col("ev").dt.year() - pl.col("cohort").dt.year()) * 12
                              + pl.col("ev").dt.month() - pl.col("cohort").dt.month()).alias("mob"))
        if by_quarter:
            lo = lo.with_columns(pl.col("cohort").dt.truncate("1q").alias("cohort"))
        w = pl.len() if weight == "count" else pl.col("weight").sum()
        size = lo.group_by("cohort").agg(w.alias("n"))
        hits = lo.drop_nulls("mob").group_by("cohort", "mob").agg(w.alias("k")).sort("cohort", "mob")
        return hits.with_columns(pl.col("k").cum_sum().over("cohort")).join(size, on="cohort")

    def table():
        v = vintage(30, months[0], last).with_columns((pl.col("k") / pl.col("n")).alias("share"))
        return v.pivot(on="mob", index="cohort", values="share")

    return {
        "trend_30_60_90": trend, "matrix_12m_balance": matrix, "roll_cure_balance_pit": roll_cure,
        "flow_rates_pit": lambda: flow(months[0], pit), "waterfall_pit": lambda: flow(months[-25], pit),
        "vintage_ever30_pit": lambda: vintage(30, months[0], pit),
        "vintage_ever90_q_balance": lambda: vintage(90, months[0], last, True, "balance"),
        "vintage_table": table,
    }


def pd_figures(f, months):
    import pandas as pd
    P, L = f["perf"], f["loans"]
    last, pit = pd.Timestamp(months[-1]), pd.Timestamp(months[-13])
    first, year_before = pd.Timestamp(months[0]), pd.Timestamp(months[-13])

    def trend():
        df = P[P.bucket.isin(OPEN) & (P.as_of <= last)]
        out = df.groupby("as_of").agg(loans=("balance", "size"), balance=("balance", "sum"))
        for k in (30, 60, 90):
            late = df[df.dpd > k].groupby("as_of")
            out[f"b{k}"], out[f"n{k}"] = late.balance.sum(), late.size()
        return out

    def pairs(lo, hi):
        src = P[(P.as_of >= lo) & (P.as_of <= hi)]
        a = src[src.bucket.isin(OPEN)][["loan_id", "as_of", "bucket", "balance"]].rename(columns={"bucket": "f"})
        a = a.assign(nxt=a.as_of + pd.offsets.MonthEnd(1))
        b = src[["loan_id", "as_of", "bucket"]].rename(columns={"as_of": "nxt", "bucket": "t"})
        return a.merge(b, on=["loan_id", "nxt"])

    def flow(lo, hi):
        src = P[(P.as_of >= lo) & (P.as_of <= hi) & (P.bucket != "paid_off")]
        b = src.groupby(["as_of", "bucket"]).balance.sum().unstack(fill_value=0.0)
        nxt = b.shift(-1)
        return pd.DataFrame({k: nxt[t] / b[k] for k, t in LADDER if k in b and t in b})

    def vintage(dpd, lo_cohort, hi, by_quarter=False, weight="count"):
        ev = P[(P.as_of <= hi) & ((P.dpd > dpd) | (P.bucket == "charged_off"))]
        firsts = ev.groupby("loan_id").as_of.min().rename("ev")
        lo = L[(L.cohort >= lo_cohort) & (L.cohort <= hi)].join(firsts, on="loan_id")
        lo["mob"] = (lo.ev.dt.year - lo.cohort.dt.year) * 12 + lo.ev.dt.month - lo.cohort.dt.month
        if by_quarter:
            lo["cohort"] = lo.cohort.dt.to_period("Q")
        val = "weight" if weight == "balance" else None
        size = lo.groupby("cohort")[val].sum() if val else lo.groupby("cohort").size()
        grouped = lo.dropna(subset=["mob"]).groupby(["cohort", "mob"])
        hits = (grouped[val].sum() if val else grouped.size()).groupby(level=0).cumsum()
        return hits / size.reindex(hits.index, level=0)

    return {
        "trend_30_60_90": trend,
        "matrix_12m_balance": lambda: pairs(year_before, last).groupby(["f", "t"]).balance.agg(["size", "sum"]),
        "roll_cure_balance_pit": lambda: pairs(first, pit).groupby(["nxt", "f", "t"]).balance.agg(["size", "sum"]),
        "flow_rates_pit": lambda: flow(first, pit), "waterfall_pit": lambda: flow(pd.Timestamp(months[-25]), pit),
        "vintage_ever30_pit": lambda: vintage(30, first, pit),
        "vintage_ever90_q_balance": lambda: vintage(90, first, last, True, "balance"),
        "vintage_table": lambda: vintage(30, first, last).unstack(),
    }


def main() -> None:
    ap = book_arguments(__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="figures to time (default all)")
    ap.add_argument("--no-frames", action="store_true", help="time DuckDB only (skip loading polars/pandas)")
    args = ap.parse_args()
    home = workspace(args)
    from analytics.portfolio import available_months
    from data import store
    con = store.reader(home).cursor()
    months = available_months(con)
    if len(months) < 25:
        sys.exit("the book needs at least 25 month-ends (as-of a year back, a 12-month waterfall window before it)")
    started = time.perf_counter()
    sides = [lw_figures(con, months), raw_figures(con, months)]
    if not args.no_frames:
        pl_frames, pd_frames, _ = load_frames(con, months)
        sides += [pl_figures(pl_frames, months), pd_figures(pd_frames, months)]
    loans, rows = con.execute("SELECT (SELECT count(*) FROM loans), (SELECT count(*) FROM performance)").fetchall()[0]
    print(f"book: {loans:,} loans, {rows:,} monthly rows, {len(months)} month-ends to {months[-1]}; as of (point in "
          f"time) {months[-13]}; frames loaded in {time.perf_counter() - started:.1f} s; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    names = [n for n in sides[0] if not args.only or n in args.only]
    print(f"\n{'figure (median warm ms)':28} {'loanwatch':>10} {'duckdb raw':>11} {'polars':>9} {'pandas':>9} "
          f"{'polars/lw':>10} {'pandas/lw':>10}")
    slow = []
    for name in names:
        t = [timed(side[name], args.repeat) if name in side else None for side in sides] + [None] * (4 - len(sides))
        if t[0] > 100:
            slow.append(name)
        print(f"{name:28} {fmt(t[0]):>10} {fmt(t[1]):>11} {fmt(t[2]):>9} {fmt(t[3]):>9} "
              f"{ratio(t[2], t[0]):>10} {ratio(t[3], t[0]):>10}", flush=True)
    print(f"\n{len(names) - len(slow)} of {len(names)} figures under 100 ms median warm"
          + (f"; over: {', '.join(slow)}" if slow else "") + f" (load average now {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
