"""Cross-checks of the page figures on the real data sets: executive overview KPIs (analytics/kpis.py), portfolio
explorer (analytics/explorer.py), five-tier classification, IFRS 9 stages and ECL (analytics/classification.py,
ecl.py), and roll / cure / flow rates (analytics/flows.py), each against the same figure computed with pandas
straight from the source file (tests/unit/real_books.py reads them; no project code computes an expectation).

Data sets: Taiwan credit-card panel (7 month-ends April-October 2005, 30,000 card lines, one product, no region,
branch, officer or grade); LendingClub accepted-loans sample (1,000 resolved loans: no open loan at any month-end,
so only the flows and one loan's history are defined); OpenIntro's LendingClub loans_full_schema (10,000 loans at
one 2018-06-30 snapshot: states, grades and issue months, so the segment figures, but no transitions).
Agreement is exact for counts and within 1e-9 relative for money and rates.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

import config
from analytics import classification, ecl, explorer, flows, kpis
from tests.unit.analytics_books import path
from tests.unit.real_books import (BUCKETS, LC, OPENINTRO, TAIWAN, lc, lendingclub, lendingclub_rows, needs_real,
                                   oi, openintro, openintro_rows, taiwan, taiwan_rows, tw)

__all__ = ["lc", "lendingclub", "oi", "openintro", "taiwan", "tw"]      # session-wide imports (real_books.py)
pytestmark = needs_real

TW_ENDS = ["2005-04-30", "2005-05-31", "2005-06-30", "2005-07-31", "2005-08-31", "2005-09-30", "2005-10-31"]
TIERS = ["normal", "special_mention", "substandard", "doubtful", "loss"]
# the policy as DOMAIN.md states it, with the defaults of config.py (checked in test_policy_is_the_default)
CARD_LGD = 0.75          # lgd_table card=0.75: Taiwan has no charge-offs, so the book LGD falls back to the table
CCF = 0.5                # revolving_ccf: EAD = balance + 0.5 x undrawn limit
LIFETIME = 36            # default_lifetime_months: a card line has no maturity
REL = 1e-9


def close(want):
    return pytest.approx(want, rel=REL, abs=1e-9, nan_ok=True)


def d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def test_policy_is_the_default(tw):
    """The constants above are what the imported workspace runs with."""
    s = config.setting
    assert (s("lgd_source"), s("revolving_ccf"), s("default_lifetime_months"), s("pd_window_months")) == \
        ("book", CCF, LIFETIME, 12)
    assert "card=0.75" in s("lgd_table")
    assert (s("technical_grace_days"), tuple(s("tier_dpd_floors")), tuple(s("card_dpd_floors"))) == \
        (7, (90, 270, 360), (90, 120, 180))
    assert (s("ecl_floor_doubtful"), s("ecl_floor_loss"), s("stage2_dpd"), s("stage3_dpd")) == (0.5, 0.9, 30, 90)


# ------------------------------------------------------------------------ Taiwan: tiers, stages, ECL by pandas
@lru_cache(maxsize=None)
def tw_default_curves(as_of: str) -> np.ndarray:
    """[bucket, n] = P(more than 90 DPD within n months), n = 0..36, from a count-weighted bucket transition matrix
    of the consecutive month-end pairs ending at or before `as_of` (all within the 12-month window here). A bucket
    never observed at t stays put (April: no pair yet, so no default from a non-default bucket); 91-120 and worse
    is default, absorbing. Taiwan has no charged_off or paid_off rows."""
    df = taiwan_rows().sort_values(["id", "as_of"])
    df["to"], df["end"] = df.groupby("id").bucket.shift(-1), df.groupby("id").as_of.shift(-1)
    pairs = df[df.end.notna() & (df.end <= as_of)]
    counts = np.zeros((8, 8))
    if len(pairs):
        counts = pd.crosstab(pairs.bucket, pairs.to).reindex(index=BUCKETS, columns=BUCKETS, fill_value=0) \
            .to_numpy(float)
    rows = counts.sum(axis=1, keepdims=True)
    p = np.where(rows > 0, counts / np.where(rows == 0, 1, rows), np.eye(8))
    p[4:] = np.eye(8)[4:]
    out, dist = np.empty((8, LIFETIME + 1)), np.eye(8)
    for n in range(LIFETIME + 1):
        out[:, n] = dist[:, 4:].sum(axis=1)
        dist = dist @ p
    return out


@lru_cache(maxsize=None)
def tw_classified(as_of: str) -> pd.DataFrame:
    """Per card line at a month-end, DOMAIN.md's rules: card floors (1-90 DPD Special mention, 91-120 Substandard,
    121-180 Doubtful, over 180 Loss); ECL at least 50% / 90% of the balance -> Doubtful / Loss, the ECL on the drawn
    balance (PD x LGD x balance, so the ratio is PD x LGD); stage 3 over 90 DPD or Substandard and worse, stage 2
    over 30 DPD; PD 12-month in stage 1, lifetime (36 months) otherwise; EAD = balance + CCF x undrawn limit.
    Taiwan has no restructuring, no business borrowers (no contagion) and no officer inputs. Iterated to a fixed
    point, since the ECL floor moves the stage and the stage the PD."""
    g = taiwan_rows().query("as_of == @as_of").reset_index(drop=True)
    dpd, b = g.dpd.to_numpy(), g.bucket.map(BUCKETS.index).to_numpy()
    curves = tw_default_curves(as_of)
    floor = np.select([dpd > 180, dpd > 120, dpd > 90, dpd > 0], [4, 3, 2, 1], 0)
    ead = g.balance + CCF * (g.limit - g.balance).clip(lower=0)
    tier = floor
    while True:
        stage = np.select([(dpd > 90) | (tier >= 2), dpd > 30], [3, 2], 1)
        pd_ = np.where(stage == 1, curves[b, 12], curves[b, LIFETIME])
        ratio = np.where(ead > 0, pd_ * CARD_LGD, 0.0)
        new = np.maximum(floor, np.select([ratio >= 0.9, ratio >= 0.5], [4, 3], 0))
        if (new == tier).all():
            break
        tier = new
    return g.assign(loan_id="TW-" + g.id.astype(str), tier=np.array(TIERS)[tier], tier_no=tier, stage=stage,
                    pd=pd_, ead=ead, ecl=pd_ * CARD_LGD * ead)


def tw_kpis(as_of: str) -> dict:
    """The overview KPIs of one month-end from the file (DOMAIN.md definitions)."""
    g = tw_classified(as_of)
    bal = g.balance.sum()
    npl = g.balance[g.tier_no >= 2].sum()
    rows = taiwan_rows().query("as_of == @as_of")
    out = {"open_loans": len(g), "outstanding_balance": float(bal), "npl_balance": float(npl),
           "npl_ratio": npl / bal, "ecl": g.ecl.sum(), "coverage_ratio": g.ecl.sum() / npl if npl else None,
           # every line is dated 2005-04-01 by the adapter (the opening date is not in the file); principal 0
           "new_loans": 30_000 if as_of == "2005-04-30" else 0, "new_disbursements": 0.0,
           "collections": float(rows.paid.fillna(0).sum()),      # PAY_AMT of the month; none for October
           "charge_offs": 0.0, "recoveries": 0.0}                # the file has no charge-off or recovery
    for n in (30, 60, 90):
        out[f"dpd{n}_rate_balance"] = g.balance[g.dpd > n].sum() / bal
        out[f"dpd{n}_rate_count"] = (g.dpd > n).mean()
    return out


def test_taiwan_overview_kpis_equal_the_file(tw):
    trend = kpis.kpi_trend(tw, "2005-10").assign(as_of=lambda x: x.as_of.astype(str)).set_index("as_of")
    assert trend.index.tolist() == TW_ENDS
    for as_of in TW_ENDS:
        want = tw_kpis(as_of)
        got = trend.loc[as_of, list(want)].to_dict()
        assert got == close({k: np.nan if v is None else v for k, v in want.items()}), as_of
    sep, aug = tw_kpis("2005-09-30"), tw_kpis("2005-08-31")
    k = kpis.kpis(tw, "2005-09")
    assert {n: k[n] for n in sep} == close(sep)
    assert k["previous_month"]["as_of"] == d("2005-08-31") and {n: k["previous_month"][n] for n in aug} == close(aug)
    assert {n: k["change_month"][n] for n in sep} == close({n: sep[n] - aug[n] for n in sep})
    assert k["last_year"] is None and k["change_year"] is None          # no September 2004 in the file
    assert k["currency"] == "TWD"
    # pinned from the file (September 2005 = PAY_0 / BILL_AMT1 / PAY_AMT1)
    assert sep["outstanding_balance"] == 1_537_381_257
    assert sep["dpd30_rate_balance"] == pytest.approx(197_038_144 / 1_537_381_257)       # 0.128165
    assert sep["dpd30_rate_count"] == pytest.approx(3_130 / 30_000)
    assert sep["npl_balance"] == 11_803_026                                            # PAY_0 >= 4
    assert sep["npl_ratio"] == pytest.approx(0.0076773578)
    assert sep["collections"] == 169_907_415
    assert sep["ecl"] == pytest.approx(60_956_406.18, rel=1e-9)
    assert k["change_month"]["dpd30_rate_balance"] == pytest.approx(-0.0240374431, abs=1e-10)


def test_taiwan_segment_movers_equal_the_file(tw):
    # one product; region and branch are not in the file, so each dimension holds the whole book in one segment
    sep, aug = tw_kpis("2005-09-30"), tw_kpis("2005-08-31")
    got = kpis.segment_movers(tw, "2005-09", "dpd30_rate_balance")
    assert got.dimension.tolist() == ["product", "region", "branch"] and got.segment.iloc[0] == "card"
    assert got.loans.tolist() == [30_000] * 3 and got.share.tolist() == [1.0] * 3
    assert got.balance.tolist() == close([sep["outstanding_balance"]] * 3)
    assert got.value.tolist() == close([sep["dpd30_rate_balance"]] * 3)
    assert got.change.tolist() == close([sep["dpd30_rate_balance"] - aug["dpd30_rate_balance"]] * 3)


@pytest.mark.parametrize("way", ["summary", "raw"])
def test_taiwan_classification_and_stages_equal_the_file(tw, way):
    want = tw_classified("2005-09-30").set_index("loan_id")
    with path(way):
        per_loan = classification.loan_classification(tw, "2005-09").set_index("loan_id")
        tiers = classification.tier_summary(tw, "2005-09").set_index("tier")
        stages = ecl.stage_summary(tw, "2005-09").set_index("stage")
    assert len(per_loan) == len(want) == 30_000
    per_loan = per_loan.loc[want.index]
    assert (per_loan.tier == want.tier).all() and (per_loan.stage == want.stage).all()
    assert per_loan.ecl.to_numpy() == close(want.ecl.to_numpy())
    assert per_loan.ead.to_numpy() == close(want.ead.to_numpy())
    by_tier = want.groupby("tier").agg(loans=("id", "size"), balance=("balance", "sum")).reindex(TIERS, fill_value=0)
    assert tiers.loans.to_dict() == by_tier.loans.to_dict()
    assert tiers.balance.to_dict() == close(by_tier.balance.astype(float).to_dict())
    by_stage = want.groupby("stage").agg(loans=("id", "size"), balance=("balance", "sum"), ead=("ead", "sum"),
                                         ecl=("ecl", "sum"))
    assert stages.loans.to_dict() == by_stage.loans.to_dict()
    for c in ("balance", "ead", "ecl"):
        assert stages[c].to_dict() == close(by_stage[c].astype(float).to_dict()), c
    assert stages.coverage.to_dict() == close((by_stage.ecl / by_stage.balance).to_dict())
    # pinned from the file: September 2005 by PAY_0 (card floors; the ECL floor lifts 91-120 to Doubtful, since
    # PD 1 x LGD 0.75 >= 50%)
    assert tiers.loans.tolist() == [23_182, 6_677, 0, 113, 28]
    assert stages.loans.tolist() == [26_870, 2_989, 141]


def test_taiwan_tiers_every_month_equal_the_file(tw):
    for as_of in TW_ENDS:
        want = tw_classified(as_of).groupby("tier").size().reindex(TIERS, fill_value=0)
        got = classification.tier_summary(tw, as_of[:7]).set_index("tier").loans
        assert got.to_dict() == want.to_dict(), as_of


@pytest.mark.parametrize("by", ["tier", "stage"])
def test_taiwan_migration_equals_the_file(tw, by):
    a, b = tw_classified("2005-08-31"), tw_classified("2005-09-30")
    pair = a.merge(b[["id", by]], on="id", suffixes=("", "_to"))
    want = pair.groupby([by, f"{by}_to"]).agg(loans=("id", "size"), balance=("balance", "sum"))
    want.index = want.index.map(lambda ij: (str(ij[0]), str(ij[1])))
    got = classification.migration(tw, "2005-08", "2005-09", by, "balance").set_index(["from_state", "to_state"])
    assert got.loans.to_dict() == want.loans.to_dict()
    assert got.balance.to_dict() == close(want.balance.astype(float).to_dict())
    share = want.balance / want.balance.groupby(level=0).transform("sum")
    assert got.share.to_dict() == close(share.to_dict())


def test_taiwan_npl_movement_equals_the_file(tw):
    """opening + new - upgrades - collections - write-offs = closing, loan by loan between consecutive month-ends
    (classification.npl_movement's docstring): nobody leaves the Taiwan book, nothing is written off."""
    got = classification.npl_movement(tw, "2005-04", "2005-10").set_index("as_of")
    for t0, t1 in zip(TW_ENDS, TW_ENDS[1:]):
        a, b = tw_classified(t0), tw_classified(t1)
        m = a[["id", "balance", "tier_no"]].merge(b[["id", "balance", "tier_no"]], on="id", suffixes=("0", "1"))
        was, now = m.tier_no0 >= 2, m.tier_no1 >= 2
        want = {"opening": m.balance0[was].sum(), "new_npl": m.balance1[now & ~was].sum(),
                "upgrades": m.balance0[was & ~now].sum(), "write_offs": 0,
                "collections": (m.balance0 - m.balance1)[was & now].sum(), "closing": m.balance1[now].sum()}
        row = got.loc[d(t1)]
        assert {k: float(row[k]) for k in want} == close({k: float(v) for k, v in want.items()}), t1
        assert row["opening"] + row["new_npl"] - row["upgrades"] - row["collections"] - row["write_offs"] == \
            row["closing"]
    sep = got.loc[d("2005-09-30")]
    assert [float(sep[k]) for k in ("opening", "new_npl", "upgrades", "collections", "closing")] == \
        [11_172_191, 4_027_990, 3_603_087, -205_932, 11_803_026]     # NPL lines that stayed grew by 205,932


# ------------------------------------------------------------------------------ Taiwan: roll, cure, flow rates
def tw_pairs() -> pd.DataFrame:
    df = taiwan_rows().sort_values(["id", "as_of"])
    df["to"], df["end"] = df.groupby("id").bucket.shift(-1), df.groupby("id").as_of.shift(-1)
    return df[df.end.notna()]


@pytest.mark.parametrize("weight", ["count", "balance"])
def test_taiwan_roll_and_cure_rates_equal_the_file(tw, weight):
    """Roll = share (of loans, or of balance at t) in bucket k at t that sit in k+1 at t+1 (180+ rolls to
    charged_off, never seen here); cure = share current at t+1; 'delinquent' pools 1-30 and worse."""
    p = tw_pairs()
    nxt = dict(zip(BUCKETS, BUCKETS[1:] + ["charged_off"]))
    p["w"] = 1.0 if weight == "count" else p.balance.astype(float)
    p["roll"], p["cure"] = p.w.where(p.to == p.bucket.map(nxt), 0.0), p.w.where(p.to == "current", 0.0)
    want = p.groupby(["end", "bucket"])[["w", "roll", "cure"]].sum()
    pooled = p[p.bucket != "current"].groupby("end")[["w", "cure"]].sum()
    got = flows.roll_cure_rates(tw, weight=weight)
    got = got.assign(as_of=got.as_of.astype(str)).set_index(["as_of", "bucket"])
    per_bucket = got.drop(index="delinquent", level="bucket")
    assert sorted(per_bucket.index) == sorted(want.index)
    counts = p.groupby(["end", "bucket"]).size()
    assert per_bucket.loans.to_dict() == counts.to_dict()
    den = want.w.where(want.w != 0)
    assert per_bucket.roll_rate.to_dict() == close((want.roll / den).to_dict())
    cure = (want.cure / den).where(want.index.get_level_values("bucket") != "current")
    assert per_bucket.cure_rate.to_dict() == close(cure.to_dict())
    delinquent = got.xs("delinquent", level="bucket").cure_rate
    assert delinquent.to_dict() == close((pooled.cure / pooled.w).to_dict())
    if weight == "count":
        # pinned: of the 2,667 lines 31-60 DPD in September (PAY_0 = 2), those current in October (no default)
        sep = p[(p.as_of == "2005-09-30") & (p.bucket == "31-60")]
        assert got.loc[("2005-10-31", "31-60"), "cure_rate"] == pytest.approx((sep.to == "current").mean())
        assert len(sep) == 2_667


def test_taiwan_flow_rates_and_waterfall_equal_the_file(tw):
    """Flow rate = balance in k+1 at t+1 / balance in k at t (aggregates); the waterfall pools the 12 months up to
    October (here all six pairs) and multiplies the rates from current down to charge-off."""
    rows = taiwan_rows()
    wide = rows.pivot_table(index="as_of", columns="bucket", values="balance", aggfunc="sum", fill_value=0) \
        .reindex(columns=BUCKETS + ["charged_off"], fill_value=0).astype(float)
    ladder = list(zip(BUCKETS, BUCKETS[1:] + ["charged_off"]))
    want = pd.DataFrame([(t1, k, n, wide.at[t0, k], wide.at[t1, n]) for t0, t1 in zip(TW_ENDS, TW_ENDS[1:])
                         for k, n in ladder], columns=["as_of", "from_bucket", "to_bucket", "from_balance",
                                                        "to_balance"])
    want["flow_rate"] = want.to_balance / want.from_balance.where(want.from_balance != 0)
    got = flows.flow_rates(tw)
    assert got.as_of.astype(str).tolist() == want.as_of.tolist()
    assert got.from_bucket.tolist() == want.from_bucket.tolist() and got.to_bucket.tolist() == want.to_bucket.tolist()
    for c in ("from_balance", "to_balance", "flow_rate"):
        assert got[c].tolist() == close(want[c].tolist()), c
    fall = flows.flow_waterfall(tw, "2005-10")
    pooled = want.groupby(["from_bucket", "to_bucket"], sort=False)[["from_balance", "to_balance"]].sum()
    rate = pooled.to_balance / pooled.from_balance.where(pooled.from_balance != 0)
    assert fall.flow_rate.tolist() == close(rate.tolist())
    assert fall.cumulative_rate.tolist() == close(rate.cumprod().tolist())
    current_oct = wide.at["2005-10-31", "current"]
    assert fall.expected_balance.tolist() == close((current_oct * rate.cumprod()).tolist())
    assert fall.expected_balance.iloc[-1] == 0                       # no charge-off in the file


# ----------------------------------------------------------------------------------------- explorer figures
def want_segments(open_rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """segment_table's figures per segment: loans, balance, those more than 30 DPD, the 30+ rate by balance (0
    for a segment without balance) and count, and the share of all open balance."""
    g = open_rows.assign(segment=open_rows[key].fillna(""), over=open_rows.dpd > 30)
    g["over_balance"] = g.balance.where(g.over, 0.0)
    out = g.groupby("segment").agg(loans=("over", "size"), balance=("balance", "sum"), dpd30_loans=("over", "sum"),
                                   dpd30_balance=("over_balance", "sum")).astype({"balance": float})
    out["dpd30_rate"] = (out.dpd30_balance / out.balance.where(out.balance != 0)).fillna(0.0)
    out["dpd30_rate_count"] = out.dpd30_loans / out.loans
    out["balance_share"] = out.balance / out.balance.sum()
    return out


def assert_segments(got: pd.DataFrame, want: pd.DataFrame, order: list[str]) -> None:
    assert got.segment.tolist() == order
    got = got.set_index("segment")
    for c in ("loans", "dpd30_loans"):
        assert got[c].to_dict() == want[c].to_dict(), c
    for c in ("balance", "dpd30_balance", "dpd30_rate", "dpd30_rate_count", "balance_share"):
        assert got[c].to_dict() == close(want[c].to_dict()), c


def by_balance(want: pd.DataFrame) -> list[str]:
    return want.reset_index().sort_values(["balance", "segment"], ascending=[False, True]).segment.tolist()


@pytest.mark.parametrize("way", ["summary", "raw"])
def test_taiwan_explorer_segments_equal_the_file(tw, way):
    g = taiwan_rows().query("as_of == '2005-09-30'").assign(
        product="card",          # one product
        none=None,               # region, branch, officer: not in the file ('' = not recorded)
        cohort="2005-04", quarter="2005-Q2")   # the adapter's stand-in opening date 2005-04-01
    with path(way):
        assert explorer.grade_source(tw, "2005-09") == explorer.GradeSource("bucket")   # no grade, no model
        for dimension, key in (("product", "product"), ("region", "none"), ("branch", "none"),
                               ("officer", "none"), ("cohort", "cohort"), ("grade", "bucket")):
            want = want_segments(g, key)
            order = [b for b in BUCKETS if b in want.index] if dimension == "grade" else by_balance(want)
            assert_segments(explorer.segment_table(tw, "2005-09", dimension), want, order)
        want = want_segments(g, "quarter")
        assert_segments(explorer.segment_table(tw, "2005-09", "cohort", cohort_by="quarter"), want, ["2005-Q2"])
    # pinned: September 2005, lines 31-60 DPD (PAY_0 = 2)
    assert want_segments(g, "bucket").loc["31-60", ["loans", "balance"]].tolist() == [2_667, 173_056_954]


def want_top(open_rows: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    per = open_rows.groupby("borrower_id").agg(loans=("balance", "size"), balance=("balance", "sum")).reset_index()
    top = per.sort_values(["balance", "borrower_id"], ascending=[False, True]).head(n).reset_index(drop=True)
    top["share"] = top.balance / open_rows.balance.sum()
    top["cum_share"] = top.share.cumsum()
    return top


def assert_top(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert got["rank"].tolist() == list(range(1, len(want) + 1))
    assert got.borrower_id.tolist() == want.borrower_id.tolist() and got.loans.tolist() == want.loans.tolist()
    for c in ("balance", "share", "cum_share"):
        assert got[c].tolist() == close(want[c].astype(float).tolist()), c
    assert explorer.top_share(got) == close(want.share.head(10).sum())


@pytest.mark.parametrize("way", ["summary", "raw"])
def test_taiwan_top_exposures_and_loan_history_equal_the_file(tw, way):
    g = taiwan_rows().query("as_of == '2005-09-30'")
    g = g.assign(borrower_id="TW-" + g.id.astype(str))           # one line per client
    want = want_top(g)
    src = pd.read_csv(TAIWAN).set_index("ID")
    with path(way):
        got = explorer.top_exposures(tw, "2005-09")
        assert_top(got, want)
        assert explorer.top_share(got) == pytest.approx(0.0043453359, rel=1e-8)    # top 10 of 1,537,381,257
        assert want.borrower_id.iloc[0] == "TW-2198" and want.balance.iloc[0] == 964_511
        for client in (1, 2198):
            rows = taiwan_rows().query("id == @client and as_of <= '2005-09-30'")
            detail = explorer.loan_detail(tw, f"TW-{client}", "2005-09")
            assert detail.header["credit_limit"] == src.LIMIT_BAL[client] and detail.header["product"] == "card"
            h = detail.history
            assert h.as_of.astype(str).tolist() == rows.as_of.tolist()
            assert h.dpd.tolist() == rows.dpd.tolist() and h.bucket.tolist() == rows.bucket.tolist()
            assert h.balance.tolist() == close(rows.balance.astype(float).tolist())
            assert h.amount_paid.tolist() == close(rows.paid.tolist())
            paid = rows[rows.paid != 0]                                # a payment row per month with PAY_AMT > 0
            assert detail.payments.payment_date.astype(str).tolist() == paid.as_of.tolist()
            assert detail.payments.amount.tolist() == close(paid.paid.tolist())
            assert detail.bureau.empty and detail.actions.empty         # not in the file


# ------------------------------------------------------------------------------------- OpenIntro LendingClub
def oi_open() -> pd.DataFrame:
    df = openintro_rows()
    return df[~df.bucket.isin(["charged_off", "paid_off"])].assign(product="consumer", none=None,
                                                                   borrower_id=lambda x: x.loan_id)


def test_openintro_overview_kpis_equal_the_file(oi):
    """One snapshot (2018-06-30): no previous month, no transitions. Late (31-120 days) carries 60 DPD, so 30+ is
    defined but 60+ and 90+ are 0 (the adapter's stated understatement) and no loan is NPL; with no transition
    observed the Markov PD from a non-default bucket is 0 (analytics/markov.py), so ECL is 0 and coverage undefined.
    The loans were issued January-March 2018, months without a month-end row: no new disbursements at 2018-06-30;
    the file has no payment or recovery history."""
    df, g = openintro_rows(), oi_open()
    k = kpis.kpis(oi)
    assert k["as_of"] == d("2018-06-30") and k["currency"] == "USD"
    bal = g.balance.sum()
    want = {"open_loans": len(g), "outstanding_balance": bal, "dpd30_rate_balance": g.balance[g.dpd > 30].sum() / bal,
            "dpd30_rate_count": (g.dpd > 30).mean(), "dpd60_rate_balance": 0.0, "dpd90_rate_count": 0.0,
            "npl_balance": 0.0, "npl_ratio": 0.0, "ecl": 0.0, "new_loans": 0,
            "new_disbursements": 0.0, "collections": 0.0, "recoveries": 0.0,
            "charge_offs": df.balance[df.bucket == "charged_off"].sum()}
    assert {n: k[n] for n in want} == close(want)
    assert k["coverage_ratio"] is None                                  # ECL / NPL balance: no NPL
    assert k["previous_month"] is None and k["change_month"] is None and k["last_year"] is None
    assert kpis.segment_movers(oi).empty                                # nothing to compare with
    assert (want["open_loans"], round(want["outstanding_balance"], 2)) == (9_546, 144_589_166.10)
    assert want["dpd30_rate_count"] == pytest.approx(66 / 9_546)
    assert round(want["charge_offs"], 2) == 85_574.24                  # 7 loans: loan_amount - paid_principal
    # by region (state): the overview's segment KPIs
    frame = kpis.kpi_frame(oi, [d("2018-06-30")], "region").set_index("segment")
    per = g.assign(b30=g.balance.where(g.dpd > 30, 0.0), n30=g.dpd > 30).groupby("state").agg(
        open_loans=("b30", "size"), outstanding_balance=("balance", "sum"), b30=("b30", "sum"), n30=("n30", "sum"))
    co = df[df.bucket == "charged_off"].groupby("state").balance.sum().reindex(per.index, fill_value=0.0)
    assert sorted(frame.index) == sorted(per.index)
    assert frame.open_loans.to_dict() == per.open_loans.to_dict()
    assert frame.outstanding_balance.to_dict() == close(per.outstanding_balance.to_dict())
    assert frame.dpd30_rate_balance.to_dict() == close((per.b30 / per.outstanding_balance).to_dict())
    assert frame.dpd30_rate_count.to_dict() == close((per.n30 / per.open_loans).to_dict())
    assert frame.charge_offs.to_dict() == close(co.to_dict())


def test_openintro_classification_and_stages_equal_the_file(oi):
    """Consumer loans, general floors: more than 7 DPD (grace 15, late 16-30 and 31-120) -> Special mention; none
    over 90 DPD; stage 2 over 30 DPD; ECL 0 (see above)."""
    g = oi_open()
    tier = np.where(g.dpd > 7, "special_mention", "normal")
    want = g.assign(tier=tier).groupby("tier").agg(loans=("dpd", "size"), balance=("balance", "sum")) \
        .reindex(TIERS, fill_value=0)
    tiers = classification.tier_summary(oi).set_index("tier")
    assert tiers.loans.to_dict() == want.loans.to_dict()
    assert tiers.balance.to_dict() == close(want.balance.astype(float).to_dict())
    assert tiers.loans.tolist() == [9_375, 171, 0, 0, 0]
    stages = ecl.stage_summary(oi).set_index("stage")
    st = g.assign(stage=np.where(g.dpd > 30, 2, 1)).groupby("stage").agg(loans=("dpd", "size"),
                                                                        balance=("balance", "sum"))
    assert stages.loans.tolist() == [st.loans[1], st.loans[2], 0] == [9_480, 66, 0]
    assert stages.balance.tolist()[:2] == close(st.balance.astype(float).tolist())
    assert stages.ecl.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("way", ["summary", "raw"])
def test_openintro_explorer_segments_equal_the_file(oi, way):
    g = oi_open()
    with path(way):
        assert explorer.grade_source(oi).source == "origination"         # LendingClub's grade A-G
        for dimension, key in (("product", "product"), ("region", "state"), ("branch", "none"),
                               ("officer", "none"), ("cohort", "cohort"), ("grade", "grade")):
            want = want_segments(g, key)
            order = sorted(want.index) if dimension in ("cohort", "grade") else by_balance(want)
            assert_segments(explorer.segment_table(oi, None, dimension), want, order)
        want = want_segments(g, "quarter")
        assert_segments(explorer.segment_table(oi, None, "cohort", cohort_by="quarter"), want, ["2018-Q1"])
        # the loan list of one segment, largest balance first (ties by loan id)
        ny = g[g.state == "NY"].sort_values(["balance", "loan_id"], ascending=[False, True])
        page = explorer.loan_list(oi, None, "region", "NY", page_size=50)
        assert page.total == len(ny) == 757
        assert page.rows.loan_id.tolist() == ny.loan_id.head(50).tolist()
        assert page.rows.balance.tolist() == close(ny.balance.head(50).tolist())
        late = explorer.loan_list(oi, None, "grade", "F", order="dpd", page_size=10).rows
        f = g[g.grade == "F"].sort_values(["dpd", "balance", "loan_id"], ascending=[False, False, True]).head(10)
        assert late.loan_id.tolist() == f.loan_id.tolist() and late.dpd.tolist() == f.dpd.tolist()
    seg = want_segments(g, "grade")
    assert seg.loc["F", ["loans", "dpd30_loans"]].tolist() == [54, 4]
    assert seg.loc["F", "dpd30_rate"] == pytest.approx(84_854.38 / 1_165_343.66)


@pytest.mark.parametrize("way", ["summary", "raw"])
def test_openintro_top_exposures_and_loan_detail_equal_the_file(oi, way):
    g = oi_open()
    want = want_top(g)
    src = pd.read_csv(OPENINTRO, low_memory=False)
    with path(way):
        assert_top(explorer.top_exposures(oi), want)
        late = g[g.status == "Late (31-120 days)"].sort_values("balance").loan_id.iloc[-1]
        for loan_id in (want.borrower_id.iloc[0], late):
            row = src.iloc[int(loan_id[5:]) - 1]
            mine = g.set_index("loan_id").loc[loan_id]
            detail = explorer.loan_detail(oi, loan_id)
            issue = pd.to_datetime(row.issue_month, format="%b-%Y").date()
            h = detail.header
            assert (h["principal"], h["region"], h["grade"], h["term_months"]) == \
                (pytest.approx(row.loan_amount), row.state, row.grade, row.term)
            assert h["origination_date"] == issue
            assert h["maturity_date"] == (pd.Timestamp(issue) + pd.DateOffset(months=int(row.term))).date()
            assert detail.history.as_of.astype(str).tolist() == ["2018-06-30"]
            assert detail.history[["dpd", "bucket"]].values.tolist() == [[mine.dpd, mine.bucket]]
            assert detail.history.balance.tolist() == close([mine.balance])
            assert detail.payments.empty
    assert want.balance.head(2).tolist() == [40_000, 40_000]            # two 40,000 loans not yet repaid


# ---------------------------------------------------------------------------------- LendingClub accepted sample
def test_lendingclub_overview_kpis_equal_the_file(lc):
    """Every sampled loan is resolved (Fully Paid or Charged Off), so no month-end has an open loan: balance-based
    rates, NPL, ECL and coverage are undefined. New disbursements are the loans issued in a month that has
    month-end rows (the snapshot months: the month of each loan's last payment); recoveries are dated at the later
    of the snapshot and the settlement month; the file has no payment history (collections 0)."""
    df = lendingclub_rows()
    months = sorted(df.snapshot.unique())
    frame = kpis.kpi_frame(lc, [m.date() for m in months], "all").set_index("as_of")
    assert frame.index.tolist() == [m.date() for m in months]
    assert (frame.open_loans == 0).all() and (frame.outstanding_balance == 0).all()
    assert frame.dpd30_rate_balance.isna().all() and frame.npl_ratio.isna().all() and frame.coverage_ratio.isna().all()
    issued = df.groupby("cohort").agg(n=("funded", "size"), funded=("funded", "sum"))
    rec = df[df.recoveries > 0].groupby("recovery_date").recoveries.sum()
    co = df.groupby("snapshot").co_amount.sum()
    for m in months:
        row = frame.loc[m.date()]
        assert row.new_loans == (issued.n.get(m, 0)), m
        assert row.new_disbursements == close(float(issued.funded.get(m, 0))), m
        assert row.recoveries == close(float(rec.get(m, 0))), m
        assert row.charge_offs == close(float(co.get(m, 0))), m
        assert row.collections == 0
    inside = df.cohort.isin(months)
    assert frame.new_loans.sum() == inside.sum() == 927                # 73 loans issued in months without rows
    assert frame.new_disbursements.sum() == close(float(df.funded[inside].sum()))
    last, prev, year = months[-1].date(), months[-2].date(), kpis.add_months(months[-1].date(), -12)
    k = kpis.kpis(lc)
    assert (k["as_of"], k["previous_month"]["as_of"], k["last_year"]["as_of"]) == (last, prev, year)
    for name, src in (("recoveries", rec), ("charge_offs", co), ("new_disbursements", issued.funded)):
        now, before, then = (float(src.get(pd.Timestamp(x), 0)) for x in (last, prev, year))
        assert k[name] == close(now)
        assert k["change_month"][name] == close(now - before) and k["change_year"][name] == close(now - then)
    assert k["recoveries"] == 675.0 and k["dpd30_rate_balance"] is None           # March 2019


def test_lendingclub_explorer_equals_the_file(lc):
    """No open loan at any month-end: every segment table and the top exposures are empty; one loan's history is
    its snapshot row (charged off: funded - principal received at 150 DPD)."""
    df = lendingclub_rows()
    for dimension in explorer.DIMENSIONS:
        assert explorer.segment_table(lc, None, dimension).empty
    assert explorer.top_exposures(lc).empty
    src = pd.read_csv(LC, low_memory=False).set_index("id")
    picked = df[df.charged_off & (df.recoveries > 0)].sort_values("co_amount").iloc[-1]
    paid = df[~df.charged_off].sort_values("funded").iloc[-1]
    for mine in (picked, paid):
        row = src.loc[int(mine.loan_id[3:])]
        detail = explorer.loan_detail(lc, mine.loan_id)
        h = detail.header
        assert (h["principal"], h["grade"], h["region"], h["term_months"]) == \
            (pytest.approx(row.funded_amnt), row.grade, row.addr_state, mine.term)
        assert h["annual_rate"] == pytest.approx(row.int_rate / 100)
        assert h["origination_date"] == (mine.cohort - pd.offsets.MonthBegin(1)).date()
        hist = detail.history
        assert hist.as_of.astype(str).tolist() == [str(mine.snapshot.date())]
        if mine.charged_off:
            assert hist[["dpd", "bucket"]].values.tolist() == [[150, "charged_off"]]
            assert hist.balance.tolist() == close([mine.co_amount])
        else:
            assert hist[["dpd", "bucket"]].values.tolist() == [[0, "paid_off"]] and hist.balance.tolist() == [0]
        assert hist.amount_paid.tolist() == close([float(row.last_pymnt_amnt)])
