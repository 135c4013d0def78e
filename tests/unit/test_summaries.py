"""Summary tables: built when the demo or an import publishes, used only when they match the data and settings,
and every analytics function gives the same answer from them as from the canonical tables."""
import pandas as pd
import pytest

from analytics import classification, delinquency, ecl, explorer, flows, kpis, summaries, vintage
from analytics.filters import Filters, params
from data import store

EAST = Filters(regions=("East",))
CARDS = Filters(products=("card", "consumer"), branches=())


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A small demo book (1,500 loans, 15 month-ends to 2026-10) built once for the module."""
    from tests.conftest import TEST_KEY, reset_caches
    home = tmp_path_factory.mktemp("demo") / "home"
    mp = pytest.MonkeyPatch()
    for k, v in {"LOANWATCH_HOME": str(home), "LOANWATCH_SECRET_KEY": TEST_KEY,
                 "LOANWATCH_SECRETS_FILE": str(home.parent / "secrets.toml")}.items():
        mp.setenv(k, v)
    mp.delenv("LOANWATCH_WORKFLOW_URL", raising=False)
    reset_caches()
    from data.demo import build_demo
    build_demo(1500, months=15, seed=11)
    yield home
    reset_caches()
    mp.undo()


@pytest.fixture
def con(demo, monkeypatch):
    monkeypatch.setenv("LOANWATCH_HOME", str(demo))
    return store.reader(demo).cursor()


CALLS = {
    "kpis": lambda c, f: pd.DataFrame([{k: v for k, v in kpis.kpis(c, None, f).items()
                                        if not isinstance(v, dict)}]),
    "kpi_trend": lambda c, f: kpis.kpi_trend(c, None, 12, f),
    "kpi_movers": lambda c, f: kpis.kpi_movers(c, None, "npl_ratio", "branch", "year", 5, f),
    "vintage_ever60_balance_quarter": lambda c, f: vintage.vintage_curves(c, "ever60", "balance", "quarter", f),
    "vintage_charged_off": lambda c, f: vintage.vintage_curves(c, "charged_off", "count", "month", f),
    "roll_cure": lambda c, f: flows.roll_cure_rates(c, "2026-01", None, "balance", f),
    "flow_rates": lambda c, f: flows.flow_rates(c, None, None, f),
    "waterfall": lambda c, f: flows.flow_waterfall(c, None, 6, f),
    "roll_rates_long": lambda c, f: delinquency.roll_rates_long(c, "2026-03", "2026-09", "balance", f),
    "bucket_trend": lambda c, f: delinquency.bucket_trend(c, None, f),
    "bucket_distribution": lambda c, f: delinquency.bucket_distribution(c, "2026-05", f),
    "delinquency_trend": lambda c, f: delinquency.delinquency_trend(c, "2026-06", f),
    "loan_classification": lambda c, f: classification.loan_classification(c, "2026-09", f),
    "tier_summary": lambda c, f: classification.tier_summary(c, None, f),
    "tier_migration": lambda c, f: classification.migration(c, "2025-10", "2026-10", "tier", "balance", f),
    "npl_movement": lambda c, f: classification.npl_movement(c, "2026-01", "2026-10", f),
    "stage_summary": lambda c, f: ecl.stage_summary(c, None, f),
    "ecl_summary": lambda c, f: ecl.ecl_summary(c, "2026-08", "tier", f),
    "stage_migration": lambda c, f: ecl.stage_migration(c, "2026-09", "2026-10", "count", f),
    # the explorer from summary_exposures / summary_loan_class and the loan list's stored order (keyset paging)
    "top_exposures": lambda c, f: explorer.top_exposures(c, None, f, 20),
    "top_exposures_beyond_stored": lambda c, f: explorer.top_exposures(c, None, f, explorer.TOP_STORED + 1),
    "explorer_loans_product": lambda c, f: explorer.loan_list(c, None, "product", "consumer", f, order="dpd",
                                                              page=2, page_size=25).rows,
    "explorer_loans_cohort": lambda c, f: explorer.loan_list(c, None, "cohort", "2026-Q1", f, "quarter",
                                                             page=1, page_size=30).rows,
    "explorer_loans_officer": lambda c, f: explorer.loan_list(c, None, "officer", _officer(c, f), f, page=1,
                                                              page_size=10).rows,
    "loan_list_page": lambda c, f: classification.loan_list(c, None, f, None, None, 3, 40),
    "loan_list_normal_page": lambda c, f: classification.loan_list(c, None, f, "normal", None, 2, 40),
    # an officer's override and watch-list entry applied on demand over the stored rows (a temporary view)
    "override_tiers": lambda c, f: classification.tier_summary(c, None, f, overrides=_override(c)),
    "override_stages": lambda c, f: ecl.stage_summary(c, None, f, overrides=_override(c), watch_list=_watch(c)),
    "override_list": lambda c, f: classification.loan_list(c, None, f, None, None, 1, 30, overrides=_override(c)),
    "override_npl": lambda c, f: classification.npl_movement(c, "2026-07", "2026-10", f, overrides=_override(c)),
    "override_migration": lambda c, f: classification.migration(c, "2026-06", "2026-10", "tier", "count", f,
                                                                overrides=_override(c)),
}


def _normal_loans(c) -> list[str]:
    return classification.loan_list(c, None, None, "normal", None, 0, 2)["loan_id"].tolist()


def _override(c) -> tuple:
    return ((_normal_loans(c)[0], "doubtful", "test"),)


def _watch(c) -> tuple:
    return (_normal_loans(c)[1],)


def _officer(c, f) -> str:
    return explorer.segment_table(c, None, "officer", f).sort_values("segment")["segment"].iloc[-1]


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("filters", [None, EAST, CARDS], ids=["all", "east", "cards-consumer"])
def test_summaries_and_raw_rows_give_the_same_answer(con, name, filters):
    assert summaries.available(con)                       # build_demo built them
    stored = CALLS[name](con, filters)
    with summaries.raw_only():
        assert not summaries.available(con)
        raw = CALLS[name](con, filters)
    assert len(stored) > 0
    pd.testing.assert_frame_equal(stored, raw, check_exact=False, rtol=1e-9, atol=1e-6)


def test_the_demo_book_reconciles_and_classifies(con):
    r = classification.npl_reconciliation(con, "2025-08", "2026-10")
    assert r["balanced"] and r["opening"] > 0 and r["write_offs"] > 0
    tiers = classification.tier_summary(con)
    assert tiers.loans.sum() == kpis.kpis(con)["open_loans"]
    npl = tiers.set_index("tier").loc[["substandard", "doubtful", "loss"], "balance"].sum()
    assert kpis.kpis(con)["npl_balance"] == pytest.approx(npl)


def test_stale_summaries_are_ignored(demo, monkeypatch):
    monkeypatch.setenv("LOANWATCH_HOME", str(demo))
    before = kpis.kpis(store.reader(demo).cursor(), "2026-10")
    with store.new_generation(demo) as w:                 # a writer that forgets to rebuild the summaries
        w.execute("UPDATE performance SET balance = balance + 1000 WHERE as_of = DATE '2026-10-31' "
                  "AND bucket = 'current' AND loan_id = (SELECT min(loan_id) FROM performance "
                  "WHERE as_of = DATE '2026-10-31' AND bucket = 'current')")
    c = store.reader(demo).cursor()
    assert not summaries.available(c)
    after = kpis.kpis(c, "2026-10")
    assert after["outstanding_balance"] == pytest.approx(before["outstanding_balance"] + 1000)
    monkeypatch.setenv("LOANWATCH_REVOLVING_CCF", "0.75")
    with store.new_generation(demo) as w:
        summaries.build(w)
    c = store.reader(demo).cursor()
    assert summaries.available(c)
    monkeypatch.setenv("LOANWATCH_REVOLVING_CCF", "0.5")        # other settings than the build's: stale again
    assert not summaries.available(c)


def test_an_import_rebuilds_the_summaries(isolated_home, tmp_path):
    from data.importers import import_file
    (tmp_path / "borrowers.csv").write_text("borrower_id,borrower_type\nB1,retail\n")
    (tmp_path / "loans.csv").write_text("loan_id,borrower_id,product,origination_date,principal\n"
                                        "L1,B1,consumer,2024-01-10,1000\n")
    (tmp_path / "performance.csv").write_text("loan_id,as_of,balance,dpd,bucket\nL1,2024-01-31,1000,0,current\n"
                                              "L1,2024-02-29,900,45,31-60\n")
    for table in ("borrowers", "loans", "performance"):
        import_file(tmp_path / f"{table}.csv", table)
    c = store.reader().cursor()
    assert summaries.available(c)
    assert kpis.kpis(c, "2024-02")["dpd30_rate_balance"] == 1.0
    assert c.execute("SELECT count(*) FROM summary_loan_class").fetchall() == [(2,)]


def _offset_page(c, f, tier, rule, page, size, overrides=None) -> pd.DataFrame:
    """The classification loan list page by ORDER BY ... LIMIT / OFFSET over the whole month-end (loan_list)."""
    when = summaries.resolve(c, None)
    values = {"as_of": when, "tier": tier, "rule": rule, "offset": page * size, "size": size, "bound": 2**62,
              **params(f)}
    with summaries.tables(c, ["loan_class"], when, when, f, [when], classification.officer_inputs(overrides)):
        df = summaries.frame(c, classification.SQL, "loan_list", **values)
    df["stage"] = df["stage"].astype("int64")
    return df


@pytest.mark.parametrize("tier,rule", [(None, None), ("normal", None), (None, "performing"), ("special_mention", None)])
@pytest.mark.parametrize("filters", [None, EAST], ids=["all", "east"])
def test_keyset_pages_are_the_offset_pages(con, filters, tier, rule):
    """classification.loan_list seeks by the stored order (pos); every page equals the OFFSET page, and the pages
    together are the whole list once."""
    count = classification.loan_list_count(con, None, filters, tier, rule)
    size = max(2, count // 7)
    assert count > 2 * size                             # several pages
    pages = []
    for page in range(count // size + 2):               # the last one is past the end: empty
        got = classification.loan_list(con, None, filters, tier, rule, page, size)
        pd.testing.assert_frame_equal(got, _offset_page(con, filters, tier, rule, page, size))
        pages.append(got)
    assert pages[-1].empty
    whole = pd.concat([p for p in pages if len(p)], ignore_index=True)
    assert len(whole) == count and whole["loan_id"].is_unique
    pd.testing.assert_frame_equal(whole, classification.loan_list(con, None, filters, tier, rule, 0, None))


def test_one_loans_detail_by_row_number_is_the_scanned_detail(con):
    """explorer.loan_detail reads by row number (summary_loan_rows) what the raw path finds by scanning."""
    loans = con.execute("SELECT loan_id FROM loans ORDER BY loan_id LIMIT 5").fetchall()
    paid = con.execute("SELECT loan_id FROM payments GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchall()
    acted = con.execute("SELECT loan_id FROM collection_actions GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
                        ).fetchall()
    for (loan_id,) in loans + paid + acted:
        for as_of in ("2026-06", None):
            stored = explorer.loan_detail(con, loan_id, as_of)
            with summaries.raw_only():
                raw = explorer.loan_detail(con, loan_id, as_of)
            assert stored.header == raw.header
            for part in ("history", "payments", "bureau", "actions"):
                pd.testing.assert_frame_equal(getattr(stored, part), getattr(raw, part))
    assert len(explorer.loan_detail(con, paid[0][0]).payments) > 0
    assert len(explorer.loan_detail(con, acted[0][0]).actions) > 0


@pytest.mark.parametrize("tier", [None, "doubtful", "normal"])
def test_pages_with_an_override_are_the_offset_pages(con, tier):
    """With an officer's override the re-classified loans have no stored place: loan_list sorts them with the
    others' rows up to the page's end (loan_list_bound), which gives the OFFSET page over every loan."""
    ovr = _override(con)
    count = classification.loan_list_count(con, None, None, tier, overrides=ovr)
    size = max(2, count // 6)
    for page in (0, 1, 3, count // size):
        got = classification.loan_list(con, None, None, tier, None, page, size, overrides=ovr)
        pd.testing.assert_frame_equal(got, _offset_page(con, None, tier, None, page, size, ovr))
        if tier == "doubtful" and page == 0:
            assert ovr[0][0] in set(got["loan_id"]) or count > size
