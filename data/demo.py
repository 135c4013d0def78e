"""The realistic demo workspace: a simulated multi-product book written as a new published generation."""
from __future__ import annotations

import os
import pathlib
import re
import time
from typing import Callable

import numpy as np
import pyarrow as pa

import config
from data import pii, store, workflow
from data.demo_book import (BURN_IN, CARD, PRODUCT_NAMES, GRADES, branches, day_of, economy, make_book,
                            month_end, month_index)
from data.demo_events import (ACTION_CHANNELS, CLASSES, FINDINGS, FOLLOW_UPS, KINDS, OUTCOMES, REVIEW_TYPES,
                              SEVERITIES, SIGNALS, STATUSES, region_of_branch)
from data.demo_people import borrower_table
from data.demo_sim import CHANNELS, Sim

CHUNK = 100_000             # loans simulated at once: fixed, so a seed gives the same book at any size
SQL = pathlib.Path(__file__).with_suffix(".sql")
MEMORY_LIMIT = "4GB"
# username, display name, role, index of the branch (data.demo_book.branches()) or None
DEMO_USERS = (
    ("admin", "Demo Administrator", "admin", None),
    ("risk", "Demo Risk Manager", "risk_manager", None),
    ("exec", "Demo Executive", "executive", None),
    ("validator", "Demo Model Validator", "model_validator", None),
    ("officer", "Demo Credit Officer", "credit_officer", 0),
    ("collector", "Demo Collector", "collector", 6),
)
Progress = Callable[[str], None]


def queries() -> dict[str, str]:
    """The named statements of demo.sql."""
    blocks = re.split(r"^-- name: (\w+)\n", SQL.read_text(), flags=re.M)
    return {name: body.strip() for name, body in zip(blocks[1::2], blocks[2::2])}


def build_demo(n_loans: int, months: int = 36, seed: int = 7, end_month: str | None = None,
               home: pathlib.Path | None = None, progress: Progress | None = None) -> dict:
    """Build the demo book, publish it as a new generation and create the demo users; returns a summary."""
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    pii.ensure_secrets()
    end_month = end_month or config.setting("demo_end_month")
    wend = month_index(end_month)
    w0 = wend - months + 1
    eco = economy(seed, w0 - BURN_IN - 130, wend, w0)
    own_home = home is not None and not os.environ.get("LOANWATCH_WORKFLOW_URL")
    eng = workflow.engine(f"sqlite:///{home / 'workflow.sqlite'}") if own_home else workflow.engine()
    import_id = workflow.start_import("demo", f"demo seed={seed} loans={n_loans} months={months} end={end_month}",
                                      None, eng=eng)
    try:
        summary = _build(n_loans, months, seed, w0, wend, eco, home, say)
    except BaseException as exc:
        workflow.finish_import(import_id, "failed", message=f"{type(exc).__name__}: {exc}", eng=eng)
        raise
    summary["seconds"] = round(time.perf_counter() - started, 1)
    say("creating the demo users")
    upsert_demo_users(eng)
    rows = sum(summary["rows"].values())
    workflow.finish_import(import_id, "published", rows_read=rows, rows_written=rows,
                           generation=summary["generation"], eng=eng)
    workflow.audit("demo_build", target=summary["generation"], details=summary, eng=eng)
    say(f"done in {summary['seconds']} s")
    return summary


