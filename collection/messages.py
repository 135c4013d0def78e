"""Reminder and demand messages: templates per segment, channel and language, filled with the borrower's amounts and
dates, previewed, and written to the outbox (workflow store `message_outbox`) that a messaging platform reads.

Templates are `string.Template` text ($name placeholders): substitution only, nothing in a template is evaluated,
and a template naming a placeholder outside PLACEHOLDERS is refused when saved. The template of a segment, else
the segment '*', is used. Language: `en` for borrowers whose locale starts with `en`, else `zh`. Nothing is sent:
the outbox holds `queued` messages with the borrower id (the platform resolves the address), never plain
personal data.
"""
from __future__ import annotations

import datetime as dt
import string

import duckdb
import pandas as pd
import sqlalchemy as sa

import config
from collection import MESSAGE_CHANNELS
from data import workflow
from data.errors import DataError

LANGUAGES = ("en", "zh")
PLACEHOLDERS = ("loan_id", "amount_due", "balance", "dpd", "due_date", "pay_by", "currency", "segment")
PAY_WITHIN_DAYS = 7        # pay_by = the message's send date + this many days
MAX_LENGTH = 2000

DEFAULTS = {
    ("sms", "en"): "Loan $loan_id: $amount_due $currency is $dpd days overdue (due $due_date). Please pay by "
                   "$pay_by to avoid further charges.",
    ("sms", "zh"): "您的贷款$loan_id已逾期$dpd天（应还日$due_date），逾期金额$amount_due $currency，请于$pay_by前还款。",
    ("app_push", "en"): "Payment overdue: $amount_due $currency on loan $loan_id. Pay by $pay_by in the app.",
    ("app_push", "zh"): "贷款$loan_id逾期未还$amount_due $currency，请于$pay_by前在App内还款。",
    ("email", "en"): "Dear customer,\n\nYour loan $loan_id has an overdue amount of $amount_due $currency, unpaid "
                     "since $due_date ($dpd days). The outstanding balance is $balance $currency.\nPlease pay by "
                     "$pay_by or contact us to agree a repayment plan.",
    ("email", "zh"): "尊敬的客户：\n\n您的贷款$loan_id自$due_date起逾期$dpd天，逾期金额$amount_due $currency，"
                     "贷款余额$balance $currency。请于$pay_by前还款，或联系我们商定还款计划。",
    ("letter", "en"): "FORMAL DEMAND\n\nLoan $loan_id is $dpd days past due. Overdue: $amount_due $currency; "
                      "balance: $balance $currency. Unless paid by $pay_by, we may take further action.",
    ("letter", "zh"): "催收函\n\n您的贷款$loan_id已逾期$dpd天，逾期金额$amount_due $currency，贷款余额$balance "
                      "$currency。如未能于$pay_by前还款，我行将采取进一步措施。",
}


def check_template(body: str) -> None:
    """DataError naming the problem when the template is not valid string.Template text of known placeholders."""
    if not isinstance(body, str) or not body.strip():
        raise DataError("template refused: body: empty")
    if len(body) > MAX_LENGTH:
        raise DataError(f"template refused: body: longer than {MAX_LENGTH} characters")
    t = string.Template(body)
    if not t.is_valid():
        raise DataError("template refused: body: a '$' must start a placeholder like $amount_due (write $$ for $)")
    unknown = sorted(set(t.get_identifiers()) - set(PLACEHOLDERS))
    if unknown:
        raise DataError(f"template refused: body: unknown placeholder ${unknown[0]} "
                        f"(known: {', '.join('$' + p for p in PLACEHOLDERS)})")


