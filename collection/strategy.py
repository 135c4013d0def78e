"""Collection strategies: segments of delinquent accounts (bucket x risk band x balance band), each with a treatment
path (ordered actions at days past the missed due date) and optionally a challenger path for a random share.

A strategy is a JSON document kept in the workflow store (`collection_strategies`); exactly one is active. Saving
validates it first (a bad one is refused with a message naming the field, and the active one stays untouched),
retires the previous one and is audited. A workspace without any strategy gets `DEFAULT` on first use.

Segments are matched in order, first match wins; together they must cover every delinquent bucket x risk band x
balance band, and each must win at least one cell (otherwise it is dead configuration, refused).
"""
from __future__ import annotations

import copy
import hashlib
import json
import re

import sqlalchemy as sa

from collection import CHANNELS, DELINQUENT_BUCKETS
from data import workflow
from data.errors import DataError

ARMS = ("champion", "challenger")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")

# The default treatment paths run over the whole delinquency timeline (days after the missed due date): an
# account starts, or continues, at the step its days past due have reached (collection/daily.py).
DEFAULT: dict = {
    "name": "standard",
    "risk_bands": [["low", 0.35], ["medium", 0.60], ["high", 1.0]],        # upper edge of the risk (PD)
    "balance_bands": [["small", 5000], ["medium", 50000], ["large", None]],  # upper edge in yuan; None = no limit
    "repeat_days": 30,
    "paths": {
        "light": [{"day": 1, "channel": "sms"}, {"day": 3, "channel": "app_push"}, {"day": 7, "channel": "robo_call"},
                  {"day": 20, "channel": "letter"}, {"day": 35, "channel": "agent_call"},
                  {"day": 60, "channel": "field_visit"}, {"day": 90, "channel": "agency"}],
        "digital": [{"day": 1, "channel": "app_push"}, {"day": 2, "channel": "sms"}, {"day": 4, "channel": "email"},
                    {"day": 7, "channel": "robo_call"}, {"day": 12, "channel": "agent_call"},
                    {"day": 20, "channel": "letter"}, {"day": 45, "channel": "field_visit"},
                    {"day": 90, "channel": "agency"}],
        "standard": [{"day": 1, "channel": "sms"}, {"day": 3, "channel": "robo_call"},
                     {"day": 7, "channel": "agent_call"}, {"day": 15, "channel": "letter"},
                     {"day": 30, "channel": "agent_call"}, {"day": 45, "channel": "field_visit"},
                     {"day": 90, "channel": "agency"}, {"day": 120, "channel": "legal"}],
        "intensive": [{"day": 1, "channel": "sms"}, {"day": 3, "channel": "agent_call"},
                      {"day": 10, "channel": "letter"}, {"day": 15, "channel": "agent_call"},
                      {"day": 30, "channel": "field_visit"}, {"day": 60, "channel": "agent_call"},
                      {"day": 90, "channel": "legal"}],
    },
    "segments": [
        {"name": "early_small", "buckets": ["1-30"], "risk": ["low", "medium"], "balance": ["small"],
         "path": "light", "challenger": {"path": "digital", "share": 0.2}},
        {"name": "early_large", "buckets": ["1-30"], "risk": "*", "balance": ["large"], "path": "intensive"},
        {"name": "early", "buckets": ["1-30"], "risk": "*", "balance": "*", "path": "standard",
         "challenger": {"path": "intensive", "share": 0.2}},
        {"name": "middle_high", "buckets": ["31-60", "61-90"], "risk": ["high"], "balance": "*", "path": "intensive"},
        {"name": "middle", "buckets": ["31-60", "61-90"], "risk": "*", "balance": "*", "path": "standard",
         "challenger": {"path": "intensive", "share": 0.1}},
        {"name": "late", "buckets": ["91-120", "121-150", "151-180", "180+"], "risk": "*", "balance": "*",
         "path": "intensive"},
    ],
}


