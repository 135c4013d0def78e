"""Five-tier classification, IFRS 9 stages, Markov PD, LGD and ECL pinned on the hand-built rules book
(tests/unit/analytics_books.py derives every PD); each figure through the stored summaries and computed raw."""
import datetime as dt

import pandas as pd
import pytest

from analytics import classification, ecl
from analytics.filters import Filters
from tests.unit.analytics_books import (PATHS, RULES_BUSINESS, RULES_LOANS, RULES_PERFORMANCE, RULES_SETTINGS,
                                        path, publish, set_env)

PD12_CONSUMER = 1 - 0.75 ** 9          # P(default within 12 months | current), consumer chain
PD36_CONSUMER = 1 - 0.75 ** 33         # lifetime: no maturity -> default_lifetime_months = 36
PD24_CONSUMER = 1 - 0.75 ** 21         # W1 matures 2026-03: 24 months left
PD6_CONSUMER = 1 - 0.75 ** 3           # S1 matures 2024-09: 6 months left, so its 12-month PD is over 6
PD12_CARD = 1 - 0.5 ** 9

EXPECTED = {  # loan: (tier, rule, stage, ECL)
    "A1": ("normal", "performing", 1, 0.4 * 1000 * PD12_CONSUMER),
    "A2": ("normal", "technical_delay", 1, 0.4 * 1100),          # 5 DPD <= 7: technical delay; PD from 1-30 = 1
    "A3": ("special_mention", "dpd", 1, 0.4 * 1200),             # 8 DPD
    "A4": ("special_mention", "dpd", 2, 0.4 * 1300),             # 45 DPD: 30+ backstop, lifetime PD 1
    "A8": ("special_mention", "dpd", 2, 0.4 * 1400),             # 70 DPD
    "A5": ("substandard", "dpd", 3, 0.4 * 1500),                 # 95 DPD; its retail co-borrower A1 unaffected
    "A6": ("doubtful", "dpd", 3, 0.4 * 1600),                    # 280 DPD
    "A7": ("loss", "dpd", 3, 0.4 * 1700),                        # 400 DPD
    "R1": ("substandard", "restructured", 3, 0.4 * 1800 * PD36_CONSUMER),
    "R2": ("normal", "performing", 1, 0.4 * 1900 * PD12_CONSUMER),
    "O1": ("normal", "performing", 1, 0.4 * 2000 * PD12_CONSUMER),
    "O2": ("substandard", "dpd", 3, 0.4 * 2100),
    "W1": ("normal", "performing", 1, 0.4 * 2200 * PD12_CONSUMER),
    "S1": ("normal", "performing", 1, 0.4 * 2300 * PD6_CONSUMER),
    "C1": ("special_mention", "card_dpd", 1, 0.45 * (300 + 0.5 * 700)),   # card: no grace; EAD + 50% undrawn
    "C5": ("normal", "performing", 1, 0.45 * (200 + 0.5 * 800) * PD12_CARD),
    "C2": ("substandard", "card_dpd", 3, 0.45 * (400 + 0.5 * 100)),        # 100 DPD: card 91-120
    "C3": ("doubtful", "card_dpd", 3, 0.45 * 500),                         # 150 DPD: card 121-180
    "C4": ("loss", "card_dpd", 3, 0.45 * 600),                             # 200 DPD: card over 180
    "X1": ("doubtful", "ecl_ratio", 3, 0.6 * 100),     # PD 1 x LGD 0.6 >= 50%; BB: 100 of 1000 NPL, not over 10%
    "X2": ("normal", "performing", 1, 0.0),
    "X3": ("normal", "performing", 1, 0.0),
    "Y1": ("doubtful", "ecl_ratio", 3, 0.6 * 200),
    "Y2": ("substandard", "contagion", 3, 0.0),        # BC: 200 of 1000 NPL (20% > 10%); sme PD from current 0
    "E2": ("loss", "ecl_ratio", 3, 0.95 * 500),        # PD 1 x LGD 0.95 >= 90%
}


@pytest.fixture
def book(monkeypatch):
    set_env(monkeypatch, RULES_SETTINGS)
    return publish(RULES_LOANS, RULES_PERFORMANCE, RULES_BUSINESS)


@PATHS
def test_every_rule_per_loan(book, way):
    with path(way):
        df = classification.loan_classification(book, "2024-03")
    got = {r.loan_id: (r.tier, r.rule, r.stage, r.ecl) for r in df.itertuples()}
    assert got.keys() == EXPECTED.keys()
    for loan_id, (tier, rule, stage, loss) in EXPECTED.items():
        assert got[loan_id][:3] == (tier, rule, stage), loan_id
        assert got[loan_id][3] == pytest.approx(loss, abs=1e-9), loan_id
    assert list(df.columns) == ["loan_id", "product", "region", "branch", "dpd", "bucket", "balance", "tier", "rule",
                                "stage", "pd", "lgd", "ead", "ecl"]


