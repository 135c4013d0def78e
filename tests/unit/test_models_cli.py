"""`python cli.py train | score | models` as a scheduler sees them: files written, exit codes 0 / 1 / 2, one-line
errors without a traceback, progress on stderr. The main path and one error of each kind run as real processes;
the other error cases call cli.main in this process (the same code path, a second faster)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workspace import workspace_env

REPO = Path(__file__).resolve().parents[2]
TRAIN = ["train", "--target", "early_warning", "--obs-from", "2025-09", "--obs-to", "2026-06",
         "--oot-from", "2026-04"]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """A published demo book (2,000 loans, 24 month-ends to 2026-10) and the environment that points at it."""
    root = tmp_path_factory.mktemp("models-cli")
    env = workspace_env(root)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        from data.demo import build_demo
        from tests.conftest import reset_caches
        build_demo(n_loans=2000, months=24, seed=5, end_month="2026-10", home=Path(env["LOANWATCH_HOME"]))
        reset_caches()
    return root, dict(os.environ, **env)


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)


def cli_here(env: dict, monkeypatch, capsys, *args: str) -> subprocess.CompletedProcess:
    """cli.main in this process with the book's environment; the same result fields as a real run."""
    import cli as entry
    from tests.conftest import reset_caches
    for k, v in env.items():
        if k.startswith("LOANWATCH_"):
            monkeypatch.setenv(k, v)
    reset_caches()
    capsys.readouterr()
    rc = entry.main(list(args))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, rc, out.out, out.err)


def _one_clean_line(p: subprocess.CompletedProcess) -> str:
    """The error line: the last on stderr (progress lines may come before it), the only one, no traceback."""
    lines = p.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == lines[-1:] and "Traceback" not in p.stderr, p.stderr
    return lines[-1]


def test_train_list_promote_score(book, monkeypatch, capsys):
    root, env = book
    report, preds = root / "report.json", root / "oot.csv"
    p = cli(env, *TRAIN, "--seed", "3", "--report-out", str(report), "--predictions-out", str(preds))
    assert p.returncode == 0, p.stderr
    printed = json.loads(p.stdout)
    assert {"auc", "gini", "ks", "brier", "psi"} <= set(printed) and printed["auc"] > 0.7
    assert json.loads(report.read_text()) == printed
    lines = preds.read_text().splitlines()
    assert lines[0] == "loan_id,obs_month,pd,bad" and len(lines) - 1 == printed["oot"]["rows"]
    assert {line.split(",")[1] for line in lines[1:]} == {"2026-04", "2026-05", "2026-06"}
    assert "building features" in p.stderr and "training: " in p.stderr and "models promote" in p.stderr

    listed = json.loads(cli_here(env, monkeypatch, capsys, "models", "list", "--format", "json").stdout)
    assert [(m["target"], m["version"], m["champion"]) for m in listed] == \
        [("early_warning", printed["version"], False)]
    p = cli_here(env, monkeypatch, capsys, "score", "--as-of", "2026-10")
    assert p.returncode == 1 and "no champion model" in _one_clean_line(p)
    p = cli(env, "models", "promote", "early_warning", printed["version"], "--reason", "validated")
    assert p.returncode == 0 and "is now the champion" in p.stderr
    p = cli(env, "score", "--as-of", "2026-10")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["as_of"] == "2026-10-31" and out["targets"]["early_warning"]["version"] == printed["version"]
    table = cli_here(env, monkeypatch, capsys, "models", "list").stdout
    assert printed["version"] in table and "*" in table
    p = cli_here(env, monkeypatch, capsys, "score", "--as-of", "2031-01")
    assert p.returncode == 1 and "months missing: no performance data at 2031-01" in _one_clean_line(p)


@pytest.mark.parametrize("args, text", [
    (["train", "--obs-from", "2025-09", "--obs-to", "2026-06", "--oot-from", "2026-04"], "--target"),
    (["train", "--target", "early_warning", "--obs-from", "2025-13", "--obs-to", "2026-06", "--oot-from",
      "2026-04"], "YYYY-MM"),
    (TRAIN[:-1] + ["2025-09"], "--oot-from must be after --obs-from"),
    (["train", "--target", "tw_default", "--obs-from", "2005-06", "--obs-to", "2005-09", "--oot-from", "2005-09"],
     "give --horizon and --bad-dpd"),
    (TRAIN + ["--horizon", "0"], "--horizon must be"),
    (TRAIN + ["--report-out", "/no/such/folder/r.json"], "folder /no/such/folder does not exist"),
    (["models", "promote", "early_warning", "20990101-000000-abcd"], "no version"),
    (["models"], "ACTION"),
])
def test_usage_problems_exit_2(book, args, text, monkeypatch, capsys):
    p = cli_here(book[1], monkeypatch, capsys, *args)
    assert p.returncode == 2 and text in _one_clean_line(p)


@pytest.mark.parametrize("args, text", [
    (["train", "--target", "behaviour", "--obs-from", "2025-06", "--obs-to", "2026-06", "--oot-from", "2026-01"],
     "outcomes not observed yet: with a 12-month horizon the data (to 2026-10) covers observation months up to "
     "2025-10, not 2026-06"),
    (["train", "--target", "early_warning", "--obs-from", "2019-01", "--obs-to", "2026-06", "--oot-from",
      "2026-04"], "months missing: no performance data at 2019-01"),
    (TRAIN + ["--bad-dpd", "900"], "too few bads"),
])
def test_data_problems_exit_1(book, args, text, monkeypatch, capsys):
    p = cli_here(book[1], monkeypatch, capsys, *args)
    assert p.returncode == 1 and text in _one_clean_line(p)


def test_real_processes_exit_2_and_1_without_a_traceback(book, tmp_path):
    p = cli(book[1], *TRAIN[:-1], "2025-09")
    assert p.returncode == 2 and "--oot-from must be after --obs-from" in _one_clean_line(p)
    p = cli(dict(os.environ, **workspace_env(tmp_path)), *TRAIN)
    assert p.returncode == 1 and "no data has been published yet" in _one_clean_line(p)