def save_template(segment: str, channel: str, language: str, body: str, actor: str | None = None,
                  eng: sa.Engine | None = None) -> int:
    """Add or replace the template of (segment or '*', channel, language); audited. Returns its id."""
    if channel not in MESSAGE_CHANNELS:
        raise DataError(f"template refused: channel: {channel!r} is not a message channel "
                        f"({', '.join(MESSAGE_CHANNELS)})")
    if language not in LANGUAGES:
        raise DataError(f"template refused: language: {language!r} (one of {', '.join(LANGUAGES)})")
    if not segment:
        raise DataError("template refused: segment: a segment name or '*'")
    check_template(body)
    eng, actor = eng or workflow.engine(), actor or workflow.operator()
    t = workflow.message_templates
    key = (t.c.segment == segment) & (t.c.channel == channel) & (t.c.language == language)
    with eng.begin() as c:
        found = c.execute(sa.select(t.c.template_id).where(key)).scalar()
        if found:
            c.execute(t.update().where(t.c.template_id == found).values(body=body, updated_at=workflow.now(),
                                                                        updated_by=actor))
        else:
            found = c.execute(t.insert().values(segment=segment, channel=channel, language=language, body=body,
                                                updated_at=workflow.now(), updated_by=actor)).inserted_primary_key[0]
    workflow.audit("collections_template_save", actor=actor, target=f"template:{found}", eng=eng,
                   details={"segment": segment, "channel": channel, "language": language})
    return int(found)


def templates(eng: sa.Engine | None = None) -> pd.DataFrame:
    """template_id, segment, channel, language, body; the defaults are seeded (segment '*') when there are none."""
    eng = eng or workflow.engine()
    t = workflow.message_templates
    with eng.connect() as c:
        empty = c.execute(sa.select(sa.func.count()).select_from(t)).scalar() == 0
    if empty:
        for (channel, language), body in DEFAULTS.items():
            save_template("*", channel, language, body, actor="system", eng=eng)
    with eng.connect() as c:
        rows = c.execute(sa.select(t.c.template_id, t.c.segment, t.c.channel, t.c.language, t.c.body)
                         .order_by(t.c.template_id)).all()
    return pd.DataFrame(rows, columns=["template_id", "segment", "channel", "language", "body"])


def _pick(tpl: pd.DataFrame | dict, segment: str, channel: str, language: str) -> tuple[int, str] | None:
    """(template_id, body) of the segment's template, else the '*' one; `tpl` from templates() or _lookup()."""
    lookup = _lookup(tpl) if isinstance(tpl, pd.DataFrame) else tpl
    return lookup.get((segment, channel, language)) or lookup.get(("*", channel, language))


def _lookup(tpl: pd.DataFrame) -> dict[tuple[str, str, str], tuple[int, str]]:
    return {(r.segment, r.channel, r.language): (int(r.template_id), r.body) for r in tpl.itertuples()}


def _money(v) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):,.2f}"


def values(row: dict, send_on: dt.date, currency: str) -> dict[str, str]:
    """The placeholders' text for one account (an assignment row with d0 = the missed due date)."""
    return {"loan_id": str(row["loan_id"]), "amount_due": _money(row.get("overdue_amount")),
            "balance": _money(row.get("balance")), "dpd": str(int(row["dpd"])),
            "due_date": row["d0"].isoformat(), "pay_by": (send_on + dt.timedelta(days=PAY_WITHIN_DAYS)).isoformat(),
            "currency": currency, "segment": str(row["segment"])}


def render(body: str, vals: dict[str, str]) -> str:
    return string.Template(body).substitute(vals)


def _accounts(con: duckdb.DuckDBPyConnection, month: dt.date, eng) -> pd.DataFrame:
    from collection.daily import assignments
    df, _ = assignments(con, month, eng)
    df = df[df["next_action"].isin(MESSAGE_CHANNELS)]
    if df.empty:
        return df.assign(borrower_id=[], language=[], d0=[])
    cur = con.cursor()
    try:
        cur.register("cx_loans", df[["loan_id"]])
        who = cur.execute("SELECT l.loan_id, l.borrower_id, b.locale FROM loans l JOIN cx_loans USING (loan_id) "
                          "LEFT JOIN borrowers b USING (borrower_id)").df()
    finally:
        cur.close()
    df = df.merge(who, on="loan_id", how="left")
    df["language"] = ["en" if isinstance(x, str) and x.lower().startswith("en") else "zh" for x in df["locale"]]
    df["d0"] = [month - dt.timedelta(days=int(d)) for d in df["dpd"]]
    return df