@PATHS
def test_tier_summary(book, way):
    with path(way):
        df = classification.tier_summary(book, "2024-03")
    assert df.tier.tolist() == ["normal", "special_mention", "substandard", "doubtful", "loss"]
    assert df.loans.tolist() == [9, 4, 5, 4, 3]
    assert df.balance.tolist() == pytest.approx([11600, 4200, 6600, 2400, 2800])
    assert df.balance_share.sum() == pytest.approx(1.0)


@PATHS
def test_stages_and_ecl_totals(book, way):
    with path(way):
        st = ecl.stage_summary(book, "2024-03")
        by_product = ecl.ecl_summary(book, "2024-03").set_index(["product", "stage"])
    assert st.stage.tolist() == [1, 2, 3] and st.loans.tolist() == [11, 2, 12]
    assert st.balance.tolist() == pytest.approx([13100, 2700, 11800])
    for stage in (1, 2, 3):
        want = sum(v[3] for v in EXPECTED.values() if v[2] == stage)
        assert st.set_index("stage").at[stage, "ecl"] == pytest.approx(want, abs=0.01)
    assert by_product.at[("sme", 3), "ecl"] == pytest.approx(180) and by_product.at[("sme", 3), "loans"] == 3
    assert by_product.at[("card", 1), "ead"] == pytest.approx(650 + 600)       # EAD = balance + 50% undrawn


@PATHS
def test_markov_pd_and_policy_lgd(book, way):
    with path(way):
        df = ecl.ecl_parameters(book, "2024-03").set_index(["product", "bucket"])
    assert df.at[("consumer", "current"), "pd_12m"] == pytest.approx(PD12_CONSUMER)
    assert df.at[("consumer", "1-30"), "pd_12m"] == pytest.approx(1.0)
    assert df.at[("card", "current"), "pd_12m"] == pytest.approx(PD12_CARD)
    assert df.at[("sme", "current"), "pd_12m"] == pytest.approx(0.0)
    assert df.at[("auto", "current"), "pd_12m"] == pytest.approx(1 - (10 / 13) ** 9)    # pooled current row
    assert df.at[("auto", "91-120"), "pd_12m"] == 1.0
    assert df.xs("current", level="bucket").lgd.to_dict() == {"auto": 0.95, "card": 0.45, "consumer": 0.4,
                                                             "sme": 0.6}


@PATHS
def test_overrides_only_worsen(book, way):
    overrides = pd.DataFrame({"loan_id": ["O1", "O2"], "tier": ["doubtful", "special_mention"],
                              "reason": ["fraud suspected", "officer view"]})
    with path(way):
        df = classification.loan_classification(book, "2024-03", overrides=overrides).set_index("loan_id")
        tiers = classification.tier_summary(book, "2024-03", overrides=overrides).set_index("tier")
    assert tuple(df.loc["O1", ["tier", "rule", "stage"]]) == ("doubtful", "override: fraud suspected", 3)
    assert df.at["O1", "ecl"] == pytest.approx(0.4 * 2000 * PD36_CONSUMER)          # stage 3: lifetime PD
    assert tuple(df.loc["O2", ["tier", "rule"]]) == ("substandard", "dpd")          # better than the floor: ignored
    assert (tiers.at["normal", "loans"], tiers.at["doubtful", "loans"]) == (8, 5)
    assert tiers.at["doubtful", "balance"] == pytest.approx(4400)
    with pytest.raises(ValueError, match="override tier must be one of"):
        classification.loan_classification(book, "2024-03", overrides=overrides.assign(tier="bad"))


@PATHS
def test_watch_list_and_pd_deterioration_move_to_stage_2(book, way):
    ratio = pd.DataFrame({"loan_id": ["S1", "A1"], "pd_now": [0.10, 0.09], "pd_origination": [0.05, 0.05]})
    with path(way):
        df = classification.loan_classification(book, "2024-03", watch_list=["W1"], pd_ratio=ratio)
    df = df.set_index("loan_id")
    assert (df.at["W1", "stage"], df.at["W1", "tier"]) == (2, "normal")
    assert df.at["W1", "ecl"] == pytest.approx(0.4 * 2200 * PD24_CONSUMER)         # lifetime over 24 months
    assert df.at["S1", "stage"] == 2                                                # 0.10 >= 2 x 0.05
    assert df.at["S1", "ecl"] == pytest.approx(0.4 * 2300 * PD6_CONSUMER)          # lifetime = 6 months left
    assert df.at["A1", "stage"] == 1                                                # 1.8 x: not yet


