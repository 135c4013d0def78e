"""My queue: a collector's accounts from the month-end assignment, one account's contacts and history, and the
actions they record (with the next step), message previews and the outbox."""
import datetime as dt

import pandas as pd
import streamlit as st

from collection import AGENT_CHANNELS, CHANNELS, MESSAGE_CHANNELS, work
from data import people
from data.errors import DataError
from ui import auth, data, shell, tables
from ui.i18n import current, date, label, localise, money, number, percent, t

user = auth.require_page(__file__)
FLASH, AUDITED, PICK = "queue_flash", "queue_audited", "queue_loan"
DASH = "—"                                         # a cell with nothing to show
st.title(t("queue.title"))
book = shell.book()
as_of, lang = shell.as_of(book), current()
code = user.staff_code
if not code:                          # no agent code, so no assignment: the branch's delinquent loans, read only
    scope = data.staff_scope(user, "collector")
    if scope is None or not scope.branch:
        st.warning(t("queue.no_scope"))
        st.stop()
    st.caption(shell.context(as_of) + " · " + t("queue.scope_branch", branch=scope.branch))
    st.info(t("queue.branch_only"))
    tables.delinquent_loans(data.delinquent_loans(book, scope, as_of, shell.filters()),
                            data.book_summary(book, as_of)["currency"], hide=("branch",))
    st.stop()
day = work.work_date(as_of)
queue = work.my_queue(book.con, as_of, code)
st.caption(shell.context(as_of) + " · " + t("queue.scope_agent", code=code, day=date(day)))
if FLASH in st.session_state:
    kind, text = st.session_state.pop(FLASH)
    getattr(st, kind)(text)
if queue.empty:
    st.info(t("queue.empty", date=date(as_of)))
    st.stop()

summary = work.queue_summary(queue, day)
currency = data.book_summary(book, as_of)["currency"]
cols = st.columns(4)
cols[0].metric(t("queue.loans"), number(summary["accounts"]), border=True)
cols[1].metric(t("queue.expected"), money(summary["expected_recovery"], currency), border=True,
               help=t("queue.expected_help"))
cols[2].metric(t("queue.overdue"), money(summary["overdue_amount"], currency), border=True,
               help=t("queue.overdue_help"))
cols[3].metric(t("queue.due"), number(summary["due"]), border=True, help=t("queue.due_help", date=date(day)))

st.caption(t("queue.order", worked=number(summary["worked"])))
shown = localise(queue, {"next_action": "channel", "bucket": "bucket"})
shown = shown.round({"balance": 2, "expected_recovery": 2})          # amounts to the cent
shown["last_outcome"] = [label("outcome", v) if isinstance(v, str) and v else t("queue.not_worked")
                         for v in queue["last_outcome"]]
shown["arm"] = [t(f"queue.arm_{a}") for a in queue["arm"]]
cc = st.column_config
money_col = dict(format="localized")
table_cols = {
    "queue_rank": cc.NumberColumn(t("queue.rank"), format="%d"), "loan_id": cc.TextColumn(t("queue.loan_id")),
    "next_action": cc.TextColumn(t("queue.next_action")),
    "next_action_date": cc.DateColumn(t("queue.next_date"), format="YYYY-MM-DD"),
    "scheduled": cc.CheckboxColumn(t("queue.scheduled"), help=t("queue.scheduled_help")),
    "bucket": cc.TextColumn(t("queue.bucket")), "dpd": cc.NumberColumn(t("queue.dpd"), format="%d"),
    "balance": cc.NumberColumn(t("queue.balance_col", currency=currency), **money_col),
    "expected_recovery": cc.NumberColumn(t("queue.expected_col", currency=currency), **money_col,
                                         help=t("queue.expected_help")),
    "segment": cc.TextColumn(t("queue.segment")), "arm": cc.TextColumn(t("queue.arm")),
    "last_outcome": cc.TextColumn(t("queue.last_outcome"))}
st.dataframe(shown[list(table_cols)], hide_index=True, width="stretch", column_config=table_cols,
             key="queue_table")

