"""Post-loan reviews (贷后检查) in the workflow store: the policy's due reviews, triggered ones, overdue marking.

The policy is configuration (config.py `review_*`): a first review within N days of disbursement by product; a
periodic review every 1 / 3 / 12 months for high / medium / low risk after the last review (high: Substandard
or worse by days overdue or by an officer's override, or a high PD; medium: Special mention by either, or a medium
PD: the effective tier, which an override can only make worse); a triggered review when an alert
is escalated to a review or interest is more than 60 days overdue. `schedule` is idempotent for a month-end:
one pending (due or overdue) review per loan and kind, and a loan's kind at most once per due date.

Completing a review (`submit`): findings, the product's checklist (setting review_checklist), follow-up actions and
the loan's tier confirmed or changed with a reason. A worse tier is a classification override (data/overrides.py,
which allows only worse than the rules); a better one (down to the rules' tier, by withdrawing or easing the
override) waits in `pending_approval` until a different user with an approver role approves it (maker-checker,
`approve` / `reject`). Every step is checked here, not in the page, and audited.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import sqlalchemy as sa

import config
from analytics.filters import Filters, params as filter_params
from analytics import classification
from analytics.sql import queries
from analytics.tiers import TIERS
from data import overrides, workflow

SQL = str(Path(__file__).resolve().parent.parent / "signals" / "reviews.sql")
KINDS = ("first", "periodic", "triggered")
PENDING = ("due", "overdue")
OPEN = PENDING + ("pending_approval",)          # not done: the loan's kind is still taken
STATUSES = OPEN + ("done",)
REVIEWERS = ("credit_officer", "risk_manager", "admin")
APPROVERS = ("risk_manager", "admin")
REPORT_COLUMNS = ["review_id", "loan_id", "kind", "due_date", "status", "reviewer"]


def first_days() -> tuple[list[str], list[int], int]:
    """(products, days, days for any other product) from the review_first_days setting."""
    pairs = dict(p.split("=") for p in config.setting("review_first_days").split(","))
    default = int(pairs.pop("*", 30))
    return list(pairs), [int(v) for v in pairs.values()], default


def policy_params() -> dict:
    high, medium, low = config.setting("review_cadence_months")
    pd_medium, pd_high = config.setting("review_pd_bands")
    products, days, default = first_days()
    return {"months_high": high, "months_medium": medium, "months_low": low, "pd_medium": pd_medium / 100,
            "pd_high": pd_high / 100, "dpd_high": config.setting("tier_dpd_floors")[0],
            "dpd_medium": config.setting("technical_grace_days"), "first_products": products, "first_days": days,
            "first_default": default, "trigger_dpd": config.setting("review_trigger_dpd"),
            "triggered_days": config.setting("review_triggered_days"), "lead_days": config.setting("review_lead_days")}


def _workflow_state(eng: sa.Engine) -> pd.DataFrame:
    """Per loan: last review done, whether a first review exists, the pending kinds, the last triggered due date."""
    t = workflow.loan_reviews
    q = sa.select(
        t.c.loan_id,
        sa.func.max(sa.case((t.c.status == "done", t.c.completed_at))).label("last_done"),
        sa.func.max(sa.case((t.c.kind == "first", 1), else_=0)).label("had_first"),
        sa.func.group_concat(sa.case((t.c.status.in_(OPEN), t.c.kind))).label("pending")
        if eng.dialect.name == "sqlite" else
        sa.func.string_agg(sa.case((t.c.status.in_(OPEN), t.c.kind)), ",").label("pending"),
        sa.func.max(sa.case((t.c.kind == "triggered", t.c.due_date))).label("last_triggered_due"),
    ).group_by(t.c.loan_id)
    with eng.connect() as c:
        df = pd.DataFrame(c.execute(q).fetchall(), columns=["loan_id", "last_done", "had_first", "pending",
                                                            "last_triggered_due"])
    df["last_done"] = pd.to_datetime(df["last_done"], utc=True).dt.tz_localize(None).dt.normalize()
    df["last_triggered_due"] = pd.to_datetime(df["last_triggered_due"])
    df["had_first"] = df["had_first"].astype(bool)
    return df.astype({"loan_id": str, "pending": object})


def override_bands(month: dt.date, eng: sa.Engine | None = None) -> pd.DataFrame:
    """loan_id, band: the review risk band of each loan's classification override in force at the month-end
    ('high' for Substandard or worse, 'medium' for Special mention). An override is only ever worse than the
    rules, so the effective tier is the worse of the two: the band can raise a loan's cadence, never lower it."""
    worst = {tier: "high" if TIERS.index(tier) >= TIERS.index("substandard") else "medium"
             for tier in TIERS[1:]}
    rows = [(loan_id, worst[tier]) for loan_id, tier, _reason in overrides.inputs_at(month, eng)[0] if tier in worst]
    return pd.DataFrame(rows, columns=["loan_id", "band"], dtype=str)