def _build(n_loans, months, seed, w0, wend, eco, home, say) -> dict:
    q = queries()
    loan_off = borrower_off = 0
    counters = {"payments": 0, "collection_actions": 0, "reviews": 0, "alerts": 0, "dispositions": 0}
    taken: set[int] = set()
    with store.new_generation(home, start_empty=True) as con:
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")     # DuckDB spills beyond it: peak RSS stays bounded
        a = np.arange(w0, wend + 1)
        _insert(con, q["insert_macro"], pa.table({"as_of": _dates(month_end(a)),
                                                   "macro_index": eco.at(eco.macro, a)}))
        n_chunks = -(-n_loans // CHUNK)
        for c in range(n_chunks):
            n = min(CHUNK, n_loans - c * CHUNK)
            say(f"chunk {c + 1}/{n_chunks}: {n:,} loans - book and personal data")
            book = make_book(np.random.default_rng([seed, c, 1]), n, w0, wend, eco)
            people, attrs = borrower_table(np.random.default_rng([seed, c, 2]), book, seed, borrower_off, taken,
                                           int(day_of(w0, 1)))
            _insert(con, q["insert_borrowers"], people)
            say(f"chunk {c + 1}/{n_chunks}: simulating {months + BURN_IN} months")
            sim = Sim(book, eco, np.random.default_rng([seed, c, 3]), w0, wend, attrs["income"], attrs["business"])
            sim.run()
            sim.events.finish(sim)
            say(f"chunk {c + 1}/{n_chunks}: writing")
            _write_chunk(con, q, sim, loan_off, borrower_off, counters)
            loan_off += n
            borrower_off += book.n_borrowers
            del sim, book, people
        from analytics.summaries import build as build_summaries      # monthly summaries the pages read
        build_summaries(con, say)
        say("checking data contracts and publishing")
        summary = _summary(con, q, n_loans, borrower_off, seed, months, w0, wend)
    summary["generation"] = store.current_path(home).name
    return summary


def _dates(days) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int32), pa.date32())


def _codes(codes, labels) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int8)), pa.array(list(labels)))


def _insert(con, sql: str, table: pa.Table) -> None:
    con.register("chunk", table)
    try:
        con.execute(sql)
    finally:
        con.unregister("chunk")


def _money(cents, valid=None) -> pa.Array:
    """Integer cents as an Arrow DECIMAL(18,2) column without a float round trip (NULL where not valid)."""
    c = np.ascontiguousarray(np.rint(cents).astype(np.int64))
    unscaled = np.empty((len(c), 2), dtype=np.int64)            # little-endian 128-bit: low word, sign word
    unscaled[:, 0], unscaled[:, 1] = c, np.where(c < 0, -1, 0)
    bitmap = None if valid is None else pa.py_buffer(np.packbits(np.asarray(valid, bool), bitorder="little"))
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(c), [bitmap, pa.py_buffer(unscaled)])


def _yuan(amount, valid=None) -> pa.Array:
    return _money(np.rint(np.asarray(amount, dtype=np.float64) * 100), valid)


