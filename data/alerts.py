"""Early-warning alerts in the workflow store: rules that combine signals, raising alerts, their workflow, events.

A rule names signals, `any` or `all` of them, a minimum severity and who owns what it raises (`officer`: the
loan's officer; `branch`: the loan's branch as `branch:<name>`; `user:<username>`). Rules are validated before
they are saved (a bad one is refused with a message and the stored rules stay as they were) and every change is
audited. An alert is one loan and one signal: open -> acknowledged -> resolved or escalated (to a review or to
collections); at most one open or acknowledged alert per loan and signal, and one raise per loan, signal and date,
so a daily run repeated for the same month-end changes nothing.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import numbers
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

import config
import signals
from analytics.sql import queries
from data import workflow
from data.errors import DataError, UsageError

if TYPE_CHECKING:
    import duckdb

STATUSES = ("open", "acknowledged", "resolved", "escalated")
MOVES = {"open": ("acknowledged", "resolved", "escalated"), "acknowledged": ("resolved", "escalated")}
ESCALATE_TO = ("review", "collections")
MODES = ("any", "all")
DEFAULT_RULE = {"name": "every_signal", "signals": [s.name for s in signals.SIGNALS], "mode": "any",
                "min_severity": "low", "owner": "officer", "enabled": True}
REPORT_COLUMNS = ["alert_id", "loan_id", "signal", "severity", "status", "raised_at", "owner"]
SQL = str(Path(__file__).with_suffix(".sql"))
_NAME = re.compile(r"[a-z][a-z0-9_]{1,63}")


# ------------------------------------------------------------------------------------------------------ rules
def validate_rule(rule: dict, eng: sa.Engine | None = None) -> dict:
    """The rule in its stored shape, or ValueError saying what is wrong with it."""
    name = str(rule.get("name") or "").strip()
    if not _NAME.fullmatch(name):
        raise ValueError(f"rule name {name!r}: use 2-64 lower-case letters, digits and _, starting with a letter")
    names = list(dict.fromkeys(rule.get("signals") or []))
    if not names:
        raise ValueError(f"rule {name}: choose at least one signal")
    unknown = [s for s in names if s not in signals.BY_NAME]
    if unknown:
        raise ValueError(f"rule {name}: unknown signal(s) {', '.join(map(str, unknown))}")
    mode, floor = rule.get("mode", "any"), rule.get("min_severity", "low")
    if mode not in MODES:
        raise ValueError(f"rule {name}: mode must be 'any' or 'all', not {mode!r}")
    if floor not in signals.SEVERITIES:
        raise ValueError(f"rule {name}: minimum severity must be one of {', '.join(signals.SEVERITIES)}")
    below = [s for s in names if signals.severity_rank(signals.BY_NAME[s].severity) < signals.severity_rank(floor)]
    if below and (mode == "all" or len(below) == len(names)):
        raise ValueError(f"rule {name} can never raise an alert: {', '.join(below)} below severity {floor}")
    owner = str(rule.get("owner") or "officer")
    if owner.startswith("user:"):
        with (eng or workflow.engine()).connect() as c:
            if not c.execute(sa.select(workflow.users.c.username)
                             .where(workflow.users.c.username == owner[5:])).first():
                raise ValueError(f"rule {name}: no user {owner[5:]!r} to own its alerts")
    elif owner not in ("officer", "branch"):
        raise ValueError(f"rule {name}: owner must be 'officer', 'branch' or 'user:<username>', not {owner!r}")
    return {"name": name, "signals": names, "mode": mode, "min_severity": floor, "owner": owner,
            "enabled": bool(rule.get("enabled", True))}


def rules(eng: sa.Engine | None = None) -> list[dict]:
    """The stored rules by name; the default rule (every signal, officer owns) when none was ever saved."""
    with (eng or workflow.engine()).connect() as c:
        rows = [dict(r._mapping) for r in c.execute(sa.select(workflow.alert_rules)
                                                    .order_by(workflow.alert_rules.c.name))]
    for r in rows:
        r["signals"] = json.loads(r["signals"])
    return rows or [dict(DEFAULT_RULE)]


def save_rule(rule: dict, actor: str | None = None, origin: str | None = None,
              eng: sa.Engine | None = None) -> dict:
    """Validate, then insert or replace the rule by name (audited with the rule before and after)."""
    eng = eng or workflow.engine()
    new = validate_rule(rule, eng)
    t = workflow.alert_rules
    with eng.begin() as c:
        old = c.execute(sa.select(t).where(t.c.name == new["name"])).first()
        values = {**new, "signals": json.dumps(new["signals"]), "updated_at": workflow.now(),
                  "updated_by": actor or workflow.operator()}
        if old:
            c.execute(t.update().where(t.c.name == new["name"]).values(**values))
        else:
            c.execute(t.insert().values(**values))
    before = old and {**dict(old._mapping), "signals": json.loads(old.signals)}
    workflow.audit("alert_rule_save", actor=actor, origin=origin, target=f"rule:{new['name']}", eng=eng,
                   details={"before": before and {k: before[k] for k in new}, "after": new})
    return new


def delete_rule(name: str, actor: str | None = None, origin: str | None = None, eng: sa.Engine | None = None) -> None:
    eng = eng or workflow.engine()
    with eng.begin() as c:
        n = c.execute(workflow.alert_rules.delete().where(workflow.alert_rules.c.name == name)).rowcount
    if not n:
        raise ValueError(f"no rule named {name!r}")
    workflow.audit("alert_rule_delete", actor=actor, origin=origin, target=f"rule:{name}", eng=eng)


# ------------------------------------------------------------------------------------------------ raising
CANDIDATE_COLUMNS = ["loan_id", "signal", "severity", "rule", "owner", "branch", "officer", "evidence"]


def _plain(value: Any) -> Any:
    """An evidence value as JSON takes it: missing -> null, dates YYYY-MM-DD, floats to 6 decimals."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (dt.date, pd.Timestamp)):          # datetime and Timestamp are dates too
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return None if math.isnan(value) else round(float(value), 6)
    return value