# ---- one account ----------------------------------------------------------------------------------------
ids = queue["loan_id"].tolist()
if st.session_state.get(PICK) not in ids:
    st.session_state[PICK] = ids[0]
loan = st.selectbox(t("queue.pick"), ids, key=PICK,
                    format_func=lambda i: t("queue.pick_item", loan=i, rank=int(queue.set_index("loan_id")
                                                                               .at[i, "queue_rank"])))
acct = queue.set_index("loan_id").loc[loan].to_dict() | {"loan_id": loan}
viewer = people.Viewer(user.username, tuple(user.roles), code)
view = work.account_view(book.con, loan, viewer, tuple(ids))
if view is None:
    st.warning(t("queue.not_found", loan=loan))
    st.stop()
seen = (view.borrower_id, view.loan_id, view.revealed)
if st.session_state.get(AUDITED) != seen:          # once per account shown, not on every rerun
    people.audit_view(view, viewer, auth.origin())
    st.session_state[AUDITED] = seen

st.subheader(t("queue.account", loan=loan, borrower=view.borrower_id))
st.caption(t("queue.account_caption", bucket=label("bucket", acct["bucket"]), dpd=number(acct["dpd"]),
             segment=acct["segment"], arm=t(f"queue.arm_{acct['arm']}"), path=acct["strategy"],
             action=label("channel", acct["next_action"]), date=date(acct["next_action_date"])))
if view.revealed:
    st.success(t("queue.revealed"), icon=":material/visibility:")
else:
    st.info(t("queue.masked"), icon=":material/visibility_off:")
with st.container(border=True, key="queue_contact"):
    for col, field in zip(st.columns([1, 1.3, 1, 2]), ("name", "national_id", "phone", "address")):
        col.caption(t(f"queue.{field}"))
        col.text(view.personal[field] or "—")
c = st.columns(3)
c[0].metric(t("queue.balance"), money(acct["balance"], currency), border=True)
c[1].metric(t("queue.overdue_one"), money(acct["overdue_amount"] if pd.notna(acct["overdue_amount"]) else 0, currency), border=True)
c[2].metric(t("queue.p_pay"), percent(acct["p_pay"], 0), border=True, help=t("queue.p_pay_help"))

since = as_of - dt.timedelta(days=90)
acts = work.account_actions(book.con, loan, since)
pays = work.account_payments(book.con, loan, since)
proms = work.account_promises(book.con, loan, since, day)
tab_a, tab_p, tab_r = st.tabs([t("queue.tab_actions", n=len(acts)), t("queue.tab_payments", n=len(pays)),
                               t("queue.tab_promises", n=len(proms))])
with tab_a:
    if acts.empty:
        st.info(t("queue.no_actions", date=date(since)))
    else:
        a = localise(acts, {"channel": "channel", "outcome": "outcome"})
        a["source"] = [t(f"queue.source_{s}") for s in acts["source"]]
        for col in ("promise_date", "next_action_date"):
            a[col] = [date(v) if pd.notna(v) else DASH for v in acts[col]]
        a["promise_amount"] = [number(float(v), 2) if pd.notna(v) else DASH for v in acts["promise_amount"]]
        a["next_action"] = [label("channel", v) if isinstance(v, str) and v else DASH for v in acts["next_action"]]
        a["agent"] = [v if isinstance(v, str) and v else DASH for v in acts["agent"]]
        st.dataframe(a[["action_date", "channel", "agent", "outcome", "promise_amount", "promise_date",
                        "next_action", "next_action_date", "source"]], hide_index=True, width="stretch",
                     column_config={k: t(f"queue.col_{k}") for k in ("action_date", "channel", "agent", "outcome",
                                                                     "promise_amount", "promise_date", "next_action",
                                                                     "next_action_date", "source")})
with tab_p:
    if pays.empty:
        st.info(t("queue.no_payments", date=date(since)))
    else:
        pays = pays.assign(channel=[v if isinstance(v, str) and v else DASH for v in pays["channel"]])
        st.dataframe(pays[["payment_date", "amount", "channel"]], hide_index=True, width="stretch",
                     column_config={"payment_date": t("queue.col_payment_date"),
                                    "amount": cc.NumberColumn(t("queue.col_amount", currency=currency), **money_col),
                                    "channel": t("queue.col_pay_channel")})