def _write_chunk(con, q: dict, sim: Sim, loan_off: int, borrower_off: int, counters: dict) -> None:
    b = sim.book
    n = len(b.product)
    brs = branches()
    loan = np.arange(n) + loan_off
    card = b.product == CARD
    maturity = np.where(card, 0, day_of(sim.seg.first + sim.seg.N - 1, b.pay_day))
    _insert(con, q["insert_loans"], pa.table({
        "loan": loan, "borrower": b.borrower + borrower_off, "product": _codes(b.product, PRODUCT_NAMES),
        "product_type": _codes(card, ["instalment", "revolving"]),
        "region": pa.array([brs[x][0] for x in b.branch]),
        "branch": pa.array([brs[x][2] for x in b.branch]), "branch_no": b.branch, "officer_slot": b.officer_slot,
        "origination_date": _dates(day_of(b.orig_month, b.orig_day)),
        "maturity_date": pa.array(np.where(card, 0, maturity).astype(np.int32), pa.date32(), mask=card),
        "principal": _money(b.principal), "credit_limit": _money(b.limit, card), "annual_rate": b.rate,
        "term_months": b.term, "instalment": _money(b.instalment, ~card), "payment_day": b.pay_day,
        "collateral_type": pa.array(b.collateral, pa.string()),
        "collateral_value": _money(b.collateral_value, b.collateral_value > 0),
        "grade": _codes(b.grade, GRADES), "purpose": pa.array(b.purpose, pa.string())}))

    s = sim.schedules()
    _insert(con, q["insert_schedules"], pa.table({
        "loan": s["loan"] + loan_off, "no": s["no"].astype(np.int32), "day": _dates(s["day"]),
        "principal": _money(s["principal"]), "interest": _money(s["interest"])}))
    del s

    p = sim.pay.concat()
    base = counters["payments"]
    _insert(con, q["insert_payments"], pa.table({
        "id": np.arange(len(p["loan"])) + base, "loan": p["loan"] + loan_off, "day": _dates(p["day"]),
        "amount": _money(p["cents"]), "channel": _codes(p["channel"], CHANNELS), "rev": p["rev"],
        "ref": pa.array(p["ref"] + base, mask=p["ref"] < 0)}))
    counters["payments"] += len(p["loan"])
    del p

    f = sim.perf.concat()
    _insert(con, q["insert_performance"], pa.table({
        "loan": f["loan"] + loan_off, "as_of": _dates(f["as_of"]), "bal": _money(f["bal"]),
        "dpd": f["dpd"].astype(np.int32),
        "bucket": _codes(f["bucket"], config.ALL_STATES), "due": _money(f["due"]), "paid": _money(f["paid"]),
        "overdue": _money(f["overdue"]), "lim": _money(f["limit"], f["limit"] >= 0),
        "restructured": f["restructured"]}))
    del f

    r = sim.bureau.concat()
    _insert(con, q["insert_bureau"], pa.table({
        "borrower": r["borrower"] + borrower_off, "as_of": _dates(r["as_of"]), "score": r["score"].astype(np.int32),
        "inquiries": r["inquiries"].astype(np.int32), "dl": r["dl"].astype(np.int32), "debt": _yuan(r["debt"])}))
    r = sim.alt.concat()
    _insert(con, q["insert_alt_signals"], pa.table({
        "borrower": r["borrower"] + borrower_off, "as_of": _dates(r["as_of"]), "salary": _yuan(r["salary"]),
        "balance": _yuan(r["balance"]), "util": r["util"], "litigation": r["litigation"], "news": r["news"],
        "reachable": r["reachable"], "moved": r["moved"]}))
    del r
    _write_events(con, q, sim, loan_off, counters)


def _write_events(con, q: dict, sim: Sim, loan_off: int, counters: dict) -> None:
    ev, b = sim.events, sim.book
    region = region_of_branch()
    a = ev.actions.concat()
    _insert(con, q["insert_collection_actions"], pa.table({
        "id": _ids(counters, "collection_actions", len(a["loan"])), "loan": a["loan"] + loan_off,
        "day": _dates(a["day"]), "channel": _codes(a["channel"], ACTION_CHANNELS), "agent": a["agent"],
        "outcome": _codes(a["outcome"], OUTCOMES), "promise": _money(a["promise"], a["promise"] > 0),
        "promise_day": pa.array(np.maximum(a["promise_day"], 0).astype(np.int32), pa.date32(),
                                mask=a["promise_day"] < 0)}))
    r = ev.reviews.concat()
    _insert(con, q["insert_reviews"], pa.table({
        "id": _ids(counters, "reviews", len(r["loan"])), "loan": r["loan"] + loan_off, "day": _dates(r["day"]),
        "kind": _codes(r["kind"], REVIEW_TYPES), "reviewer": r["reviewer"], "branch_no": b.branch[r["loan"]],
        "officer_slot": b.officer_slot[r["loan"]], "region": region[b.branch[r["loan"]]],
        "finding": _codes(r["finding"], FINDINGS), "cls": _codes(r["cls"], CLASSES),
        "follow": _codes(r["follow"], FOLLOW_UPS)}))
    al = ev.alerts.concat()
    _insert(con, q["insert_alerts"], pa.table({
        "id": _ids(counters, "alerts", len(al["loan"])), "loan": al["loan"] + loan_off, "day": _dates(al["day"]),
        "signal": _codes(al["signal"], SIGNALS), "severity": _codes(al["severity"], SEVERITIES),
        "status": _codes(ev.alert_status(sim, al["loan"], al["day"]), STATUSES), "v1": al["v1"], "v2": al["v2"]}))
    d = ev.disp.concat()
    _insert(con, q["insert_dispositions"], pa.table({
        "id": _ids(counters, "dispositions", len(d["loan"])), "loan": d["loan"] + loan_off, "day": _dates(d["day"]),
        "kind": _codes(d["kind"], KINDS), "amount": _money(d["cents"]), "v1": d["v1"], "v2": d["v2"]}))


