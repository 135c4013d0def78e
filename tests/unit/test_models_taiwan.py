"""Real data: the Taiwan credit-card panel through `import taiwan`, trained on June-August and validated out of
time on September, whose target is the dataset's own default flag (horizon 1, 30+ DPD)."""
from __future__ import annotations

from pathlib import Path

import pytest

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
TAIWAN = REAL / "taiwan_credit_card_default" / "UCI_Credit_Card.csv.gz"


@pytest.mark.skipif(not TAIWAN.exists(), reason=f"the real Taiwan file is absent: {TAIWAN}")
def test_taiwan_out_of_time_auc_at_least_074(isolated_home):
    from data import store
    from data.adapters.taiwan import import_taiwan
    from models.targets import resolve_target
    from models.train import train_model
    import_taiwan(TAIWAN)
    con = store.reader().cursor()
    target = resolve_target("tw_default", horizon=1, bad_dpd=30)
    result = train_model(con, target, "2005-06", "2005-09", "2005-09", seed=7)
    r = result.report
    assert r["data"]["oot_months"] == ["2005-09"]
    assert r["auc"] >= 0.74, r["auc"]
    # September's outcome is October's row, i.e. the file's default.payment.next.month (22.1% of all clients;
    # the population leaves out the few already more than 90 days past due in September)
    assert r["oot"]["rows"] > 29_500 and r["oot"]["bad_rate"] == pytest.approx(0.22, abs=0.01)
    assert 0.3 < r["ks"] < 0.6 and 0.1 < r["brier"] < 0.2