class StrategyError(DataError):
    """A strategy refused by validation; `field` names where (e.g. `segments[2].path`)."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"strategy refused: {field}: {problem}")
        self.field = field


def _check(ok: bool, field: str, problem: str) -> None:
    if not ok:
        raise StrategyError(field, problem)


def _bands(body: dict, key: str, upper_limit: float | None) -> list[list]:
    bands = body.get(key)
    _check(isinstance(bands, list) and len(bands) >= 1, key, "expected a list of [name, upper edge] pairs")
    out, names, prev = [], set(), 0.0
    for i, band in enumerate(bands):
        f = f"{key}[{i}]"
        _check(isinstance(band, (list, tuple)) and len(band) == 2, f, "expected [name, upper edge]")
        name, edge = band
        _check(isinstance(name, str) and bool(_NAME.match(name)), f"{f}.name",
               "a name of letters, digits, '_' or '-' starting with a letter")
        _check(name not in names, f"{f}.name", f"duplicate band {name!r}")
        last = i == len(bands) - 1
        if last and edge is None:
            _check(upper_limit is None, f"{f}.edge", f"the last edge must be {upper_limit}")
        else:
            _check(isinstance(edge, (int, float)) and not isinstance(edge, bool), f"{f}.edge", "expected a number")
            _check(edge > prev, f"{f}.edge", f"edges must increase (previous {prev}, got {edge})")
            if last:
                _check(upper_limit is not None and edge == upper_limit, f"{f}.edge",
                       f"the last edge must be {upper_limit if upper_limit is not None else 'null (no limit)'}")
            prev = float(edge)
        names.add(name)
        out.append([name, None if edge is None else float(edge)])
    return out


def _paths(body: dict) -> dict[str, list[dict]]:
    paths = body.get("paths")
    _check(isinstance(paths, dict) and len(paths) >= 1, "paths", "expected an object of path name -> steps")
    out = {}
    for name, steps in paths.items():
        f = f"paths.{name}"
        _check(bool(_NAME.match(str(name))), f, "a path name of letters, digits, '_' or '-' starting with a letter")
        _check(isinstance(steps, list) and len(steps) >= 1, f, "expected a non-empty list of steps")
        prev, clean = -1, []
        for i, step in enumerate(steps):
            g = f"{f}[{i}]"
            _check(isinstance(step, dict) and set(step) == {"day", "channel"}, g,
                   "expected exactly {\"day\": D, \"channel\": C}")
            day, channel = step["day"], step["channel"]
            _check(isinstance(day, int) and not isinstance(day, bool) and 0 <= day <= 3650, f"{g}.day",
                   "days after the missed due date, a whole number 0-3650")
            _check(day >= prev, f"{g}.day", f"steps must be in order of day ({day} after {prev})")
            _check(channel in CHANNELS, f"{g}.channel", f"unknown channel {channel!r} (one of {', '.join(CHANNELS)})")
            prev = day
            clean.append({"day": day, "channel": channel})
        out[str(name)] = clean
    return out


def _choice(seg: dict, key: str, allowed: list[str], f: str) -> list[str]:
    value = seg.get(key, "*")
    if value == "*":
        return list(allowed)
    _check(isinstance(value, list) and len(value) >= 1, f"{f}.{key}", "expected '*' or a non-empty list")
    for v in value:
        _check(v in allowed, f"{f}.{key}", f"unknown value {v!r} (one of {', '.join(allowed)})")
    return list(dict.fromkeys(value))


def validate(body: dict) -> dict:
    """The strategy, checked and normalised; raises StrategyError naming the first bad field."""
    _check(isinstance(body, dict), "strategy", "expected a JSON object")
    unknown = set(body) - {"name", "risk_bands", "balance_bands", "repeat_days", "paths", "segments"}
    _check(not unknown, ", ".join(sorted(unknown)) if unknown else "", "unknown field")
    name = body.get("name")
    _check(isinstance(name, str) and bool(_NAME.match(name)), "name",
           "a name of letters, digits, '_' or '-' starting with a letter, at most 64 characters")
    risk = _bands(body, "risk_bands", 1.0)
    balance = _bands(body, "balance_bands", None)
    repeat = body.get("repeat_days", 30)
    _check(isinstance(repeat, int) and not isinstance(repeat, bool) and 1 <= repeat <= 365, "repeat_days",
           "days between repeats of a path's last step, 1-365")
    paths = _paths(body)
    segs = body.get("segments")
    _check(isinstance(segs, list) and len(segs) >= 1, "segments", "expected a non-empty list")
    risk_names, balance_names = [b[0] for b in risk], [b[0] for b in balance]
    clean, seen = [], set()
    for i, seg in enumerate(segs):
        f = f"segments[{i}]"
        _check(isinstance(seg, dict), f, "expected an object")
        extra = set(seg) - {"name", "buckets", "risk", "balance", "path", "challenger"}
        _check(not extra, f"{f}.{sorted(extra)[0] if extra else ''}", "unknown field")
        _check(isinstance(seg.get("name"), str) and bool(_NAME.match(seg["name"])), f"{f}.name",
               "a name of letters, digits, '_' or '-' starting with a letter")
        _check(seg["name"] not in seen, f"{f}.name", f"duplicate segment {seg['name']!r}")
        seen.add(seg["name"])
        _check(seg.get("path") in paths, f"{f}.path", f"no path named {seg.get('path')!r} in paths")
        out = {"name": seg["name"], "buckets": _choice(seg, "buckets", list(DELINQUENT_BUCKETS), f),
               "risk": _choice(seg, "risk", risk_names, f), "balance": _choice(seg, "balance", balance_names, f),
               "path": seg["path"]}
        ch = seg.get("challenger")
        if ch is not None:
            _check(isinstance(ch, dict) and set(ch) == {"path", "share"}, f"{f}.challenger",
                   "expected {\"path\": P, \"share\": S}")
            _check(ch["path"] in paths, f"{f}.challenger.path", f"no path named {ch['path']!r} in paths")
            _check(ch["path"] != seg["path"], f"{f}.challenger.path", "the same path as the champion")
            _check(isinstance(ch["share"], (int, float)) and not isinstance(ch["share"], bool)
                   and 0 < ch["share"] < 1, f"{f}.challenger.share", "a share between 0 and 1 (0.2 = 20%)")
            out["challenger"] = {"path": ch["path"], "share": float(ch["share"])}
        clean.append(out)
    norm = {"name": name, "risk_bands": risk, "balance_bands": balance, "repeat_days": repeat, "paths": paths,
            "segments": clean}
    cells(norm)                      # coverage and dead segments
    return norm


def cells(body: dict) -> list[tuple[str, str, str, str]]:
    """(bucket, risk band, balance band, segment) for every cell, first matching segment winning."""
    out, used = [], set()
    for bucket in DELINQUENT_BUCKETS:
        for r, _ in body["risk_bands"]:
            for b, _ in body["balance_bands"]:
                seg = next((s for s in body["segments"]
                            if bucket in s["buckets"] and r in s["risk"] and b in s["balance"]), None)
                _check(seg is not None, "segments",
                       f"no segment covers bucket {bucket!r} x risk {r!r} x balance {b!r} (add a catch-all last)")
                used.add(seg["name"])
                out.append((bucket, r, b, seg["name"]))
    for i, s in enumerate(body["segments"]):
        _check(s["name"] in used, f"segments[{i}]",
               f"segment {s['name']!r} is never used: earlier segments already take all its cells")
    return out


def arm_draw(strategy: str, segment: str, loan_id: str) -> float:
    """The account's stable uniform draw in [0, 1): challenger when below the segment's share. Keyed by strategy
    and segment, so raising a share keeps the accounts already in the challenger arm there."""
    return int(hashlib.md5(f"{strategy}|{segment}|{loan_id}".encode()).hexdigest()[:8], 16) / 2 ** 32


def _row_to(r) -> dict:
    return {"strategy_id": r.strategy_id, "name": r.name, "body": json.loads(r.body), "status": r.status,
            "note": r.note, "created_at": r.created_at, "created_by": r.created_by}


def active(eng: sa.Engine | None = None) -> dict:
    """The active strategy {strategy_id, name, body, ...}; seeds DEFAULT when the workspace has none."""
    eng = eng or workflow.engine()
    t = workflow.collection_strategies
    with eng.connect() as c:
        row = c.execute(sa.select(t).where(t.c.status == "active").order_by(t.c.strategy_id.desc())).first()
    if row is not None:
        return _row_to(row)
    save(copy.deepcopy(DEFAULT), note="default strategy seeded", actor="system", eng=eng)
    return active(eng)


def save(body: dict, note: str | None = None, actor: str | None = None, eng: sa.Engine | None = None) -> int:
    """Validate and activate a strategy (the previous active one is retired); audited. Returns its id."""
    eng = eng or workflow.engine()
    norm = validate(body)
    actor = actor or workflow.operator()
    t = workflow.collection_strategies
    with eng.begin() as c:
        prev = c.execute(sa.select(t.c.strategy_id).where(t.c.status == "active")).scalars().all()
        c.execute(t.update().where(t.c.status == "active").values(status="retired"))
        sid = c.execute(t.insert().values(name=norm["name"], body=json.dumps(norm, ensure_ascii=False),
                                          status="active", note=note, created_at=workflow.now(),
                                          created_by=actor)).inserted_primary_key[0]
    workflow.audit("collections_strategy_save", actor=actor, target=f"strategy:{sid}", eng=eng,
                   details={"name": norm["name"], "replaces": prev, "note": note,
                            "segments": [s["name"] for s in norm["segments"]], "paths": sorted(norm["paths"])})
    return sid


def history(eng: sa.Engine | None = None) -> list[dict]:
    """Every stored strategy, newest first."""
    t = workflow.collection_strategies
    with (eng or workflow.engine()).connect() as c:
        return [_row_to(r) for r in c.execute(sa.select(t).order_by(t.c.strategy_id.desc()))]


def get(strategy_id: int, eng: sa.Engine | None = None) -> dict:
    t = workflow.collection_strategies
    with (eng or workflow.engine()).connect() as c:
        row = c.execute(sa.select(t).where(t.c.strategy_id == strategy_id)).first()
    if row is None:
        raise DataError(f"no collection strategy {strategy_id}")
    return _row_to(row)
