"""Cross-checks on the real data sets: the analytics after an import equal the same figures computed with pandas
straight from the source files (Taiwan credit-card panel, LendingClub accepted-loans sample)."""
import numpy as np
import pandas as pd
import pytest

from analytics import delinquency, ecl, kpis, markov, summaries, vintage
from analytics.filters import Filters
from tests.unit.analytics_books import path
from tests.unit.real_books import BUCKETS, lc, lendingclub, lendingclub_rows, needs_real, taiwan, taiwan_rows, tw

__all__ = ["lc", "lendingclub", "taiwan", "tw"]     # fixtures (shared with test_analytics_real_pages.py)


@needs_real
@pytest.mark.parametrize("way", ["summary", "raw"])
def test_taiwan_bucket_distribution_per_month_equals_the_file(tw, way):
    assert summaries.available(tw)                  # the import built them
    want = taiwan_rows().groupby(["as_of", "bucket"]).agg(loans=("id", "size"), balance=("balance", "sum"))
    with path(way):
        trend = delinquency.bucket_trend(tw)
    got = trend.assign(as_of=trend.as_of.astype(str)).set_index(["as_of", "bucket"])
    got = got[got.loans > 0]
    assert got.loans.to_dict() == want.loans.to_dict()
    assert got.balance.to_dict() == pytest.approx(want.balance.astype(float).to_dict())
    assert want.loans.sum() == 7 * 30_000


@needs_real
def test_taiwan_delinquency_rates_equal_the_file(tw):
    df = taiwan_rows()
    trend = kpis.kpi_trend(tw, "2005-10").assign(as_of=lambda d: d.as_of.astype(str)).set_index("as_of")
    for as_of, g in df.groupby("as_of"):
        assert trend.at[as_of, "open_loans"] == 30_000
        assert trend.at[as_of, "dpd30_rate_balance"] == pytest.approx(g.balance[g.dpd > 30].sum() / g.balance.sum())
        assert trend.at[as_of, "dpd90_rate_count"] == pytest.approx((g.dpd > 90).mean())
    # pinned from the file: September 2005 (PAY_0), 30+ (PAY_0 >= 2) by count
    assert trend.at["2005-09-30", "dpd30_rate_count"] == pytest.approx(3_130 / 30_000)
    assert trend.at["2005-09-30", "dpd90_rate_count"] == pytest.approx(141 / 30_000)       # PAY_0 >= 4


@needs_real
@pytest.mark.parametrize("way", ["summary", "raw"])
def test_taiwan_ever30_vintage_equals_the_file(tw, way):
    df = taiwan_rows().sort_values(["id", "as_of"])
    first = df[df.dpd > 30].groupby("id").as_of.min()          # every line is dated 2005-04-01 by the adapter
    mob = first.map({m: i for i, m in enumerate(sorted(df.as_of.unique()))})
    want = [(mob <= k).sum() / 30_000 for k in range(7)]
    with path(way):
        v = vintage.vintage_curves(tw, "ever30")
    assert v.cohort.unique().tolist() == ["2005-04"]
    assert v.share.tolist() == pytest.approx(want)


@needs_real
def test_taiwan_markov_pd_equals_a_pandas_transition_matrix(tw):
    df = taiwan_rows().sort_values(["id", "as_of"])
    df["to"] = df.groupby("id").bucket.shift(-1)
    counts = pd.crosstab(df.bucket, df.to).reindex(index=BUCKETS, columns=BUCKETS, fill_value=0)
    p = counts.to_numpy(float)
    rows = p.sum(axis=1, keepdims=True)
    p = np.where(rows > 0, p / np.where(rows == 0, 1, rows), np.eye(8))
    p[4:] = np.eye(8)[4:]                                       # more than 90 DPD: default, absorbing
    dist = np.linalg.matrix_power(p, 12)
    want = dist[:, 4:].sum(axis=1)
    got = ecl.ecl_parameters(tw, "2005-10").set_index("bucket").pd_12m
    assert got.to_numpy() == pytest.approx(want)
    assert got["current"] == pytest.approx(want[0]) and 0 < got["current"] < 0.2


# ------------------------------------------------------------------------------------------------ LendingClub
@needs_real
@pytest.mark.parametrize("weight", ["count", "balance"])
def test_lendingclub_charge_off_vintage_equals_the_file(lc, weight):
    df = lendingclub_rows()
    first, last = df.snapshot.min(), df.snapshot.max()
    df = df[(df.cohort >= first) & (df.cohort <= last)]                 # cohorts inside the observed history
    df["mob"] = (df.snapshot.dt.year - df.cohort.dt.year) * 12 + df.snapshot.dt.month - df.cohort.dt.month
    want = {}
    for cohort, g in df.groupby("cohort"):
        w = g.funded if weight == "balance" else pd.Series(1.0, index=g.index)
        span = (last.year - cohort.year) * 12 + last.month - cohort.month
        want[cohort.strftime("%Y-%m")] = [w[g.charged_off & (g.mob <= k)].sum() / w.sum() for k in range(span + 1)]
    got = vintage.vintage_curves(lc, "charged_off", weight)
    assert sorted(want) == sorted(got.cohort.unique())
    for cohort, g in got.groupby("cohort"):
        assert g.share.tolist() == pytest.approx(want[cohort]), cohort
    with summaries.raw_only():
        assert vintage.vintage_curves(lc, "charged_off", weight).equals(got)


@needs_real
def test_lendingclub_lgd_and_charge_offs_equal_the_file(lc):
    df = lendingclub_rows()
    last = df.snapshot.max()
    recovered = df.recoveries[df.recovery_date <= last].sum()
    want = 1 - recovered / df.co_amount.sum()
    got = ecl.ecl_parameters(lc).set_index("bucket").lgd
    assert got["current"] == pytest.approx(want) and 0.8 < want < 1
    months = [m.date() for m in sorted(df.snapshot.unique())]
    frame = kpis.kpi_frame(lc, months, "all").set_index("as_of")
    by_month = df.groupby("snapshot").co_amount.sum()
    assert {d: frame.at[d, "charge_offs"] for d in months} == pytest.approx(
        {m.date(): v for m, v in by_month.items()})
    lgd = markov.lgd_by_product(markov.lgd_inputs(lc, last.date()), last.date(), ["consumer"])
    assert lgd[0] == pytest.approx(want)
    assert kpis.kpis(lc, None, Filters(products=("consumer",)))["open_loans"] == 0   # every sampled loan is closed