def preview(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None, loan_id: str,
            eng: sa.Engine | None = None) -> dict:
    """The message the account's next action would send: channel, language, template_id, send_on, body."""
    from collection.daily import resolve_month
    month = resolve_month(con, as_of)
    df = _accounts(con, month, eng)
    row = df[df["loan_id"] == loan_id]
    if row.empty:
        raise DataError(f"loan {loan_id!r} has no message as its next action at {month:%Y-%m}")
    r = row.iloc[0].to_dict()
    tpl = _pick(templates(eng), r["segment"], r["next_action"], r["language"])
    if tpl is None:
        raise DataError(f"no {r['next_action']} template in {r['language']} for segment {r['segment']!r} or '*'")
    return {"loan_id": loan_id, "channel": r["next_action"], "language": r["language"],
            "template_id": tpl[0], "send_on": r["next_action_date"],
            "body": render(tpl[1], values(r, r["next_action_date"], config.setting("currency")))}


def write_outbox(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                 eng: sa.Engine | None = None) -> dict:
    """Queue one message per account whose next action is a message (sms, app push, email, letter) at the
    month-end; an account's message already queued for that month-end and channel is kept. Audited."""
    from collection.daily import resolve_month
    eng = eng or workflow.engine()
    month = resolve_month(con, as_of)
    df, tpl = _accounts(con, month, eng), _lookup(templates(eng))
    t = workflow.message_outbox
    with eng.connect() as c:
        have = {(r.loan_id, r.channel) for r in c.execute(sa.select(t.c.loan_id, t.c.channel)
                                                           .where(t.c.as_of == month))}
    now, currency, recs, missing = workflow.now(), str(config.setting("currency")), [], 0
    for r in df.to_dict("records"):
        if (r["loan_id"], r["next_action"]) in have:
            continue
        tp = _pick(tpl, r["segment"], r["next_action"], r["language"])
        if tp is None:
            missing += 1
            continue
        recs.append({"as_of": month, "loan_id": r["loan_id"], "borrower_id": r["borrower_id"],
                     "channel": r["next_action"], "language": r["language"], "template_id": tp[0],
                     "send_on": r["next_action_date"], "status": "queued", "created_at": now,
                     "body": render(tp[1], values(r, r["next_action_date"], currency))})
    if recs:
        with eng.begin() as c:
            c.execute(t.insert(), recs)
    summary = {"as_of": month.isoformat(), "queued": len(recs), "already_queued": len(have),
               "without_template": missing,
               "by_channel": {k: int(v) for k, v in pd.Series([r["channel"] for r in recs]).value_counts().items()}}
    workflow.audit("collections_outbox", target=f"outbox:{month:%Y-%m}", eng=eng, details=summary)
    return summary


def outbox(as_of: dt.date | None = None, eng: sa.Engine | None = None) -> pd.DataFrame:
    """The outbox (of a month-end, or all): message_id, as_of, loan_id, channel, language, send_on, status, body."""
    t = workflow.message_outbox
    q = sa.select(t.c.message_id, t.c.as_of, t.c.loan_id, t.c.borrower_id, t.c.channel, t.c.language,
                  t.c.template_id, t.c.send_on, t.c.status, t.c.body).order_by(t.c.message_id)
    if as_of is not None:
        q = q.where(t.c.as_of == as_of)
    with (eng or workflow.engine()).connect() as c:
        return pd.DataFrame(c.execute(q).all(), columns=[col.name for col in q.selected_columns])
