"""Benchmark of the classification & provisioning figures (issue 4) on a published demo book, as the page gets them
(DuckDB over the publish-time summaries), beside the same figure by polars and pandas from the per-loan rows of the
month-end loaded into memory first (not timed), and the officer-input path (stored overrides applied on demand:
the few loans they touch classified again and the stored totals adjusted). The stored rows of the loans an
override names are kept per generation after the first call, as the month-end's PD curves and LGD are; the "new
override each call" lines name another loan at every call, which is what the first figure after adding an
override costs.

    python bench/bench_classification.py --home /tmp/lw-bench/loans-1000000-m36-s7 --repeat 7

--home is a workspace with a published book (LOANWATCH_HOME); nothing is built or written. Timings are the median
of --repeat warm runs after one untimed run; ratios are polars / DuckDB and pandas / DuckDB.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.bench_analytics import timed  # noqa: E402  (median of warm runs)
NPL = ["substandard", "doubtful", "loss"]
TIERS = ["normal", "special_mention", "substandard", "doubtful", "loss"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", default="/tmp/lw-bench/loans-1000000-m36-s7")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    os.environ["LOANWATCH_HOME"] = str(Path(args.home).resolve())
    import polars as pl
    from analytics import classification as cls, ecl, provisioning, summaries
    from data import store
    con = store.reader(Path(args.home).resolve()).cursor()
    months = summaries.month_ends(con)
    last, start = months[-1], months[max(0, len(months) - 13)]
    n = con.execute("SELECT count(*) FROM summary_loan_class WHERE as_of = ?", [last]).fetchall()[0][0]
    print(f"book: {args.home}; month-end {last}; {n:,} open loans; summaries stored: {summaries.available(con)}")
    rows = con.sql("SELECT loan_id, product, dpd, balance::DOUBLE AS balance, tier, rule, stage, ecl, ead "
                   "FROM summary_loan_class WHERE as_of = $d", params={"d": last}).to_arrow_table()
    pldf, pddf = pl.from_arrow(rows), rows.to_pandas()
    first = con.sql("SELECT loan_id, tier, stage, balance::DOUBLE AS balance FROM summary_loan_class WHERE as_of = $d",
                    params={"d": start}).to_arrow_table()
    closed = con.sql("SELECT loan_id, state FROM summary_closures WHERE as_of > $a AND as_of <= $b",
                     params={"a": start, "b": last}).to_arrow_table()
    pl_first, pd_first, pl_closed, pd_closed = pl.from_arrow(first), first.to_pandas(), pl.from_arrow(closed), \
        closed.to_pandas()
    product = con.sql("SELECT product FROM summary_loan_class WHERE as_of = $d GROUP BY 1 ORDER BY count(*) LIMIT 1",
                      params={"d": last}).fetchall()[0][0]
    from analytics.filters import Filters
    one_product = Filters(products=(product,))
    lid = con.sql("SELECT loan_id FROM summary_loan_class WHERE as_of = $d AND tier = 'normal' LIMIT 1",
                  params={"d": last}).fetchall()[0][0]
    ovr = ((lid, "doubtful", "bench"),)
    # a business borrower's loan among its others (contagion re-classifies them all), and a new override on another
    # loan at every call: nothing computed from the inputs is kept, so this is what a new override costs
    group = con.sql("SELECT m.loan_id FROM summary_borrower_loans m JOIN loans l USING (loan_id) JOIN borrowers b "
                    "ON b.borrower_id = l.borrower_id JOIN summary_loan_class c ON c.loan_key = m.loan_key "
                    "AND c.as_of = $d WHERE b.borrower_type = 'business' AND c.tier = 'normal' "
                    "ORDER BY m.loan_id LIMIT 1", params={"d": last}).fetchall()
    group_ovr = ((group[0][0], "doubtful", "bench"),) if group else ovr
    fresh = iter(con.sql("SELECT loan_id FROM summary_loan_class WHERE as_of = $d AND tier = 'normal' "
                         "ORDER BY loan_key LIMIT 400", params={"d": last}).fetchall())

    def new_override():
        return ((next(fresh)[0], "doubtful", "bench"),)

    def pl_tiers():
        return pldf.group_by("tier").agg(pl.len(), pl.col("balance").sum())

    def pd_tiers():
        return pddf.groupby("tier")["balance"].agg(["size", "sum"])

    def pl_stages():
        return pldf.group_by("stage").agg(pl.len(), pl.col("balance").sum(), pl.col("ead").sum(), pl.col("ecl").sum())

    def pd_stages():
        return pddf.groupby("stage")[["balance", "ead", "ecl"]].sum()

    def pl_ecl_product():
        return pldf.group_by(["product", "stage"]).agg(pl.col("ecl").sum(), pl.col("balance").sum())

    def pd_ecl_product():
        return pddf.groupby(["product", "stage"])[["ecl", "balance"]].sum()

    order = {t: i for i, t in enumerate(TIERS)}

    def pl_page():
        return pldf.with_columns(pl.col("tier").replace_strict(order).alias("sev")) \
            .sort(["sev", "ecl", "loan_id"], descending=[True, True, False]).head(200)

    def pd_page():
        d = pddf.assign(sev=pddf["tier"].map(order))
        return d.sort_values(["sev", "ecl", "loan_id"], ascending=[False, False, True]).head(200)

    def pl_migration(by):
        end = pldf.select("loan_id", pl.col(by).cast(pl.String).alias("to"))
        shut = pl_closed.select("loan_id", pl.col("state").alias("shut"))
        return (pl_first.join(end, on="loan_id", how="left").join(shut, on="loan_id", how="left")
                .with_columns(pl.coalesce("to", "shut").alias("to")).drop_nulls("to")
                .group_by(by, "to").agg(pl.len(), pl.col("balance").sum()))

    def pd_migration(by):
        end = pddf[["loan_id", by]].rename(columns={by: "to"})
        d = pd_first.merge(end, on="loan_id", how="left").merge(pd_closed, on="loan_id", how="left")
        d["to"] = d["to"].astype(object).where(d["to"].notna(), d["state"])
        return d.dropna(subset=["to"]).groupby([by, "to"])["balance"].agg(["size", "sum"])

    cases = [
        ("tier totals (tier_summary)", lambda: cls.tier_summary(con, last), pl_tiers, pd_tiers),
        ("stage + ECL totals (stage_summary)", lambda: ecl.stage_summary(con, last), pl_stages, pd_stages),
        ("ECL by product x stage (ecl_summary)", lambda: ecl.ecl_summary(con, last), pl_ecl_product,
         pd_ecl_product),
        ("ECL parameters (Markov PD, LGD)", lambda: ecl.ecl_parameters(con, last), None, None),
        (f"tier migration {start}->{last}", lambda: cls.migration(con, start, last, "tier"),
         lambda: pl_migration("tier"), lambda: pd_migration("tier")),
        (f"stage migration {start}->{last}", lambda: cls.migration(con, start, last, "stage"),
         lambda: pl_migration("stage"), lambda: pd_migration("stage")),
        (f"NPL reconciliation {start}->{last}", lambda: cls.npl_reconciliation(con, start, last), None, None),
        ("loan list: count", lambda: cls.loan_list_count(con, last), None, None),
        ("loan list: page 1 (200 rows)", lambda: cls.loan_list(con, last), pl_page, pd_page),
        ("loan list: page 50, tier=normal", lambda: cls.loan_list(con, last, tier="normal", page=49), None, None),
        ("loan list: rule=contagion", lambda: cls.loan_list(con, last, rule="contagion"), None, None),
        (f"loan list: page {n // 200} (near the end)", lambda: cls.loan_list(con, last, page=n // 200 - 1), None,
         None),
        (f"loan list: page 300, product={product}", lambda: cls.loan_list(con, last, one_product, page=299),
         None, None),
        ("tier totals with 1 stored override", lambda: cls.tier_summary(con, last, overrides=ovr), None, None),
        ("stage totals with 1 override + 1 watch", lambda: ecl.stage_summary(con, last, overrides=ovr,
                                                                               watch_list=(lid,)), None, None),
        ("loan list page with 1 override", lambda: cls.loan_list(con, last, overrides=ovr), None, None),
        ("tier migration with 1 override", lambda: cls.migration(con, start, last, "tier", overrides=ovr), None,
         None),
        ("NPL reconciliation with 1 override", lambda: cls.npl_reconciliation(con, start, last, overrides=ovr),
         None, None),
        ("loan list count with 1 override", lambda: cls.loan_list_count(con, last, overrides=ovr), None, None),
        ("stage migration with 1 override + 1 watch", lambda: cls.migration(con, start, last, "stage", overrides=ovr,
                                                                            watch_list=(lid,)), None, None),
        ("tier totals, business borrower override", lambda: cls.tier_summary(con, last, overrides=group_ovr),
         None, None),
        ("NPL reconciliation, new override each call", lambda: cls.npl_reconciliation(
            con, start, last, overrides=new_override()), None, None),
        ("tier totals, new override each call", lambda: cls.tier_summary(con, last, overrides=new_override()),
         None, None),
        ("loan list page, new override each call", lambda: cls.loan_list(con, last, overrides=new_override()),
         None, None),
    ]
    if hasattr(provisioning, "MonthContext"):          # once per month-end and generation, then kept
        cases.append(("PD curves + LGD of a month-end (kept)", lambda: provisioning.MonthContext(con, last), None,
                      None))
    print(f"{'figure':44} {'duckdb ms':>10} {'polars ms':>10} {'pandas ms':>10} {'pl/db':>6} {'pd/db':>6}")
    for name, db, plf, pdf in cases:
        d = timed(db, args.repeat)
        p = timed(plf, args.repeat) if plf else None
        q = timed(pdf, args.repeat) if pdf else None
        fmt = lambda v: f"{v:10.1f}" if v is not None else f"{'-':>10}"   # noqa: E731
        ratio = lambda v: f"{v / d:6.1f}" if v is not None else f"{'-':>6}"   # noqa: E731
        print(f"{name:44} {d:10.1f} {fmt(p)} {fmt(q)} {ratio(p)} {ratio(q)}", flush=True)


if __name__ == "__main__":
    main()