def _column(values: pd.Series) -> list:
    """A column of evidence values as JSON takes them (_plain), converted by its type once where it can be."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return [None if pd.isna(v) else v for v in values.dt.strftime("%Y-%m-%d")]
    if pd.api.types.is_float_dtype(values):
        return [None if math.isnan(v) else round(v, 6) for v in values.tolist()]
    return [_plain(v) for v in values.tolist()]


def _evidence(df: pd.DataFrame) -> list[str]:
    """One JSON object per row: the evidence columns (not the loan's keys)."""
    keys = [c for c in df.columns if c not in ("loan_id", "branch", "officer")]
    return [json.dumps(dict(zip(keys, row)), ensure_ascii=False, separators=(",", ":"))
            for row in zip(*(_column(df[k]) for k in keys))] if keys else ["{}"] * len(df)


def _texts(values: pd.Series) -> list[str | None]:
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in values.tolist()]


def candidates(results: dict[str, pd.DataFrame], rule_list: list[dict]) -> pd.DataFrame:
    """loan_id, signal, severity, rule, owner, branch, officer, evidence: what the enabled rules raise from the
    fired signals (one row per loan and signal; the first rule by name that raises it, at its highest severity).
    Built from plain lists: an event fires a row or two, where pandas' per-frame overhead would dominate."""
    out, seen, rows = [], set(), {}
    for rule in (r for r in rule_list if r["enabled"]):
        floor = signals.severity_rank(rule["min_severity"])
        names = [s for s in rule["signals"] if signals.severity_rank(signals.BY_NAME[s].severity) >= floor]
        fired = {s: results[s] for s in names if s in results and len(results[s])}
        common = None
        if rule["mode"] == "all":
            if len(fired) < len(rule["signals"]):
                continue
            common = set.intersection(*(set(df["loan_id"]) for df in fired.values()))
            top = max((signals.BY_NAME[x].severity for x in fired), key=signals.severity_rank)
        for s, df in fired.items():
            if s not in rows:               # each fired signal's rows once, whatever the number of rules
                rows[s] = list(zip(df["loan_id"].tolist(), _texts(df["branch"]), _texts(df["officer"]),
                                   _evidence(df)))
            severity = top if common is not None else signals.BY_NAME[s].severity
            for loan_id, branch, officer, evidence in rows[s]:
                if (loan_id, s) in seen or (common is not None and loan_id not in common):
                    continue
                seen.add((loan_id, s))
                owner = {"officer": officer or f"branch:{branch or ''}", "branch": f"branch:{branch or ''}"}.get(
                    rule["owner"], rule["owner"][5:])
                out.append((loan_id, s, severity, rule["name"], owner, branch, officer, evidence))
    return pd.DataFrame(out, columns=CANDIDATE_COLUMNS, dtype=object)


def due_days() -> dict[str, int]:
    pairs = (p.split("=") for p in config.setting("alert_due_days").split(","))
    return {k.strip(): int(v) for k, v in pairs}