def due_reviews(con: duckdb.DuckDBPyConnection, month: dt.date, eng: sa.Engine | None = None,
                filters: Filters | None = None) -> pd.DataFrame:
    """loan_id, kind, reason, due_date, reviewer, branch: the reviews the policy wants now and are not there."""
    eng = eng or workflow.engine()
    cur = con.cursor()
    try:
        cur.register("wf_reviews", _workflow_state(eng))
        cur.register("wf_overrides", override_bands(month, eng))
        return cur.execute(queries(SQL)["review_candidates"],
                           {"month": month, **policy_params(), **filter_params(filters)}).df()
    finally:
        cur.close()


def _insert(eng: sa.Engine, rows: list[dict]) -> int:
    from data.alerts import _insert_ignore
    t = workflow.loan_reviews
    if not rows:
        return 0
    with eng.begin() as c:
        before = c.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
        for i in range(0, len(rows), 20_000):
            c.execute(_insert_ignore(eng, t), rows[i:i + 20_000])
        return c.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() - before


def schedule(con: duckdb.DuckDBPyConnection, month: dt.date, eng: sa.Engine | None = None,
             source: str | None = None) -> dict:
    """Create the policy's due reviews for the month-end and mark pending reviews due before it overdue;
    returns {created: {kind: n}, overdue: n}."""
    eng = eng or workflow.engine()
    df = due_reviews(con, month, eng)
    stamp, status = workflow.now(), lambda d: "overdue" if d < month else "due"
    rows = [{"loan_id": r.loan_id, "kind": r.kind, "reason": r.reason, "due_date": r.due_date.date(),
             "status": status(r.due_date.date()), "reviewer": r.reviewer, "branch": r.branch, "created_at": stamp,
             "source": source or f"daily:{month:%Y-%m}", "pending_key": f"{r.loan_id}|{r.kind}"}
            for r in df.itertuples(index=False)]
    created = {k: 0 for k in KINDS}
    for kind in KINDS:
        created[kind] = _insert(eng, [r for r in rows if r["kind"] == kind])
    t = workflow.loan_reviews
    with eng.begin() as c:
        overdue = c.execute(t.update().where(t.c.status == "due", t.c.due_date < month)
                            .values(status="overdue")).rowcount
    return {"created": created, "overdue": overdue}


def trigger(loan_id: str, reason: str, reviewer: str | None = None, branch: str | None = None,
            today: dt.date | None = None, eng: sa.Engine | None = None) -> int | None:
    """A triggered review of the loan (an escalated alert), due in review_triggered_days; the pending one's id
    when the loan already has a triggered review pending."""
    eng = eng or workflow.engine()
    today = today or dt.date.today()
    t = workflow.loan_reviews
    _insert(eng, [{"loan_id": loan_id, "kind": "triggered", "reason": reason, "status": "due",
                   "due_date": today + dt.timedelta(days=config.setting("review_triggered_days")),
                   "reviewer": reviewer, "branch": branch, "created_at": workflow.now(), "source": reason,
                   "pending_key": f"{loan_id}|triggered"}])
    with eng.connect() as c:
        return c.execute(sa.select(t.c.review_id).where(t.c.pending_key == f"{loan_id}|triggered")).scalar()