@PATHS
def test_restructured_loans_hold_their_tier_through_the_observation(book, way):
    with path(way):
        feb = classification.loan_classification(book, "2024-02").set_index("loan_id")
        jan = classification.loan_classification(book, "2024-01").set_index("loan_id")
    assert tuple(jan.loc["R1", ["tier", "rule"]]) == ("substandard", "dpd")
    assert tuple(feb.loc["R1", ["tier", "rule"]]) == ("substandard", "restructured")
    assert tuple(feb.loc["R2", ["tier", "rule"]]) == ("substandard", "restructured")   # 1 month into 2


def test_settings_change_the_floors(book, monkeypatch):
    monkeypatch.setenv("LOANWATCH_TECHNICAL_GRACE_DAYS", "3")      # summaries now stale: computed from raw rows
    df = classification.loan_classification(book, "2024-03").set_index("loan_id")
    assert tuple(df.loc["A2", ["tier", "rule"]]) == ("special_mention", "dpd")      # 5 DPD > 3


def test_filters_select_loans_not_their_classification(book):
    from analytics.filters import Filters
    df = classification.loan_classification(book, "2024-03", Filters(products=("sme",)))
    assert df.set_index("loan_id").at["Y2", "rule"] == "contagion"
    assert classification.tier_summary(book, "2024-03", Filters(products=("sme",))).loans.tolist() == [2, 0, 1, 2, 0]


# Officers' inputs over the stored summaries: the few loans they touch are classified again and the stored totals
# adjusted by what those loans add (the fast path); the raw path classifies the whole book with the inputs. Both
# must give the same figures, for every input set, at once after an input changes and in a new generation.
INPUTS = {
    "override": ((("O1", "doubtful", "fraud suspected"),), ()),
    # BB (business): X1 100 NPL + X2 800 overridden = 900 of 1000 > 10%, so X3 (100) follows by contagion
    "contagion": ((("X2", "doubtful", "sector stress"),), ("W1",)),
    "watch only": ((), ("W1", "S1")),
    "not open": ((("ZZ", "loss", "no such loan"),), ()),
}
FIGURES = {
    "tiers": lambda c, o, w: classification.tier_summary(c, "2024-03", None, o, w),
    "stages": lambda c, o, w: ecl.stage_summary(c, "2024-03", None, o, w),
    "ecl by tier": lambda c, o, w: ecl.ecl_summary(c, "2024-03", "tier", None, o, w),
    "tier migration": lambda c, o, w: classification.migration(c, "2024-01", "2024-03", "tier", "balance", None, o, w),
    "stage migration": lambda c, o, w: classification.migration(c, "2024-02", "2024-03", "stage", "count", None, o, w),
    "npl movement": lambda c, o, w: classification.npl_movement(c, "2024-01", "2024-03", None, o, w),
    "npl reconciliation": lambda c, o, w: pd.DataFrame([classification.npl_reconciliation(c, "2024-02", "2024-03",
                                                                                           None, o, w)]),
    "loan list": lambda c, o, w: classification.loan_list(c, "2024-03", None, None, None, 1, 7, o, w),
    "loan list substandard": lambda c, o, w: classification.loan_list(c, "2024-03", None, "substandard", None, 0,
                                                                      None, o, w),
    "loan count override": lambda c, o, w: pd.DataFrame(
        {"n": [classification.loan_list_count(c, "2024-03", None, None, "override", o, w)]}),
    "sme tiers": lambda c, o, w: classification.tier_summary(c, "2024-03", Filters(products=("sme",)), o, w),
}


def _same(stored: pd.DataFrame, raw: pd.DataFrame, what: str) -> None:
    # counts, tiers, rules and DECIMAL amounts exactly; ECL and EAD sums up to the order of float additions
    pd.testing.assert_frame_equal(stored, raw, check_exact=False, rtol=1e-12, atol=1e-9, obj=what)
    exact = [c for c in stored.columns if c not in ("ead", "ecl", "coverage", "share", "loan_share", "balance_share")]
    pd.testing.assert_frame_equal(stored[exact], raw[exact], check_exact=True, obj=what)


@pytest.mark.parametrize("inputs", sorted(INPUTS))
def test_inputs_over_the_stored_rows_equal_the_raw_path(book, inputs):
    from analytics import summaries
    ovr, watch = INPUTS[inputs]
    assert summaries.available(book)
    for name, figure in FIGURES.items():
        stored = figure(book, ovr, watch)
        with summaries.raw_only():
            raw = figure(book, ovr, watch)
        _same(stored, raw, f"{inputs}: {name}")