def raise_alerts(cands: pd.DataFrame, raised_at: dt.date, source: str, eng: sa.Engine | None = None) -> int:
    """Insert the candidates as open alerts (skipping a loan and signal already open, or raised that date);
    returns how many were new."""
    eng = eng or workflow.engine()
    if cands.empty:
        return 0
    days, stamp = due_days(), workflow.now()
    rows = [{"loan_id": r.loan_id, "signal": r.signal, "severity": r.severity, "status": "open",
             "raised_at": raised_at, "due_date": raised_at + dt.timedelta(days=days.get(r.severity, 7)),
             "rule": r.rule, "owner": r.owner, "branch": r.branch, "officer": r.officer, "evidence": r.evidence,
             "source": source, "open_key": f"{r.loan_id}|{r.signal}", "created_at": stamp, "updated_at": stamp}
            for r in cands.itertuples(index=False)]
    t = workflow.alerts
    insert = _insert_ignore(eng, t)
    with eng.begin() as c:       # new rows are those above the highest id before (the key's index, not a count)
        before = c.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.alert_id), 0))).scalar_one()
        for i in range(0, len(rows), 20_000):
            c.execute(insert, rows[i:i + 20_000])
        return c.execute(sa.select(sa.func.count()).select_from(t).where(t.c.alert_id > before)).scalar_one()


def _insert_ignore(eng: sa.Engine, table: sa.Table):
    """INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL)."""
    if eng.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


# ------------------------------------------------------------------------------------------------ workflow
def get_alert(alert_id: int, eng: sa.Engine | None = None) -> dict:
    with (eng or workflow.engine()).connect() as c:
        row = c.execute(sa.select(workflow.alerts).where(workflow.alerts.c.alert_id == alert_id)).first()
    if row is None:
        raise ValueError(f"no alert {alert_id}")
    out = dict(row._mapping)
    out["evidence"] = json.loads(out["evidence"] or "{}")
    return out


def move(alert_id: int, status: str, actor: str | None = None, to: str | None = None, note: str | None = None,
         origin: str | None = None, eng: sa.Engine | None = None) -> dict:
    """Acknowledge, resolve or escalate an alert (escalate: `to` review, which creates a triggered review, or
    collections); audited, with `note` kept as a comment."""
    eng = eng or workflow.engine()
    alert = get_alert(alert_id, eng)
    if status not in MOVES.get(alert["status"], ()):
        raise ValueError(f"alert {alert_id} is {alert['status']}: it cannot become {status}")
    if status == "escalated" and to not in ESCALATE_TO:
        raise ValueError(f"escalate to one of {', '.join(ESCALATE_TO)}")
    actor = actor or workflow.operator()
    values: dict[str, Any] = {"status": status, "updated_at": workflow.now(), "updated_by": actor}
    if status in ("resolved", "escalated"):
        values.update(open_key=None, escalated_to=to)
    with eng.begin() as c:
        c.execute(workflow.alerts.update().where(workflow.alerts.c.alert_id == alert_id).values(**values))
    if note:
        comment(alert_id, note, actor, origin, eng)
    review_id = None
    if status == "escalated" and to == "review":
        from data import reviews
        review_id = reviews.trigger(alert["loan_id"], f"alert:{alert_id}", alert.get("officer"),
                                    alert.get("branch"), eng=eng)
    workflow.audit(f"alert_{status}", actor=actor, origin=origin, target=f"alert:{alert_id}", eng=eng,
                   details={"loan_id": alert["loan_id"], "signal": alert["signal"], "from": alert["status"],
                            "to": to, "review_id": review_id})
    return get_alert(alert_id, eng)


def reassign(alert_id: int, owner: str, actor: str | None = None, origin: str | None = None,
             eng: sa.Engine | None = None) -> dict:
    eng = eng or workflow.engine()
    alert = get_alert(alert_id, eng)
    if not owner.strip():
        raise ValueError("name the new owner")
    with eng.begin() as c:
        c.execute(workflow.alerts.update().where(workflow.alerts.c.alert_id == alert_id).values(
            owner=owner.strip(), updated_at=workflow.now(), updated_by=actor or workflow.operator()))
    workflow.audit("alert_reassign", actor=actor, origin=origin, target=f"alert:{alert_id}", eng=eng,
                   details={"from": alert["owner"], "to": owner.strip()})
    return get_alert(alert_id, eng)


def comment(alert_id: int, text: str, actor: str | None = None, origin: str | None = None,
            eng: sa.Engine | None = None) -> int:
    eng = eng or workflow.engine()
    get_alert(alert_id, eng)
    if not text.strip():
        raise ValueError("a comment needs some text")
    actor = actor or workflow.operator()
    with eng.begin() as c:
        cid = c.execute(workflow.alert_comments.insert().values(alert_id=alert_id, at=workflow.now(), actor=actor,
                                                                text=text.strip())).inserted_primary_key[0]
    workflow.audit("alert_comment", actor=actor, origin=origin, target=f"alert:{alert_id}", eng=eng,
                   details={"comment_id": cid})
    return cid