def complete(review_id: int, findings: str, classification: str | None = None, actor: str | None = None,
             origin: str | None = None, eng: sa.Engine | None = None) -> None:
    """Record a pending review as done (audited)."""
    eng = eng or workflow.engine()
    t = workflow.loan_reviews
    if not findings.strip():
        raise ValueError("write down the review's findings")
    actor = actor or workflow.operator()
    with eng.begin() as c:
        n = c.execute(t.update().where(t.c.review_id == review_id, t.c.status.in_(PENDING)).values(
            status="done", completed_at=workflow.now(), completed_by=actor, findings=findings.strip(),
            classification=classification, pending_key=None)).rowcount
    if not n:
        raise ValueError(f"review {review_id} is not pending")
    workflow.audit("review_complete", actor=actor, origin=origin, target=f"review:{review_id}", eng=eng,
                   details={"classification": classification})


def reviews_frame(month: dt.date | None = None, eng: sa.Engine | None = None) -> pd.DataFrame:
    """Reviews (due in the month of `month` when given), by id, every column."""
    t = workflow.loan_reviews
    q = sa.select(t).order_by(t.c.review_id)
    if month is not None:
        q = q.where(t.c.due_date >= month.replace(day=1), t.c.due_date <= month)
    return workflow.rows_frame(q, t, eng)


# ------------------------------------------------------------------------------------------ the review form
def checklist(product: str | None) -> list[str]:
    """The checklist items for a product (setting review_checklist; '*' for any other product)."""
    lists = {}
    for part in config.setting("review_checklist").split(";"):
        if "=" in part:
            name, items = part.split("=", 1)
            lists[name.strip()] = [i.strip() for i in items.split(",") if i.strip()]
    return lists.get(product or "", lists.get("*", []))


def get_review(review_id: int, eng: sa.Engine | None = None) -> dict:
    t = workflow.loan_reviews
    with (eng or workflow.engine()).connect() as c:
        row = c.execute(sa.select(t).where(t.c.review_id == int(review_id))).first()
    if row is None:
        raise overrides.Refused("no_review", f"no review {review_id}", review_id=review_id)
    out = dict(row._mapping)
    out["checklist"] = json.loads(out["checklist"]) if out.get("checklist") else {}
    return out


def current_tier(con: duckdb.DuckDBPyConnection, loan_id: str, eng: sa.Engine | None = None) -> dict:
    """{loan_id, as_of, officer, rule_tier, override (tier or None), tier}: the loan's tier at the latest
    month-end, by the rules and with its active override (an override only ever makes it worse)."""
    floor = classification.rule_floor(con, loan_id)
    if floor is None:
        raise overrides.Refused("not_open", f"loan {loan_id} is not an open loan at the latest month-end",
                                loan_id=loan_id)
    active = overrides.overrides(loan_id, eng=eng)
    over = active["tier"].iloc[0] if len(active) else None
    tier = over if over and TIERS.index(over) > TIERS.index(floor["tier"]) else floor["tier"]
    return {"loan_id": loan_id, "as_of": floor["as_of"], "officer": floor["officer"], "rule_tier": floor["tier"],
            "override": over, "tier": tier}


def _may_review(editor: overrides.Editor, review: dict) -> None:
    roles = set(editor.roles)
    if not roles & set(REVIEWERS):
        raise overrides.Refused("role", f"user {editor.username} may not complete reviews", user=editor.username)
    if not roles & set(APPROVERS) and (not editor.staff_code or review["reviewer"] != editor.staff_code):
        raise overrides.Refused("not_yours", f"review {review['review_id']} is assigned to "
                                             f"{review['reviewer']}, not to {editor.staff_code or editor.username}",
                                review_id=review["review_id"])


