"""Benchmark of the portfolio analytics (issue 4) on a demo book: each figure as the pages get it (DuckDB reading the
summaries built at publish), the same figure by DuckDB from the raw monthly rows, and by polars and pandas.

    python bench/bench_analytics.py                          # 1,000,000 loans, 36 month-ends (builds ~5-8 min)
    python bench/bench_analytics.py --loans 50000 --home /tmp/lw-bench --repeat 9

The built workspace is cached under --home (default ./var/bench, git-ignored) as loans-<n>-m<months>-s<seed>/, so a
rerun reuses it; a cached book published before the summaries existed gets them added in a new generation.
Timings are the median of --repeat warm runs (one untimed run first). polars and pandas work on the rows loaded
into memory before timing (performance with the loan's segment; the per-loan classification rows for the tiers,
stages and ECL, which come from the engine at publish time in every column); ratios are polars / DuckDB and
pandas / DuckDB against the figure as the pages get it.
"""
from __future__ import annotations

import argparse
import base64
import gc
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OPEN = ["current", "1-30", "31-60", "61-90", "91-120", "121-150", "151-180", "180+"]
NPL = ["substandard", "doubtful", "loss"]


def workspace(args) -> Path:
    home = Path(args.home).resolve() / f"loans-{args.loans}-m{args.months}-s{args.seed}"
    home.mkdir(parents=True, exist_ok=True)
    os.environ["LOANWATCH_HOME"] = str(home)
    os.environ.setdefault("LOANWATCH_SECRETS_FILE", str(home / "secrets.toml"))
    os.environ.setdefault("LOANWATCH_SECRET_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
    from analytics import summaries
    from data import store
    say = lambda m: print(f"  [{time.strftime('%H:%M:%S')}] {m}", file=sys.stderr, flush=True)  # noqa: E731
    if not store.has_data(home):
        from data.demo import build_demo
        print(f"building the demo book in {home} ...", file=sys.stderr)
        build_demo(args.loans, months=args.months, seed=args.seed, home=home, progress=say)
    elif not summaries.available(store.reader(home).cursor()):
        print(f"adding summaries to the cached book in {home} ...", file=sys.stderr)
        store.reader(home).close()
        with store.new_generation(home) as con:
            summaries.build(con, say)
    return home


def timed(fn, repeat: int) -> float:
    """Median wall milliseconds of `repeat` warm runs (fewer when one run takes seconds)."""
    fn()
    runs = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
        if runs[-1] > 3000 and len(runs) >= 2:
            break
    return statistics.median(runs)


def load_frames(con, months):
    """The rows polars and pandas work on (not timed)."""
    import polars as pl
    last, prev, year = months[-1], months[-2], months[-13] if len(months) > 12 else months[0]
    perf = con.sql("SELECT p.loan_id, p.as_of, p.balance::DOUBLE AS balance, p.dpd, p.bucket, l.product, l.region, "
                   "l.branch FROM performance p JOIN loans l USING (loan_id)").to_arrow_table()
    loans = con.sql("SELECT loan_id, last_day(origination_date) AS cohort, "
                    "coalesce(nullif(principal, 0), credit_limit, 0)::DOUBLE AS weight FROM loans").to_arrow_table()
    cls = con.sql("SELECT loan_id, as_of, balance::DOUBLE AS balance, tier, stage, ecl FROM summary_loan_class "
                  "WHERE as_of IN (?, ?, ?)", params=[year, prev, last]).to_arrow_table()
    pays = con.sql("SELECT payment_date, amount::DOUBLE AS amount FROM payments").to_arrow_table()
    frames = {"perf": perf, "loans": loans, "cls": cls, "pays": pays}
    return ({k: pl.from_arrow(v) for k, v in frames.items()},
            {k: v.to_pandas(date_as_object=False) for k, v in frames.items()}, (year, prev, last))


# ---------------------------------------------------------------------------------------------- polars
def pl_figures(f, when, months):
    import polars as pl
    year, prev, last = when
    P, C = f["perf"], f["cls"]
    open_ = pl.col("bucket").is_in(OPEN)

    def rates(df, by):
        return df.filter(open_).group_by(by).agg(
            pl.len().alias("loans"), pl.col("balance").sum(),
            *[pl.col("balance").filter(pl.col("dpd") > k).sum().alias(f"b{k}") for k in (30, 60, 90)],
            *[(pl.col("dpd") > k).sum().alias(f"n{k}") for k in (30, 60, 90)])

    def kpis():
        r = rates(P.filter(pl.col("as_of").is_in([year, prev, last])), "as_of")
        c = C.group_by("as_of").agg(pl.col("balance").filter(pl.col("tier").is_in(NPL)).sum().alias("npl"),
                                    pl.col("ecl").sum())
        lo, hi = last.replace(day=1), last
        paid = f["pays"].filter(pl.col("payment_date").is_between(lo, hi))["amount"].sum()
        return r.join(c, on="as_of"), paid

    def pairs(df_from, df_to):
        a = df_from.filter(open_).select("loan_id", "as_of", pl.col("bucket").alias("f"), "balance")
        a = a.with_columns(pl.col("as_of").dt.offset_by("1mo").dt.month_end().alias("nxt"))
        b = df_to.select("loan_id", pl.col("as_of").alias("nxt"), pl.col("bucket").alias("t"))
        return a.join(b, on=["loan_id", "nxt"])

    def matrix_last():
        return pairs(P.filter(pl.col("as_of") == prev), P.filter(pl.col("as_of") == last)).group_by("f", "t").agg(
            pl.len(), pl.col("balance").sum())

    def matrix_all():
        return pairs(P, P).group_by("f", "t").agg(pl.len(), pl.col("balance").sum())

    def roll_cure():
        return pairs(P, P).group_by("nxt", "f", "t").agg(pl.len(), pl.col("balance").sum())

    def vintage60():
        first = P.filter((pl.col("dpd") > 60) | (pl.col("bucket") == "charged_off")).group_by("loan_id").agg(
            pl.col("as_of").min().alias("ev"))
        lo = f["loans"].filter(pl.col("cohort").is_between(months[0], months[-1])).join(first, on="loan_id",
                                                                                         how="left")
        lo = lo.with_columns(((pl.col("ev").dt.year() - pl.col("cohort").dt.year()) * 12
                              + pl.col("ev").dt.month() - pl.col("cohort").dt.month()).alias("mob"))
        size = lo.group_by("cohort").agg(pl.len().alias("n"))
        hits = lo.drop_nulls("mob").group_by("cohort", "mob").agg(pl.len().alias("k")).sort("cohort", "mob")
        return hits.with_columns(pl.col("k").cum_sum().over("cohort")).join(size, on="cohort")

    def migration():
        a = C.filter(pl.col("as_of") == prev).select("loan_id", pl.col("tier").alias("f"), "balance")
        b = C.filter(pl.col("as_of") == last).select("loan_id", pl.col("tier").alias("t"))
        return a.join(b, on="loan_id").group_by("f", "t").agg(pl.len(), pl.col("balance").sum())

    return {
        "kpis": kpis,
        "bucket_distribution": lambda: P.filter((pl.col("as_of") == last) & open_).group_by("bucket").agg(
            pl.len(), pl.col("balance").sum()),
        "trend_24m": lambda: rates(P.filter(pl.col("as_of") > months[-25] if len(months) > 24 else pl.lit(True)),
                                   "as_of"),
        "bucket_trend": lambda: P.filter(open_).group_by("as_of", "bucket").agg(pl.len(), pl.col("balance").sum()),
        "matrix_latest": matrix_last, "matrix_history": matrix_all, "roll_cure_history": roll_cure,
        "flow_rates": lambda: P.group_by("as_of", "bucket").agg(pl.col("balance").sum()),
        "vintage_ever60": vintage60,
        "tier_summary": lambda: C.filter(pl.col("as_of") == last).group_by("tier").agg(pl.len(),
                                                                                      pl.col("balance").sum()),
        "stage_ecl": lambda: C.filter(pl.col("as_of") == last).group_by("stage").agg(
            pl.len(), pl.col("balance").sum(), pl.col("ecl").sum()),
        "tier_migration": migration,
    }


# ---------------------------------------------------------------------------------------------- pandas
def pd_figures(f, when, months):
    import pandas as pd
    year, prev, last = when
    P, C = f["perf"], f["cls"]
    ts = {k: pd.Timestamp(v) for k, v in (("year", year), ("prev", prev), ("last", last))}

    def rates(df):
        df = df[df.bucket.isin(OPEN)]
        out = df.groupby("as_of").agg(loans=("balance", "size"), balance=("balance", "sum"))
        for k in (30, 60, 90):
            late = df[df.dpd > k].groupby("as_of")
            out[f"b{k}"], out[f"n{k}"] = late.balance.sum(), late.size()
        return out

    def kpis():
        r = rates(P[P.as_of.isin([ts["year"], ts["prev"], ts["last"]])])
        c = C.assign(npl=C.balance.where(C.tier.isin(NPL), 0.0)).groupby("as_of")[["npl", "ecl"]].sum()
        d = f["pays"].payment_date
        paid = f["pays"].amount[(d >= ts["last"].replace(day=1)) & (d <= ts["last"])].sum()
        return r.join(c), paid

    def pairs(a, b):
        a = a[a.bucket.isin(OPEN)][["loan_id", "as_of", "bucket", "balance"]].rename(columns={"bucket": "f"})
        a = a.assign(nxt=a.as_of + pd.offsets.MonthEnd(1))
        b = b[["loan_id", "as_of", "bucket"]].rename(columns={"as_of": "nxt", "bucket": "t"})
        return a.merge(b, on=["loan_id", "nxt"])

    def vintage60():
        first = P[(P.dpd > 60) | (P.bucket == "charged_off")].groupby("loan_id").as_of.min().rename("ev")
        lo = f["loans"]
        lo = lo[(lo.cohort >= ts["year"] - pd.offsets.MonthEnd(len(months))) & (lo.cohort <= ts["last"])]
        lo = lo.join(first, on="loan_id")
        lo["mob"] = (lo.ev.dt.year - lo.cohort.dt.year) * 12 + lo.ev.dt.month - lo.cohort.dt.month
        hits = lo.dropna(subset=["mob"]).groupby(["cohort", "mob"]).size().groupby(level=0).cumsum()
        return hits / lo.groupby("cohort").size().reindex(hits.index, level=0)

    def migration():
        a = C[C.as_of == ts["prev"]][["loan_id", "tier", "balance"]]
        b = C[C.as_of == ts["last"]][["loan_id", "tier"]]
        return a.merge(b, on="loan_id", suffixes=("_f", "_t")).groupby(["tier_f", "tier_t"]).balance.agg(
            ["size", "sum"])

    latest = lambda: C[C.as_of == ts["last"]]  # noqa: E731
    return {
        "kpis": kpis,
        "bucket_distribution": lambda: P[(P.as_of == ts["last"]) & P.bucket.isin(OPEN)].groupby("bucket").balance
        .agg(["size", "sum"]),
        "trend_24m": lambda: rates(P[P.as_of > ts["last"] - pd.offsets.MonthEnd(24)]),
        "bucket_trend": lambda: P[P.bucket.isin(OPEN)].groupby(["as_of", "bucket"]).balance.agg(["size", "sum"]),
        "matrix_latest": lambda: pairs(P[P.as_of == ts["prev"]], P[P.as_of == ts["last"]]).groupby(["f", "t"])
        .balance.agg(["size", "sum"]),
        "matrix_history": lambda: pairs(P, P).groupby(["f", "t"]).balance.agg(["size", "sum"]),
        "roll_cure_history": lambda: pairs(P, P).groupby(["nxt", "f", "t"]).balance.agg(["size", "sum"]),
        "flow_rates": lambda: P.groupby(["as_of", "bucket"]).balance.sum(),
        "vintage_ever60": vintage60,
        "tier_summary": lambda: latest().groupby("tier").balance.agg(["size", "sum"]),
        "stage_ecl": lambda: latest().groupby("stage")[["balance", "ecl"]].agg(["size", "sum"]),
        "tier_migration": migration,
    }


# ---------------------------------------------------------------------------------------------- loanwatch
def lw_figures(con, when):
    """Each figure as the pages and the CLI get it (the summaries built at publish)."""
    from analytics import classification, delinquency, ecl, flows, kpis, vintage
    year, prev, last = when
    return {
        "kpis": lambda: kpis.kpis(con),
        "bucket_distribution": lambda: delinquency.bucket_distribution(con),
        "trend_24m": lambda: kpis.kpi_trend(con, months=24),
        "bucket_trend": lambda: delinquency.bucket_trend(con),
        "matrix_latest": lambda: delinquency.roll_rates_long(con, prev, last),
        "matrix_history": lambda: delinquency.roll_rates_long(con),
        "roll_cure_history": lambda: flows.roll_cure_rates(con),
        "flow_rates": lambda: flows.flow_rates(con),
        "flow_waterfall": lambda: flows.flow_waterfall(con),
        "vintage_ever60": lambda: vintage.vintage_curves(con, "ever60"),
        "vintage_ever30_quarter_balance": lambda: vintage.vintage_curves(con, "ever30", "balance", "quarter"),
        "tier_summary": lambda: classification.tier_summary(con),
        "stage_ecl": lambda: ecl.stage_summary(con),
        "ecl_by_product": lambda: ecl.ecl_summary(con),
        "tier_migration": lambda: classification.migration(con, prev, last),
        "npl_movement_12m": lambda: classification.npl_movement(con, year, last),
        "kpi_movers_branch": lambda: kpis.kpi_movers(con, by="branch"),
    }


def raw_figures(con, when):
    """The same figures by DuckDB from the raw rows (classification figures: from the per-loan rows, as in polars
    and pandas; computing the tiers themselves takes the engine's walk over the whole history)."""
    from analytics import delinquency, flows, summaries, vintage
    year, prev, last = when

    def raw(fn):
        def run():
            with summaries.raw_only():
                return fn()
        return run

    def sql(text, *params):
        return lambda: con.sql(text, params=list(params) or None).fetchall()
    return {
        "kpis": lambda: (sql("SELECT as_of, count(*), sum(balance), sum(balance) FILTER (WHERE dpd > 30), "
                             "sum(balance) FILTER (WHERE dpd > 60), sum(balance) FILTER (WHERE dpd > 90), "
                             "count(*) FILTER (WHERE dpd > 30), count(*) FILTER (WHERE dpd > 60), "
                             "count(*) FILTER (WHERE dpd > 90) FROM performance WHERE as_of IN (?, ?, ?) AND bucket "
                             "NOT IN ('charged_off', 'paid_off') GROUP BY as_of", year, prev, last)(),
                         sql("SELECT as_of, sum(balance) FILTER (WHERE tier IN ('substandard', 'doubtful', 'loss')),"
                             " sum(ecl) FROM summary_loan_class WHERE as_of IN (?, ?, ?) GROUP BY 1",
                             year, prev, last)(),
                         sql("SELECT sum(amount) FROM payments WHERE payment_date BETWEEN ? AND ?",
                             last.replace(day=1), last)()),
        "bucket_distribution": raw(lambda: delinquency.bucket_distribution(con)),
        "trend_24m": raw(lambda: delinquency.delinquency_trend(con)),
        "bucket_trend": raw(lambda: delinquency.bucket_trend(con)),
        "matrix_latest": raw(lambda: delinquency.roll_rates_long(con, prev, last)),
        "matrix_history": raw(lambda: delinquency.roll_rates_long(con)),
        "roll_cure_history": raw(lambda: flows.roll_cure_rates(con)),
        "flow_rates": raw(lambda: flows.flow_rates(con)),
        "vintage_ever60": raw(lambda: vintage.vintage_curves(con, "ever60")),
        "tier_summary": sql("SELECT tier, count(*), sum(balance) FROM summary_loan_class WHERE as_of = ? "
                            "GROUP BY 1", last),
        "stage_ecl": sql("SELECT stage, count(*), sum(balance), sum(ecl) FROM summary_loan_class WHERE as_of = ? "
                         "GROUP BY 1", last),
        "tier_migration": sql("SELECT a.tier, b.tier, count(*), sum(a.balance) FROM summary_loan_class a JOIN "
                              "summary_loan_class b ON a.loan_id = b.loan_id AND a.as_of = ? AND b.as_of = ? "
                              "GROUP BY ALL", prev, last),
    }


def fmt(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:,.1f}"


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or not b else f"{a / b:,.1f}x"


def book_arguments(description: str, repeat: int = 7,
                   repeat_help: str = "timed warm runs per figure (median)") -> argparse.ArgumentParser:
    """The options every benchmark over a cached demo book shares (workspace() reads them)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--loans", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--home", default=str(ROOT / "var" / "bench"), help="cache folder of built workspaces")
    ap.add_argument("--repeat", type=int, default=repeat, help=repeat_help)
    return ap


def main() -> None:
    ap = book_arguments(__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="figures to time (default all)")
    args = ap.parse_args()
    home = workspace(args)
    from data import store
    from analytics.portfolio import available_months
    con = store.reader(home).cursor()
    months = available_months(con)
    started = time.perf_counter()
    pl_frames, pd_frames, when = load_frames(con, months)
    rows = con.execute("SELECT (SELECT count(*) FROM loans), (SELECT count(*) FROM performance), "
                       "(SELECT value FROM summary_meta WHERE key = 'seconds')").fetchall()[0]
    print(f"book: {rows[0]:,} loans, {rows[1]:,} monthly rows, {len(months)} month-ends to {months[-1]}; "
          f"summaries built in {rows[2]} s at publish; polars/pandas frames loaded in "
          f"{time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    sides = [lw_figures(con, when), raw_figures(con, when), pl_figures(pl_frames, when, months),
             pd_figures(pd_frames, when, months)]
    names = [n for n in sides[0] if not args.only or n in args.only]
    print(f"\n{'figure (median warm ms)':32} {'loanwatch':>10} {'duckdb raw':>11} {'polars':>9} {'pandas':>9} "
          f"{'polars/lw':>10} {'pandas/lw':>10}")
    slow = []
    for name in names:
        t = [timed(side[name], args.repeat) if name in side else None for side in sides]
        if t[0] > 100:
            slow.append(name)
        print(f"{name:32} {fmt(t[0]):>10} {fmt(t[1]):>11} {fmt(t[2]):>9} {fmt(t[3]):>9} "
              f"{ratio(t[2], t[0]):>10} {ratio(t[3], t[0]):>10}", flush=True)
    print(f"\n{len(names) - len(slow)} of {len(names)} figures under 100 ms median warm"
          + (f"; over: {', '.join(slow)}" if slow else "") + f" (load average now {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