with tab_r:
    if proms.empty:
        st.info(t("queue.no_promises", date=date(since)))
    else:
        pr = proms.assign(status=[t(f"queue.status_{s}") for s in proms["status"]])
        st.dataframe(pr[["made_on", "promise_date", "deadline", "promised", "paid", "status"]], hide_index=True,
                     width="stretch", column_config={k: t(f"queue.col_{k}") for k in
                                                     ("made_on", "promise_date", "deadline", "promised", "paid",
                                                      "status")})
        st.caption(t("queue.promise_rule", date=date(day)))

# ---- record an action ------------------------------------------------------------------------------------
st.subheader(t("queue.record"))
NONE = "-"
with st.form("queue_record", clear_on_submit=True):
    f = st.columns(3)
    when = f[0].date_input(t("queue.f_date"), value=day, max_value=day, format="YYYY-MM-DD")
    channel = f[1].selectbox(t("queue.f_channel"), CHANNELS, format_func=lambda x: label("channel", x),
                             index=CHANNELS.index(acct["next_action"] if acct["next_action"] in AGENT_CHANNELS
                                                  else "agent_call"))
    outcome = f[2].selectbox(t("queue.f_outcome"), work.OUTCOMES, format_func=lambda x: label("outcome", x))
    g = st.columns(4)
    p_amount = g[0].number_input(t("queue.f_promise_amount", currency=currency), min_value=0.0, value=0.0,
                                 step=100.0, help=t("queue.f_promise_help"))
    p_date = g[1].date_input(t("queue.f_promise_date"), value=None, format="YYYY-MM-DD",
                             help=t("queue.f_promise_help"))
    nxt = g[2].selectbox(t("queue.f_next"), (NONE, *CHANNELS),
                         format_func=lambda x: t("queue.f_next_none") if x == NONE else label("channel", x))
    nxt_date = g[3].date_input(t("queue.f_next_date"), value=None, format="YYYY-MM-DD")
    note = st.text_input(t("queue.f_note"), max_chars=1000)
    if st.form_submit_button(t("queue.f_save"), type="primary", icon=":material/save:"):
        try:
            work.record_action(loan, as_of, when, channel, outcome, agent=code,
                               promise_amount=p_amount or None, promise_date=p_date,
                               next_action=None if nxt == NONE else nxt, next_action_date=nxt_date, note=note,
                               actor=user.username, origin=auth.origin())
        except DataError as exc:
            st.error(t("queue.f_refused", error=str(exc).removeprefix("action refused: ")))
        else:
            st.session_state[FLASH] = ("success", t("queue.f_saved", loan=loan,
                                                    outcome=label("outcome", outcome)))
            st.rerun()

# ---- messages --------------------------------------------------------------------------------------------
st.subheader(t("queue.message"))
m = st.columns([1, 1, 2])
msg_channel = m[0].selectbox(t("queue.m_channel"), MESSAGE_CHANNELS, format_func=lambda x: label("channel", x),
                             key="queue_msg_channel")
send_on = m[1].date_input(t("queue.m_send_on"), value=day, min_value=day, format="YYYY-MM-DD",
                          key="queue_msg_date")
try:
    msg = work.message(book.con, acct, as_of, msg_channel, send_on)
except DataError as exc:
    st.warning(str(exc))
else:
    st.caption(t("queue.m_caption", language=t(f"queue.lang_{msg['language']}"), template=msg["template_id"]))
    st.code(msg["body"], language=None, wrap_lines=True)
    if st.button(t("queue.m_queue"), icon=":material/outbox:", key="queue_msg_send"):
        if work.queue_message(msg, as_of, actor=user.username, origin=auth.origin()):
            st.success(t("queue.m_queued", channel=label("channel", msg_channel), date=date(send_on)))
        else:
            st.info(t("queue.m_already", channel=label("channel", msg_channel)))