def submit(con: duckdb.DuckDBPyConnection, review_id: int, findings: str, tier: str, editor: overrides.Editor,
           reason: str = "", checks: dict[str, bool] | None = None, actions: str = "",
           eng: sa.Engine | None = None) -> str:
    """Complete a pending review: 'done' when the tier is confirmed or made worse (an override, through
    data/overrides.py), 'pending_approval' when it is made better (a second person approves). Refused otherwise."""
    eng = eng or workflow.engine()
    review = get_review(review_id, eng)
    if review["status"] not in PENDING:
        raise overrides.Refused("not_pending", f"review {review_id} is not pending (status {review['status']})",
                                review_id=review_id, status=review["status"])
    _may_review(editor, review)
    if not (findings or "").strip():
        raise overrides.Refused("findings", "write down the review's findings")
    if tier not in TIERS:
        raise overrides.Refused("tier", f"tier must be one of {', '.join(TIERS)}, got {tier!r}", tier=tier)
    now = current_tier(con, review["loan_id"], eng)
    change = TIERS.index(tier) - TIERS.index(now["tier"])
    text = overrides._reason(reason) if change else (reason or "").strip()
    if change < 0 and TIERS.index(tier) < TIERS.index(now["rule_tier"]):
        raise overrides.Refused("below_rules", f"loan {review['loan_id']} is {now['rule_tier']} by the rules: a "
                                               f"review cannot classify it better ({tier})",
                                loan_id=review["loan_id"], tier=tier, floor=now["rule_tier"])
    if change > 0:
        overrides.add_override(con, review["loan_id"], tier, text, editor, eng=eng)
    status = "pending_approval" if change < 0 else "done"
    t = workflow.loan_reviews
    with eng.begin() as c:
        c.execute(t.update().where(t.c.review_id == review["review_id"], t.c.status.in_(PENDING)).values(
            status=status, completed_at=workflow.now(), completed_by=editor.username, findings=findings.strip(),
            classification=tier, tier_before=now["tier"], tier_reason=text or None,
            checklist=json.dumps(checks or {}), actions=(actions or "").strip() or None,
            pending_key=review["pending_key"] if status == "pending_approval" else None))
    workflow.audit("review_submit" if status == "pending_approval" else "review_complete", actor=editor.username,
                   origin=editor.origin, target=f"review:{review_id}", eng=eng,
                   details={"loan_id": review["loan_id"], "tier_before": now["tier"], "tier": tier,
                            "reason": text, "status": status})
    return status


def approve(con: duckdb.DuckDBPyConnection, review_id: int, editor: overrides.Editor, note: str = "",
            eng: sa.Engine | None = None) -> None:
    """The checker approves a review that improves a classification: the loan's override is withdrawn (back to
    the rules' tier) or eased to the reviewed tier. Only a different user with an approver role."""
    eng = eng or workflow.engine()
    review = _awaiting(review_id, editor, eng)
    now = current_tier(con, review["loan_id"], eng)
    tier = review["classification"]
    if TIERS.index(tier) < TIERS.index(now["rule_tier"]):
        raise overrides.Refused("below_rules", f"loan {review['loan_id']} is now {now['rule_tier']} by the rules: "
                                               f"{tier} cannot be approved", loan_id=review["loan_id"], tier=tier,
                                floor=now["rule_tier"])
    active = overrides.overrides(review["loan_id"], eng=eng)
    if tier == now["rule_tier"] and len(active):
        overrides.withdraw_override(con, int(active["override_id"].iloc[0]), editor,
                                    f"review {review_id}: {review['tier_reason']}", eng=eng)
    elif TIERS.index(tier) > TIERS.index(now["rule_tier"]):
        overrides.add_override(con, review["loan_id"], tier, review["tier_reason"] or "review", editor, eng=eng)
    t = workflow.loan_reviews
    with eng.begin() as c:
        c.execute(t.update().where(t.c.review_id == review["review_id"]).values(
            status="done", approved_by=editor.username, approved_at=workflow.now(), pending_key=None))
    workflow.audit("review_approve", actor=editor.username, origin=editor.origin, target=f"review:{review_id}",
                   eng=eng, details={"loan_id": review["loan_id"], "maker": review["completed_by"],
                                     "tier_before": review["tier_before"], "tier": tier, "note": note.strip()})


