"""One loan's explanation from the feature rows batch scoring kept (features_scored): the same explanation as
building the row on demand, and the on-demand build whenever a stored row could be stale or missing."""
from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from data import store
from data.errors import DataError
from models import features_scored, registry
from models.explain import explain_loan
from models.features import ORDER, build_features, fetch
from models.score import score_book
from models.targets import TARGETS
from models.train import train_model
from tests.conftest import build_tiny_book, reset_caches
from tests.workspace import workspace_env

OBS = ("2025-09", "2026-06", "2026-04")          # early warning (H 3), as in test_models_pipeline.py
AS_OF = "2026-10-31"
MONTH_ROWS = "SELECT * EXCLUDE (feature_set) FROM features_scored WHERE as_of = $as_of"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("models-explain-fast")
    with pytest.MonkeyPatch.context() as mp:
        for k, v in workspace_env(root).items():
            mp.setenv(k, v)
        mp.setenv("LOANWATCH_SCORE_REASON_LOANS", "50")
        from data.demo import build_demo
        build_demo(n_loans=3000, months=24, seed=5, end_month="2026-10", home=root / "home")
        reset_caches()
        result = train_model(store.reader(root / "home").cursor(), TARGETS["early_warning"], *OBS, seed=3,
                             home=root / "home")
        registry.promote("early_warning", result.version, home=root / "home")
        score_book(AS_OF, home=root / "home")
        reset_caches()
    return root


@pytest.fixture
def env(root, monkeypatch):
    for k, v in workspace_env(root).items():
        monkeypatch.setenv(k, v)
    reset_caches()
    yield root
    reset_caches()


def _same(a, b) -> None:
    """Two explanations with identical numbers, contributions and reasons (exact, not approximate)."""
    assert (a.loan_id, a.as_of, a.target, a.version) == (b.loan_id, b.as_of, b.target, b.version)
    assert (a.pd, a.raw_score, a.base_value) == (b.pd, b.raw_score, b.base_value)
    pd.testing.assert_frame_equal(a.contributions, b.contributions, check_exact=True)
    pd.testing.assert_frame_equal(a.reasons, b.reasons, check_exact=True)


def test_stored_rows_are_the_built_rows_of_the_whole_month(env):
    con = store.reader().cursor()
    built = build_features(con, [AS_OF])
    stored = fetch(con, MONTH_ROWS, {"as_of": dt.date(2026, 10, 31)}, ORDER)
    assert len(built) > 1000
    pd.testing.assert_frame_equal(stored, built, check_exact=True)
    # kept in loan_id order (a point lookup reads one row group), one feature set, one row per scored loan
    ids = [r[0] for r in con.execute("SELECT loan_id FROM features_scored").fetchall()]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == len(built)
    assert con.execute("SELECT DISTINCT feature_set FROM features_scored").fetchall() == [
        (features_scored.feature_set(),)]
    assert con.execute("SELECT count(*) FROM scores WHERE as_of = ?", [AS_OF]).fetchall()[0][0] == len(built)


@pytest.mark.filterwarnings("ignore:LightGBM binary classifier:UserWarning")
def test_explanation_from_the_stored_row_equals_the_one_built_on_demand(env):
    con = store.reader().cursor()
    scores = con.execute("SELECT loan_id, pd, reason_1, reason_2, reason_3 FROM scores ORDER BY pd DESC, loan_id"
                         ).df()
    riskiest = scores.head(5)
    assert riskiest["reason_1"].notna().all()
    others = scores.iloc[50:].sample(10, random_state=1)       # no stored reasons (only the 50 riskiest have)
    for loan in pd.concat([riskiest, others]).itertuples():
        fast = explain_loan(con, loan.loan_id, AS_OF, "early_warning")
        slow = explain_loan(con, loan.loan_id, AS_OF, "early_warning", stored=False)
        assert (fast.source, slow.source) == ("stored", "built")
        _same(fast, slow)
        assert fast.pd == pytest.approx(loan.pd, rel=1e-12)
        if pd.notna(loan.reason_1):              # the reason codes scoring stored for the riskiest loans
            assert list(fast.reasons["code"]) == [c for c in (loan.reason_1, loan.reason_2, loan.reason_3)
                                                  if pd.notna(c)]


def test_months_not_scored_and_loans_outside_the_population_are_built_on_demand(env):
    con = store.reader().cursor()
    loan = con.execute("SELECT loan_id FROM scores ORDER BY loan_id LIMIT 1").fetchall()[0][0]
    september = explain_loan(con, loan, "2026-09", "early_warning")     # scored only at October's end
    assert september.source == "built"
    assert features_scored.stored_row(con, loan, dt.date(2026, 9, 30)) is None
    gone = con.execute("SELECT loan_id FROM performance WHERE bucket = 'paid_off' AND as_of < ? LIMIT 1",
                       [AS_OF]).fetchall()[0][0]
    with pytest.raises(DataError, match="not in the model population"):
        explain_loan(con, gone, AS_OF, "early_warning")


def test_rows_of_other_feature_code_are_never_read(env, monkeypatch):
    con = store.reader().cursor()
    loan = con.execute("SELECT loan_id FROM scores ORDER BY loan_id LIMIT 1").fetchall()[0][0]
    assert explain_loan(con, loan, AS_OF, "early_warning").source == "stored"
    monkeypatch.setattr(features_scored, "feature_set", lambda: "changed-code")
    assert explain_loan(con, loan, AS_OF, "early_warning").source == "built"


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame({"loan_id": [r[0] for r in rows], "as_of": pd.to_datetime([r[1] for r in rows]),
                         "product": pd.Categorical([r[2] for r in rows]),
                         "dpd": np.array([r[3] for r in rows], dtype="float32")})


