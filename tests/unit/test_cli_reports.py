"""`python cli.py report ...` contracts, run as a scheduler would (a subprocess): columns and keys exactly as
documented, figures as pinned on the KPI book (tests/unit/analytics_books.py)."""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.unit.analytics_books import (KPI_DISPOSITIONS, KPI_LOANS, KPI_PAYMENTS, KPI_PERFORMANCE, KPI_SETTINGS,
                                        publish, set_env)

REPO = Path(__file__).resolve().parents[2]
KPI_KEYS = {"open_loans", "outstanding_balance", "dpd30_rate_balance", "dpd60_rate_balance", "dpd90_rate_balance",
            "dpd30_rate_count", "npl_ratio", "ecl", "coverage_ratio"}


@pytest.fixture
def report(monkeypatch):
    set_env(monkeypatch, KPI_SETTINGS)
    publish(KPI_LOANS, KPI_PERFORMANCE, payments=KPI_PAYMENTS, dispositions=KPI_DISPOSITIONS)

    def run(*args, ok=True):
        p = subprocess.run([sys.executable, "cli.py", "report", *args], cwd=REPO, env=dict(os.environ),
                           capture_output=True, text=True, timeout=300)
        if ok:
            assert p.returncode == 0, p.stderr
        return p
    return run


def csv(p) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(p.stdout))


def test_kpis_json_and_csv(report):
    k = json.loads(report("kpis", "--as-of", "2024-03", "--format", "json").stdout)
    assert isinstance(k, dict) and KPI_KEYS <= set(k)
    assert (k["as_of"], k["open_loans"], k["outstanding_balance"]) == ("2024-03-31", 6, 5100)
    assert (k["dpd30_rate_balance"], k["npl_ratio"]) == (pytest.approx(1200 / 5100), pytest.approx(400 / 5100))
    assert (k["ecl"], k["coverage_ratio"]) == (pytest.approx(480), pytest.approx(1.2))
    assert k["previous_month"]["as_of"] == "2024-02-29" and k["change_year"]["ecl"] == pytest.approx(-520)
    table = csv(report("kpis", "--as-of", "2024-03"))
    assert list(table.columns) == ["kpi", "value", "previous_month", "change_month", "last_year", "change_year"]
    assert KPI_KEYS <= set(table.kpi)


def test_vintage(report):
    df = csv(report("vintage", "--metric", "ever30", "--weight", "balance", "--by", "month"))
    assert list(df.columns) == ["cohort", "mob", "loans", "balance", "share"]
    # cohort 2023-06 (K3..K7, principal 3200) in a history of 2023-03, 2024-02 and 2024-03: K4 (500, 40 DPD),
    # K5 (600, 70) and K6 (900, 170) were more than 30 DPD in February 2024 (MOB 8), K3 (800, 45) too in March
    june = df[df.cohort == "2023-06"].set_index("mob").share
    assert (june[7], june[8], june[9]) == (0, pytest.approx(2000 / 3200), pytest.approx(2800 / 3200))
    assert set(df.cohort) == {"2023-06", "2024-03"}                # 2023-01 began before the history
    quarterly = csv(report("vintage", "--metric", "charged_off", "--weight", "count", "--by", "quarter"))
    assert list(quarterly.columns) == ["cohort", "mob", "loans", "balance", "share"]


def test_classification_stages_and_ecl(report):
    tiers = csv(report("classification", "--as-of", "2024-03"))
    assert list(tiers.columns) == ["tier", "loans", "balance"]
    assert tiers.tier.tolist() == ["normal", "special_mention", "substandard", "doubtful", "loss"]
    assert tiers.loans.tolist() == [3, 2, 1, 0, 0]
    detail = csv(report("classification", "--as-of", "2024-03", "--detail"))
    assert list(detail.columns) == ["loan_id", "dpd", "tier", "rule"]
    assert detail.set_index("loan_id").loc["K5"].tolist() == [100, "substandard", "dpd"]
    stages = csv(report("stages", "--as-of", "2024-03"))
    assert list(stages.columns) == ["stage", "loans", "balance", "ead", "ecl", "coverage"]
    assert stages.loans.tolist() == [3, 2, 1] and stages.ecl.tolist() == pytest.approx([0, 320, 160])
    assert list(csv(report("stages", "--detail")).columns) == ["loan_id", "dpd", "tier", "stage"]
    by_product = json.loads(report("ecl", "--as-of", "2024-03", "--format", "json").stdout)
    assert list(by_product[0]) == ["product", "stage", "loans", "balance", "ead", "ecl", "coverage"]
    assert sum(r["ecl"] for r in by_product) == pytest.approx(480)
    detail = csv(report("ecl", "--detail"))
    assert list(detail.columns) == ["loan_id", "stage", "pd", "lgd", "ead", "ecl"]
    assert detail.set_index("loan_id").at["K4", "ecl"] == pytest.approx(120)


def test_filters_and_the_older_reports(report):
    east = json.loads(report("kpis", "--region", "East", "--format", "json").stdout)
    assert east["open_loans"] == 4
    both = json.loads(report("kpis", "--region", "East", "--region", "West", "--format", "json").stdout)
    assert both["open_loans"] == 6
    assert csv(report("buckets", "--branch", "W1")).loans.sum() == 2
    assert list(csv(report("buckets")).columns) == ["bucket", "loans", "balance", "loan_share", "balance_share"]
    rr = csv(report("roll-rates", "--from", "2024-02", "--to", "2024-03", "--product", "consumer"))
    assert list(rr.columns) == ["from_bucket", "to_bucket", "loans", "balance", "share"] and rr.loans.sum() == 7


def test_usage_and_data_problems(report):
    p = report("kpis", "--as-of", "2019-01", ok=False)
    assert p.returncode == 1 and "no performance data for month-end 2019-01-31" in p.stderr
    assert "Traceback" not in p.stderr
    assert report("vintage", "--metric", "ever45", ok=False).returncode == 2