def test_contagion_from_an_override_reaches_the_borrowers_other_loans(book):
    ovr, watch = INPUTS["contagion"]
    page = classification.loan_list(book, "2024-03", size=None, overrides=ovr).set_index("loan_id")
    assert page.loc["X2", ["tier", "rule"]].tolist() == ["doubtful", "override: sector stress"]
    assert page.loc["X3", ["tier", "rule"]].tolist() == ["substandard", "contagion"]
    tiers = classification.tier_summary(book, "2024-03", overrides=ovr, watch_list=watch).set_index("tier")
    # X2 800 and X3 100 leave normal (9 loans, 11600): X2 to doubtful (4 loans, 2400), X3 to substandard (5, 6600)
    assert tiers.loc["normal", ["loans", "balance"]].tolist() == [7, 10700]
    assert tiers.loc["substandard", ["loans", "balance"]].tolist() == [6, 6700]
    assert tiers.loc["doubtful", ["loans", "balance"]].tolist() == [5, 3200]
    rec = classification.npl_reconciliation(book, "2024-02", "2024-03", overrides=ovr, watch_list=watch)
    # both were performing in February: new NPL 800 + 100 on top of the rules' closing NPL 11800
    assert float(rec["closing"]) == pytest.approx(12700) and rec["balanced"]
    assert float(rec["new_npl"]) == pytest.approx(
        float(classification.npl_reconciliation(book, "2024-02", "2024-03")["new_npl"]) + 900)
    moved = classification.migration(book, "2024-02", "2024-03", overrides=ovr).set_index(["from_state", "to_state"])
    # by the rules normal in February -> substandard in March is Y2 alone (BC contagion); now X3 too, and X2 doubtful
    assert moved.loc[("normal", "substandard"), ["loans", "balance"]].tolist() == [2, 800 + 100]
    assert moved.loc[("normal", "doubtful"), ["loans", "balance"]].tolist() == [1, 800]


def test_kept_parameters_never_serve_stale_figures(book):
    """What is kept between calls (a month-end's Markov PD curves and LGD, and the stored input rows of the loans
    an override names: provisioning.month_context) is kept per generation and settings and holds nothing of the
    inputs' tiers: a changed override counts at once, and a new generation is computed afresh."""
    from analytics import provisioning, summaries
    from data import store
    march = dt.date(2024, 3, 31)
    kept = provisioning.month_context(book, march)
    assert provisioning.month_context(book, march) is kept                # computed once for this generation
    rules = classification.tier_summary(book, march)
    one = classification.tier_summary(book, march, overrides=(("O1", "doubtful", "fraud suspected"),))
    assert kept.rows(book, ("O1",)) is kept.rows(book, ("O1",))           # O1's stored rows kept ...
    again = classification.tier_summary(book, march, overrides=(("O1", "loss", "absconded"),))
    two = classification.tier_summary(book, march, overrides=(("O1", "loss", "absconded"), ("W1", "doubtful", "x")))
    assert rules.loans.tolist() == [9, 4, 5, 4, 3]
    assert one.loans.tolist() == [8, 4, 5, 5, 3]                          # O1 normal -> doubtful
    assert again.loans.tolist() == [8, 4, 5, 4, 4]                        # ... but its new tier counts: -> loss
    assert two.loans.tolist() == [7, 4, 5, 5, 4]                          # O1 -> loss, W1 -> doubtful
    with summaries.raw_only():
        assert classification.tier_summary(book, march, overrides=(("O1", "loss", "absconded"),)).equals(again)
    old = classification.loan_classification(book, march, overrides=(("O1", "doubtful", "f"),)).set_index("loan_id")
    assert old.at["O1", "ecl"] == pytest.approx(0.4 * 2000 * PD36_CONSUMER)
    # a new generation: A1 rolls to 1-30 in March, so 3 of the 8 consumer loans current in February roll:
    # P(default within n months | current) = 1 - (5/8)^(n - 3); O1 (Stage 3 by the override) over 36 months
    with store.new_generation() as w:
        w.execute("UPDATE performance SET dpd = 5, bucket = '1-30' WHERE loan_id = 'A1' AND as_of = DATE '2024-03-31'")
        summaries.build(w)
    con = store.reader().cursor()
    assert summaries.available(con) and provisioning.month_context(con, march) is not kept
    for name, figure in FIGURES.items():
        stored = figure(con, *INPUTS["override"])
        with summaries.raw_only():
            raw = figure(con, *INPUTS["override"])
        _same(stored, raw, f"new generation: {name}")
    new = classification.loan_list(con, march, tier="doubtful", size=None, overrides=INPUTS["override"][0])
    assert new.set_index("loan_id").at["O1", "ecl"] == pytest.approx(0.4 * 2000 * (1 - 0.625 ** 33), abs=0.005)