def test_contracts_and_replacing_a_month_on_hand_made_rows():
    con = duckdb.connect()
    store.create_schema(con)
    build_tiny_book(con)                             # loans L1..L6 (tests/conftest.py)
    oct31 = dt.date(2026, 10, 31)
    con.execute("INSERT INTO scores VALUES ('L1', ?, 'behaviour', 'v', 0.1, 'G1', NULL, NULL, NULL), "
                "('L2', ?, 'behaviour', 'v', 0.2, 'G2', NULL, NULL, NULL)", [oct31, oct31])
    features_scored.save(con, _frame([("L1", "2026-10-31", "personal", 0.0), ("L2", "2026-10-31", None, 31.0)]),
                         oct31)
    assert features_scored.contract_breaks(con, oct31, ["behaviour"]) == {}
    # saving October again replaces its two rows; a hand-made bad month: L1 twice (one duplicated key), L9 not a
    # loan, a 15th (not a month-end); L2 is then scored at October's end without a row
    features_scored.save(con, _frame([("L1", "2026-10-31", "personal", 5.0)]), oct31)
    assert con.execute("SELECT loan_id, dpd FROM features_scored").fetchall() == [("L1", 5.0)]
    con.execute("INSERT INTO features_scored VALUES ('L1', DATE '2026-10-31', 'x', 'personal', 1), "
                "('L9', DATE '2026-09-30', 'x', NULL, 0), ('L1', DATE '2026-10-15', 'x', NULL, 0)")
    assert features_scored.contract_breaks(con, oct31, ["behaviour"]) == {
        "features_scored.duplicate_keys": 1, "features_scored.unknown_loans": 1,
        "features_scored.not_month_ends": 1, "features_scored.scored_without_row": 1}
    # another feature code: that month's and every other feature set's rows go; new columns: a new table
    features_scored.save(con, _frame([("L2", "2026-10-31", "car", 1.0)]), oct31)
    assert con.execute("SELECT loan_id, as_of, product, dpd FROM features_scored ORDER BY ALL").fetchall() == [
        ("L2", oct31, "car", 1.0)]
    wider = _frame([("L1", "2026-10-31", "car", 2.0)]).assign(utilisation=np.float32(0.5))
    features_scored.save(con, wider, oct31)
    assert con.execute("SELECT loan_id, utilisation FROM features_scored").fetchall() == [("L1", 0.5)]
    assert features_scored.size(con)["rows"] == 1
    # a change to a table the features read drops the rows; a change elsewhere keeps them
    assert not features_scored.forget_changed(con, ["collection_actions", "reviews"])
    assert features_scored.size(con)["rows"] == 1
    assert features_scored.forget_changed(con, ["alerts", "bureau"])
    assert features_scored.size(con) == {"rows": 0, "bytes": 0}
    assert features_scored.stored_row(con, "L1", oct31) is None


@pytest.mark.filterwarnings("ignore:LightGBM binary classifier:UserWarning")
def test_an_import_that_changes_feature_inputs_drops_the_stored_rows(env, tmp_path):
    from data import importers
    con = store.reader().cursor()
    loan = con.execute("SELECT loan_id FROM scores ORDER BY loan_id LIMIT 1").fetchall()[0][0]
    before = explain_loan(con, loan, AS_OF, "early_warning")
    assert before.source == "stored"
    csv = tmp_path / "macro.csv"
    csv.write_text("as_of,macro_index\n2026-11-30,99.5\n")          # a new month: a feature input changed
    importers.import_file(csv, "macro", {})
    con = store.reader().cursor()
    assert features_scored.size(con)["rows"] == 0
    after = explain_loan(con, loan, AS_OF, "early_warning")
    assert after.source == "built"
    _same(before, after)                                  # November's macro row cannot reach October's features
    score_book(AS_OF)                                     # scoring again keeps the rows again
    assert explain_loan(store.reader().cursor(), loan, AS_OF, "early_warning").source == "stored"


def _plain_matrix(df, levels, names):
    """matrix() as it was first written (one pandas conversion per column): the reference for the faster one."""
    cols = {n: pd.Categorical(df[n].astype("object"), categories=levels[n]) if n in levels
            else pd.to_numeric(df[n], errors="coerce").astype("float32") for n in names}
    return pd.DataFrame(cols, index=df.index)


@pytest.mark.filterwarnings("ignore:Constructing a Categorical with a dtype:DeprecationWarning")   # the reference
def test_matrix_by_codes_equals_the_plain_pandas_conversion(env):
    from models.features import matrix
    model = registry.load("early_warning")
    feats = build_features(store.reader().cursor(), [AS_OF])
    odd = dict(model.levels) | {"product": ["card", "not-a-product"], "region": []}     # unseen levels: missing
    as_objects = feats.astype({c: object for c in model.levels}).iloc[::7]               # a parquet-read sample
    as_objects.loc[as_objects.index[:3], "product"] = None
    for frame, levels in ((feats, model.levels), (feats, odd), (as_objects, model.levels)):
        pd.testing.assert_frame_equal(matrix(frame, levels, model.features),
                                      _plain_matrix(frame, levels, model.features), check_exact=True)
    x = matrix(feats, odd, model.features)
    assert x["region"].isna().all() and x["product"].notna().sum() == (feats["product"] == "card").sum() > 0