def reject(review_id: int, editor: overrides.Editor, note: str, today: dt.date | None = None,
           eng: sa.Engine | None = None) -> None:
    """The checker sends an improving review back: it is pending again (due or overdue), the tier unchanged."""
    eng = eng or workflow.engine()
    review = _awaiting(review_id, editor, eng)
    text = overrides._reason(note)
    status = "overdue" if review["due_date"] < (today or dt.date.today()) else "due"
    t = workflow.loan_reviews
    with eng.begin() as c:
        c.execute(t.update().where(t.c.review_id == review["review_id"]).values(
            status=status, completed_at=None, completed_by=None, classification=None))
    workflow.audit("review_reject", actor=editor.username, origin=editor.origin, target=f"review:{review_id}",
                   eng=eng, details={"loan_id": review["loan_id"], "maker": review["completed_by"],
                                     "tier": review["classification"], "note": text})


def _awaiting(review_id: int, editor: overrides.Editor, eng: sa.Engine) -> dict:
    review = get_review(review_id, eng)
    if review["status"] != "pending_approval":
        raise overrides.Refused("not_awaiting", f"review {review_id} is not waiting for approval",
                                review_id=review_id)
    if not set(editor.roles) & set(APPROVERS):
        raise overrides.Refused("approver_role", f"user {editor.username} may not approve reviews (needs "
                                                 f"{' or '.join(APPROVERS)})", user=editor.username)
    if editor.username == review["completed_by"]:
        raise overrides.Refused("same_person", f"review {review_id} was completed by {editor.username}: a "
                                               "second person must approve it", review_id=review_id)
    return review


# ------------------------------------------------------------------------------------------ queue and dashboard
def _selected(q, status: tuple[str, ...], reviewer: str | None, branch: str | None):
    t = workflow.loan_reviews
    if status:
        q = q.where(t.c.status.in_(status))
    if reviewer:
        q = q.where(t.c.reviewer == reviewer)
    if branch:
        q = q.where(t.c.branch == branch)
    return q


def review_list(status: tuple[str, ...] = (), reviewer: str | None = None, branch: str | None = None,
                limit: int | None = None, eng: sa.Engine | None = None) -> pd.DataFrame:
    """Reviews with these statuses (all when empty), of this reviewer and branch when given; soonest due first;
    the first `limit` of them when given."""
    t = workflow.loan_reviews
    q = _selected(sa.select(t).order_by(t.c.due_date, t.c.review_id), status, reviewer, branch)
    return workflow.rows_frame(q.limit(limit) if limit else q, t, eng)


def review_facets(eng: sa.Engine | None = None) -> dict[str, list[str]]:
    """The distinct branches and reviewers of the stored reviews, sorted: the choices of the queue's filters."""
    t = workflow.loan_reviews
    with (eng or workflow.engine()).connect() as c:
        return {col: sorted(v for v in c.execute(sa.select(t.c[col]).distinct()).scalars() if v is not None)
                for col in ("branch", "reviewer")}


def _counts(keys: list, today: dt.date, status: tuple[str, ...] = (), reviewer: str | None = None,
            branch: str | None = None, eng: sa.Engine | None = None) -> pd.DataFrame:
    """Reviews counted in the store by `keys` (columns of loan_reviews) x status x late (due before `today`) x
    on_time (done, on or before the due date, by the UTC day of completion): <keys>, status, late, on_time, n."""
    t = workflow.loan_reviews
    late = sa.case((t.c.due_date < today, 1), else_=0).label("late")
    on_time = sa.case(((t.c.status == "done") & (sa.func.date(t.c.completed_at) <= t.c.due_date), 1),
                      else_=0).label("on_time")
    cols = [t.c[k] for k in keys] + [t.c.status, late, on_time]
    q = _selected(sa.select(*cols, sa.func.count().label("n")).group_by(*cols), status, reviewer, branch)
    with (eng or workflow.engine()).connect() as c:
        rows = c.execute(q).all()
    return pd.DataFrame.from_records(rows, columns=list(keys) + ["status", "late", "on_time", "n"])


def _row_counts(df: pd.DataFrame, keys: list, today: dt.date) -> pd.DataFrame:
    """_counts over a review list already loaded: one row per review, n = 1."""
    due = pd.to_datetime(df["due_date"])
    done_on = pd.to_datetime(df["completed_at"], utc=True).dt.tz_localize(None).dt.normalize()
    return df[list(keys)].assign(status=df["status"], late=(due < pd.Timestamp(today)).astype("int64"),
                                 on_time=((df["status"] == "done") & (done_on <= due)).astype("int64"), n=1)


