"""Collection strategies: the default is valid and covers every cell; bad ones are refused naming the field and
leave the active strategy untouched; saves are audited; the command line checks and saves files."""
from __future__ import annotations

import copy
import json

import pytest

from collection import strategy
from collection.strategy import DEFAULT, StrategyError
from data import workflow


def _bad(mutate) -> StrategyError:
    body = copy.deepcopy(DEFAULT)
    mutate(body)
    with pytest.raises(StrategyError) as err:
        strategy.validate(body)
    return err.value


def test_default_is_valid_and_covers_every_cell():
    body = strategy.validate(copy.deepcopy(DEFAULT))
    cells = strategy.cells(body)
    assert len(cells) == 7 * 3 * 3                  # delinquent buckets x risk bands x balance bands
    seg = {(b, r, m): s for b, r, m, s in cells}
    assert seg[("1-30", "low", "small")] == seg[("1-30", "medium", "small")] == "early_small"
    assert seg[("1-30", "low", "large")] == "early_large"
    assert seg[("1-30", "high", "small")] == seg[("1-30", "low", "medium")] == "early"
    assert seg[("61-90", "high", "small")] == "middle_high"
    assert seg[("180+", "low", "small")] == "late"


@pytest.mark.parametrize("mutate, field, words", [
    (lambda b: b["paths"]["light"][0].update(channel="pigeon"), "paths.light[0].channel", "unknown channel"),
    (lambda b: b["paths"]["light"][1].update(day=0), "paths.light[1].day", "in order of day"),
    (lambda b: b["segments"][0].update(path="nowhere"), "segments[0].path", "no path named"),
    (lambda b: b["segments"][0].update(buckets=["1-29"]), "segments[0].buckets", "unknown value '1-29'"),
    (lambda b: b["segments"][0]["challenger"].update(share=1.5), "segments[0].challenger.share", "between 0 and 1"),
    (lambda b: b["segments"][0]["challenger"].update(path="light"), "segments[0].challenger.path", "same path"),
    (lambda b: b["risk_bands"].__setitem__(1, ["medium", 0.2]), "risk_bands[1].edge", "must increase"),
    (lambda b: b["risk_bands"].__setitem__(2, ["high", 0.9]), "risk_bands[2].edge", "must be 1.0"),
    (lambda b: b["segments"].pop(), "segments", "no segment covers bucket '91-120'"),
    (lambda b: b["segments"].append({"name": "dead", "path": "light"}), "segments[6]", "never used"),
    (lambda b: b["segments"][1].update(name="early_small"), "segments[1].name", "duplicate segment"),
    (lambda b: b.update(repeat_days=0), "repeat_days", "1-365"),
])
def test_bad_strategies_are_refused_naming_the_field(mutate, field, words):
    err = _bad(mutate)
    assert err.field == field
    assert words in str(err) and str(err).startswith(f"strategy refused: {field}: ")


def test_save_refused_keeps_the_active_strategy_and_saves_are_audited(isolated_home):
    first = strategy.active()                       # seeds the default
    assert (first["name"], first["created_by"]) == ("standard", "system")
    bad = copy.deepcopy(DEFAULT)
    bad["segments"][0]["path"] = "nowhere"
    with pytest.raises(StrategyError):
        strategy.save(bad, actor="alice")
    assert strategy.active()["strategy_id"] == first["strategy_id"]
    good = copy.deepcopy(DEFAULT)
    good["name"] = "tighter"
    good["segments"][0]["challenger"]["share"] = 0.3
    sid = strategy.save(good, note="more digital", actor="alice")
    now = strategy.active()
    assert (now["strategy_id"], now["name"], now["body"]["segments"][0]["challenger"]["share"]) == (sid, "tighter", 0.3)
    assert [s["status"] for s in strategy.history()] == ["active", "retired"]
    entries = workflow.audit_entries(action="collections_strategy_save")
    assert [(e["actor"], e["target"]) for e in entries] == [("alice", f"strategy:{sid}"),
                                                            ("system", f"strategy:{first['strategy_id']}")]
    assert json.loads(entries[0]["details"])["replaces"] == [first["strategy_id"]]


def test_cli_check_and_save(isolated_home, tmp_path, capsys):
    import cli
    bad = copy.deepcopy(DEFAULT)
    bad["paths"]["digital"][2]["channel"] = "fax"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(bad))
    assert cli.main(["collections", "strategy", "save", str(path)]) == 1
    assert "paths.digital[2].channel: unknown channel 'fax'" in capsys.readouterr().err
    path.write_text("{not json")
    assert cli.main(["collections", "strategy", "check", str(path)]) == 1
    assert "not valid JSON" in capsys.readouterr().err
    path.write_text(json.dumps(DEFAULT))
    assert cli.main(["collections", "strategy", "save", str(path), "--note", "from file"]) == 0
    assert cli.main(["collections", "strategy", "show"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "standard"