def comments(alert_id: int, eng: sa.Engine | None = None) -> list[dict]:
    t = workflow.alert_comments
    with (eng or workflow.engine()).connect() as c:
        return [dict(r._mapping) for r in c.execute(sa.select(t).where(t.c.alert_id == alert_id)
                                                    .order_by(t.c.comment_id))]


def _selected(q, month: dt.date | None, status: tuple[str, ...], owner: str | None, branch: str | None):
    t = workflow.alerts
    if month is not None:
        q = q.where(t.c.raised_at >= month.replace(day=1), t.c.raised_at <= month)
    if status:
        q = q.where(t.c.status.in_(status))
    if owner:
        q = q.where(t.c.owner == owner)
    if branch:
        q = q.where(t.c.branch == branch)
    return q


def alerts_frame(month: dt.date | None = None, status: tuple[str, ...] = (), owner: str | None = None,
                 branch: str | None = None, by_due: bool = False, limit: int | None = None,
                 eng: sa.Engine | None = None) -> pd.DataFrame:
    """Alerts (raised in the month of `month`, with these statuses, this owner, this branch, when given), oldest
    first (or soonest due first with `by_due`), every column; the first `limit` of them when given."""
    t = workflow.alerts
    q = _selected(sa.select(t).order_by(*((t.c.due_date,) if by_due else ()), t.c.alert_id),
                  month, status, owner, branch)
    return workflow.rows_frame(q.limit(limit) if limit else q, t, eng)


def alerts_summary(today: dt.date, month: dt.date | None = None, status: tuple[str, ...] = (),
                   owner: str | None = None, branch: str | None = None, eng: sa.Engine | None = None) -> dict:
    """queue_summary of every alert alerts_frame selects, counted in the store (no rows loaded)."""
    t = workflow.alerts
    live = t.c.status.in_(("open", "acknowledged"))
    q = _selected(sa.select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sa.case((live, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((live & (t.c.due_date < today), 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((live & t.c.severity.in_(("high", "critical")), 1), else_=0)), 0)),
        month, status, owner, branch)
    with (eng or workflow.engine()).connect() as c:
        n, live_n, overdue, urgent = c.execute(q).one()
    return {"alerts": int(n), "open": int(live_n), "overdue": int(overdue), "urgent": int(urgent)}



def alert_reasons(con: duckdb.DuckDBPyConnection, loan_id: str, raised_at: dt.date, target: str | None = None,
                  home: Path | None = None) -> dict:
    """The model's reasons for an alert's loan at the month-end the alert was evaluated against (the latest on or
    before `raised_at`), with the early-warning target (setting ew_model_target) unless `target` is given:
    {source, target, month, version, pd, reasons: [{code, en, zh}] (up to three, largest first), why}.
    source "scored": the batch scores' reason codes for that month; "explained": the target's champion explained
    the loan on demand (the month was not scored, or the loan was not among the riskiest given reasons then);
    "none": neither, and `why` says so: "no_month" (no month-end data), "no_model" (no champion), or
    "not_in_population" (the loan was not scored that month: closed, or more than 90 days past due)."""
    target = target or config.setting("ew_model_target")
    q = queries(SQL)
    # fetchall: a result read to its end leaves the connection free for the explanation's own queries
    month = con.execute(q["alert_month"], {"day": raised_at}).fetchall()[0][0]
    out = {"source": "none", "target": target, "month": month, "version": None, "pd": None, "reasons": [],
           "why": "no_month"}
    if month is None:
        return out
    rows = con.execute(q["loan_score"], {"month": month, "target": target, "loan_id": loan_id}).fetchall()
    row = rows[0] if rows else None
    if row is not None and row[2]:
        return {**out, "source": "scored", "version": row[0], "pd": float(row[1]), "why": None,
                "reasons": _reason_texts([c for c in row[2:] if c])}
    from models.explain import explain_loan        # here: the command line's events need no model code
    try:
        e = explain_loan(con, loan_id, month, target, home=home)
    except UsageError:
        return {**out, "why": "no_model"}
    except DataError:
        return {**out, "why": "not_in_population"}
    return {**out, "source": "explained", "version": e.version, "pd": e.pd, "why": None,
            "reasons": e.reasons[["code", "en", "zh"]].to_dict("records")}


def _reason_texts(codes: list[str]) -> list[dict]:
    from models import catalog
    return [{"code": c, "en": catalog.reason_text(c, "en"), "zh": catalog.reason_text(c, "zh")} for c in codes]


def queue_summary(df: pd.DataFrame, today: dt.date) -> dict[str, int]:
    """alerts, open (open or acknowledged), overdue (open past the due date), urgent (open, high or critical)."""
    live = df[df["status"].isin(("open", "acknowledged"))]
    return {"alerts": len(df), "open": len(live), "overdue": int((live["due_date"] < today).sum()),
            "urgent": int(live["severity"].isin(("high", "critical")).sum())}