def _ids(counters: dict, table: str, n: int) -> np.ndarray:
    base = counters[table]
    counters[table] += n
    return np.arange(n, dtype=np.int64) + base


def _summary(con, q: dict, n_loans: int, n_borrowers: int, seed: int, months: int, w0: int, wend: int) -> dict:
    tables = ("borrowers", "loans", "schedules", "payments", "performance", "bureau", "alt_signals", "macro",
              "collection_actions", "reviews", "alerts", "dispositions")
    rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    rates = roll_rates(con, q)
    co12 = con.execute(q["charge_off_rate_12m"]).fetchone()[0]
    return {"loans": n_loans, "borrowers": n_borrowers, "seed": seed, "months": months,
            "first_month_end": str(np.datetime64(int(month_end(w0)), "D")),
            "last_month_end": str(np.datetime64(int(month_end(wend)), "D")), "rows": rows,
            "roll_current_to_1_30": rates["current->1-30"], "cure_rate": rates["cure"],
            "roll_rates": {k: v for k, v in rates.items() if k not in ("current->1-30", "cure")},
            "charge_offs": rows_where(con, "performance", "bucket = 'charged_off'"),
            "annual_charge_off_rate_by_balance": round(float(co12 or 0), 4)}


def rows_where(con, table: str, condition: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table} WHERE {condition}").fetchone()[0]


def roll_rates(con, q: dict | None = None) -> dict[str, float]:
    """Pooled monthly rates by loan count: current -> 1-30, each bucket's roll forward, and the cure rate."""
    t = con.execute((q or queries())["transitions"]).fetchall()
    n: dict[tuple[str, str], int] = {(f, to): k for f, to, k in t}
    total = lambda f: sum(k for (ff, _), k in n.items() if ff == f)  # noqa: E731
    out = {"current->1-30": _ratio(n.get(("current", "1-30"), 0), total("current"))}
    b = config.BUCKETS
    for i in range(1, len(b) - 1):
        forward = n.get((b[i], b[i + 1]), 0) + (n.get((b[i], "charged_off"), 0) if i == len(b) - 2 else 0)
        out[f"{b[i]}->{b[i + 1]}"] = _ratio(forward, total(b[i]))
    delinquent = [x for x in b[1:]]
    out["cure"] = _ratio(sum(n.get((x, "current"), 0) for x in delinquent), sum(total(x) for x in delinquent))
    return out


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def upsert_demo_users(eng=None) -> None:
    """The six demo logins (password `<username>-demo`), created or reset."""
    import bcrypt
    import sqlalchemy as sa
    eng = eng or workflow.engine()
    brs = branches()
    u = workflow.users
    with eng.begin() as c:
        for username, name, role, branch in DEMO_USERS:
            values = {"name": name, "email": f"{username}@loanwatch.demo", "roles": role, "disabled": False,
                      "failed_logins": 0, "locked_until": None,
                      "branch": brs[branch][2] if branch is not None else None,
                      # real codes of the book: officer 1 of branch 0 (loans.officer), agent 4 of region East
                      "staff_code": {"officer": "OF000-01", "collector": "AG1-04"}.get(username),
                      "password_hash": bcrypt.hashpw(f"{username}-demo".encode(), bcrypt.gensalt()).decode()}
            if c.execute(sa.select(u.c.username).where(u.c.username == username)).first():
                c.execute(u.update().where(u.c.username == username).values(**values))
            else:
                c.execute(u.insert().values(username=username, created_at=workflow.now(), **values))
