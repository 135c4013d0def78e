"""Benchmark of the portfolio explorer's figures (analytics/explorer.py) on a demo book: each figure as the page gets
it (DuckDB, reading the publish-time summaries), the same from the raw monthly rows, and by polars and pandas where
the computation is a plain aggregate (segments by officer, top exposures).

    python bench/bench_explorer.py --home /tmp/lw-bench                 # the cached 1,000,000-loan book
    python bench/bench_explorer.py --loans 50000 --months 24 --home /tmp/lw-bench --repeat 5

The workspace comes from bench/bench_analytics.py (built and cached there when missing). A book published before
the explorer's summaries existed (summary_segments, summary_borrower_loans) gets them as temporary tables on the
read-only connection, built with the same queries as at publish (the build time is printed), so the timings are
those of a book published now. polars and pandas work on the month-end's rows loaded into memory before timing;
ratios are polars / DuckDB and pandas / DuckDB against the figure as the page gets it.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_analytics import book_arguments, fmt, ratio, timed, workspace  # noqa: E402


def add_explorer_summaries(con) -> float:
    """Seconds to build the explorer's summaries as temp tables when the stored book lacks them (0 if present)."""
    from analytics import summaries
    from analytics.filters import params
    have = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    started = time.perf_counter()
    first, last = con.execute("SELECT min(as_of), max(as_of) FROM performance").fetchall()[0]
    built = False
    for name in ("segments", "borrower_loans"):
        if f"summary_{name}" not in have:
            text = summaries.queries(summaries.SQL)[f"build_{name}"]
            con.execute(f"CREATE TEMP TABLE summary_{name} AS {text}",
                        summaries._used(text, dict(start=first, stop=last, **params(None))))
            built = True
    return time.perf_counter() - started if built else 0.0


def frames(con, as_of):
    """The month-end's open rows with the loan's officer and borrower, for polars and pandas (not timed)."""
    import polars as pl
    arrow = con.sql("SELECT p.loan_id, p.balance::DOUBLE AS balance, p.bucket, l.officer, l.borrower_id, l.region "
                    "FROM performance p JOIN loans l USING (loan_id) WHERE p.as_of = ? "
                    "AND p.bucket NOT IN ('charged_off', 'paid_off')", params=[as_of]).to_arrow_table()
    return pl.from_arrow(arrow), arrow.to_pandas()


def main() -> None:
    ap = book_arguments(__doc__.splitlines()[0])
    args = ap.parse_args()
    home = workspace(args)
    import polars as pl

    from analytics import explorer, summaries
    from data import store
    con = store.reader(home).cursor()
    print(f"book: {home.name}; summaries current: {summaries.available(con)}")
    built = add_explorer_summaries(con)
    if built:
        print(f"explorer summaries built as temp tables in {built:.1f} s (at publish they are built once)")
    as_of = summaries.month_ends(con)[-1]
    seg = explorer.segment_table(con, as_of, "officer")
    officer = seg["segment"].iloc[0]
    product = explorer.segment_table(con, as_of, "product")["segment"].iloc[0]
    loan = explorer.loan_list(con, as_of, "officer", officer).rows["loan_id"].iloc[0]
    region = explorer.segment_table(con, as_of, "region")["segment"].iloc[-1]
    from analytics.filters import Filters
    one_region = Filters(regions=(region,))
    plf, pdf = frames(con, as_of)
    over30 = ["current", "1-30"]

    def pl_officer():
        return (plf.with_columns(over=pl.when(~pl.col("bucket").is_in(over30)).then(pl.col("balance")).otherwise(0.0))
                .group_by("officer").agg(pl.len().alias("loans"), pl.col("balance").sum(), pl.col("over").sum()))

    def pd_officer():
        d = pdf.assign(over=pdf.balance.where(~pdf.bucket.isin(over30), 0.0))
        return d.groupby("officer", dropna=False).agg(loans=("loan_id", "size"), balance=("balance", "sum"),
                                                      over=("over", "sum"))

    def pl_top():
        return plf.group_by("borrower_id").agg(pl.len(), pl.col("balance").sum()).top_k(20, by="balance")

    def pd_top():
        return pdf.groupby("borrower_id")["balance"].agg(["size", "sum"]).nlargest(20, "sum")

    def pl_top_region():
        return (plf.filter(pl.col("region") == region).group_by("borrower_id")
                .agg(pl.len(), pl.col("balance").sum()).top_k(20, by="balance"))

    def pd_top_region():
        return pdf[pdf.region == region].groupby("borrower_id")["balance"].agg(["size", "sum"]).nlargest(20, "sum")

    def pl_list():
        return plf.filter(pl.col("officer") == officer).sort(["balance", "loan_id"], descending=[True, False]).head(500)

    def pd_list():
        return pdf[pdf.officer == officer].sort_values(["balance", "loan_id"], ascending=[False, True]).head(500)

    def raw(fn):
        def run():
            with summaries.raw_only():
                return fn()
        return run

    figures = {
        **{f"segments by {d}": (lambda d=d: explorer.segment_table(con, as_of, d)) for d in explorer.DIMENSIONS},
        "segments by cohort quarter": lambda: explorer.segment_table(con, as_of, "cohort", None, "quarter"),
        "loan list (officer, page 1)": lambda: explorer.loan_list(con, as_of, "officer", officer),
        "loan list (product, page 3, by DPD)": lambda: explorer.loan_list(con, as_of, "product", product,
                                                                          order="dpd", page=3),
        "one loan's history": lambda: explorer.loan_detail(con, loan, as_of),
        "loan list (officer, page 3, by DPD)": lambda: explorer.loan_list(con, as_of, "officer", officer,
                                                                          order="dpd", page=3),
        "top 20 exposures": lambda: explorer.top_exposures(con, as_of, None, 20),
        f"top 20 exposures, region {region}": lambda: explorer.top_exposures(con, as_of, one_region, 20),
    }
    compare = {"segments by officer": (pl_officer, pd_officer), "top 20 exposures": (pl_top, pd_top),
               f"top 20 exposures, region {region}": (pl_top_region, pd_top_region),
               "loan list (officer, page 1)": (pl_list, pd_list)}
    raw_too = {"segments by product", "segments by officer", "segments by cohort", "top 20 exposures",
               "loan list (officer, page 1)", "one loan's history"}
    print(f"month-end {as_of}; median of {args.repeat} warm runs, ms\n")
    print(f"{'figure':40} {'DuckDB':>9} {'raw rows':>9} {'polars':>9} {'pandas':>9} {'pl/duck':>8} {'pd/duck':>8}")
    for name, fn in figures.items():
        duck = timed(fn, args.repeat)
        rawms = timed(raw(fn), args.repeat) if name in raw_too else None
        plms, pdms = (timed(f, args.repeat) for f in compare[name]) if name in compare else (None, None)
        print(f"{name:40} {fmt(duck):>9} {fmt(rawms):>9} {fmt(plms):>9} {fmt(pdms):>9} "
              f"{ratio(plms, duck):>8} {ratio(pdms, duck):>8}", flush=True)


if __name__ == "__main__":
    main()