def _summary(c: pd.DataFrame) -> dict[str, int]:
    pending = c["status"].isin(PENDING)
    return {"due": int(c.loc[pending & (c["late"] == 0), "n"].sum()),
            "overdue": int(c.loc[pending & (c["late"] == 1), "n"].sum()),
            "awaiting": int(c.loc[c["status"] == "pending_approval", "n"].sum()),
            "done": int(c.loc[c["status"] == "done", "n"].sum())}


def _status_table(c: pd.DataFrame, by: str) -> pd.DataFrame:
    live = c["status"].isin(OPEN)
    x = pd.DataFrame({"key": c[by].fillna("—"), "reviews": c["n"], "due": c["n"] * (live & (c["late"] == 0)),
                      "overdue": c["n"] * (live & (c["late"] == 1)), "done": c["n"] * (c["status"] == "done"),
                      "on_time": c["n"] * c["on_time"]})
    g = x.groupby("key", sort=False)[["reviews", "due", "overdue", "done", "on_time"]].sum().reset_index() \
        .rename(columns={"key": by})
    g["completion"] = g["done"] / g["reviews"]
    g["timeliness"] = g["on_time"] / g["done"].where(g["done"] > 0)
    return g.sort_values(["overdue", by], ascending=[False, True], ignore_index=True).astype(
        {c: "int64" for c in ("reviews", "due", "overdue", "done", "on_time")})


def _monthly_table(c: pd.DataFrame) -> pd.DataFrame:
    x = pd.DataFrame({"month": pd.to_datetime(c["due_date"]).dt.to_period("M").dt.to_timestamp(),
                      "reviews": c["n"], "done": c["n"] * (c["status"] == "done"), "on_time": c["n"] * c["on_time"]})
    g = x.groupby("month")[["reviews", "done", "on_time"]].sum().reset_index()
    g["completion"] = g["done"] / g["reviews"]
    g["timeliness"] = g["on_time"] / g["done"].where(g["done"] > 0)
    return g.astype({c: "int64" for c in ("reviews", "done", "on_time")})


def _by(by: str) -> str:
    if by not in ("branch", "reviewer"):
        raise ValueError("by must be 'branch' or 'reviewer'")
    return by


def queue_summary(df: pd.DataFrame, today: dt.date) -> dict[str, int]:
    """due (pending, due today or later), overdue (pending, due before today), awaiting (pending_approval),
    done: counts of a review list."""
    return _summary(_row_counts(df, [], today))


def status_by(df: pd.DataFrame, by: str, today: dt.date) -> pd.DataFrame:
    """<by>, reviews, due, overdue, done, on_time, completion (done / reviews), timeliness (on time / done):
    per branch or reviewer (officer), most overdue first; a review awaiting approval past its due date is overdue."""
    return _status_table(_row_counts(df, [_by(by)], today), by)


def monthly_trend(df: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """month (of the due date, first day), reviews, done, on_time, completion, timeliness: the reviews falling due
    each month, how many are done and how many were done by their due date."""
    return _monthly_table(_row_counts(df, ["due_date"], today))


# the same three over every stored review, counted in the workflow store (the Reviews page at 1M loans)
def review_summary(today: dt.date, status: tuple[str, ...] = (), reviewer: str | None = None,
                   branch: str | None = None, eng: sa.Engine | None = None) -> dict[str, int]:
    return _summary(_counts([], today, status, reviewer, branch, eng))


def status_by_store(by: str, today: dt.date, eng: sa.Engine | None = None) -> pd.DataFrame:
    return _status_table(_counts([_by(by)], today, eng=eng), by)


def monthly_trend_store(today: dt.date, eng: sa.Engine | None = None) -> pd.DataFrame:
    return _monthly_table(_counts(["due_date"], today, eng=eng))


def loan_product(con: duckdb.DuckDBPyConnection, loan_id: str) -> str | None:
    """The loan's product (None for a loan not in the analytical store)."""
    cur = con.cursor()
    try:
        row = cur.execute(queries(SQL)["loan_product"], {"loan_id": str(loan_id)}).fetchone()
    finally:
        cur.close()
    return row[0] if row else None
