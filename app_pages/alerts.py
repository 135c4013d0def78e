"""Alerts (credit officers, risk managers, admins): the early-warning queue, each alert's evidence and the model's
reasons for its loan, its workflow."""
import datetime as dt

import pandas as pd
import streamlit as st

import signals
from data import alerts
from ui import auth, data, i18n, tables
from ui.i18n import current, date, number, percent, t

user = auth.require_page(__file__)
st.title(t("alerts.title"))
FLASH = "alerts_flash"
SHOWN = 500          # alerts listed at once, soonest due first; the counts above cover every alert selected
lang = current()
managers = bool({"risk_manager", "admin"} & set(user.roles))
scope = None if managers else data.staff_scope(user, "credit_officer")
if not managers and scope is None:
    st.warning(t("alerts.no_scope"))
    st.stop()


def _signal(name: str) -> str:
    return t(f"alerts.signal_{name}")


def _model_name(model: dict | None) -> str:
    target = (model or {}).get("target") or ""
    return i18n.catalog(lang).get(f"models.target_{target}", target)


def _act(do, ok_key: str, **values) -> None:
    """Run a workflow change in a callback (before the page draws, so the table shows it); note the outcome."""
    try:
        do()
    except ValueError as exc:
        st.session_state[FLASH] = ("error", t("alerts.failed", error=exc))
        return
    st.session_state[FLASH] = ("success", t(ok_key, **values))


statuses = st.multiselect(t("alerts.status_filter"), alerts.STATUSES, default=["open", "acknowledged"],
                          format_func=lambda s: t(f"alerts.status_{s}"), key="alerts_status")
whom = dict(status=tuple(statuses), owner=scope.officer if scope else None,
            branch=scope.branch if scope and not scope.officer else None)
frame = alerts.alerts_frame(**whom, by_due=True, limit=SHOWN)
whose = t("alerts.scope_all") if managers else (
    t("alerts.scope_officer", code=scope.officer) if scope.officer else t("alerts.scope_branch", branch=scope.branch))
st.caption(whose)
if FLASH in st.session_state:
    kind, text = st.session_state.pop(FLASH)
    getattr(st, kind)(text)
if frame.empty:
    st.info(t("alerts.empty"))
    st.stop()

today = dt.date.today()
linked = tables.may_open_borrower(user.roles)
summary = alerts.alerts_summary(today, **whom)
cols = st.columns(4)
cols[0].metric(t("alerts.shown"), number(summary["alerts"]), border=True)
cols[1].metric(t("alerts.open"), number(summary["open"]), border=True, help=t("alerts.open_help"))
cols[2].metric(t("alerts.overdue"), number(summary["overdue"]), border=True,
               help=t("alerts.overdue_help", date=date(today)))
cols[3].metric(t("alerts.urgent"), number(summary["urgent"]), border=True, help=t("alerts.urgent_help"))

shown = pd.DataFrame({
    t("alerts.col_id"): frame["alert_id"], t("alerts.col_loan"): frame["loan_id"],
    t("alerts.col_signal"): frame["signal"].map(_signal),
    t("alerts.col_severity"): frame["severity"].map(lambda s: t(f"alerts.severity_{s}")),
    t("alerts.col_status"): frame["status"].map(lambda s: t(f"alerts.status_{s}")),
    t("alerts.col_raised"): frame["raised_at"], t("alerts.col_due"): frame["due_date"],
    t("alerts.col_owner"): frame["owner"]})
event = st.dataframe(shown, hide_index=True, width="stretch", key="alerts_table",
                     **(dict(on_select="rerun", selection_mode="single-row") if linked else {}))
if summary["alerts"] > len(frame):
    st.caption(t("alerts.first_shown", shown=number(len(frame)), total=number(summary["alerts"])))
if linked:
    st.caption(t("alerts.select_to_open"))
    tables.open_selected_loan(event, frame["loan_id"].reset_index(drop=True))

st.subheader(t("alerts.detail"))
names = {i: t("alerts.pick_item", id=i, loan=loan, signal=_signal(sig))
         for i, loan, sig in zip(frame["alert_id"], frame["loan_id"], frame["signal"])}
alert_id = st.selectbox(t("alerts.pick"), list(names), key="alerts_pick", format_func=names.get)
alert = alerts.get_alert(int(alert_id))
spec = signals.BY_NAME.get(alert["signal"])
st.markdown(f"**{_signal(alert['signal'])}** · {t('alerts.severity_' + alert['severity'])} · "
            f"{t('alerts.status_' + alert['status'])} · {t('alerts.raised_on', date=date(alert['raised_at']))} · "
            f"{t('alerts.due_on', date=date(alert['due_date']))} · {t('alerts.owner', owner=alert['owner'])}")
if spec:
    st.caption(spec.zh if lang == "zh" else spec.en)
if linked:
    st.page_link("app_pages/borrower.py", label=t("alerts.open_borrower", loan=alert["loan_id"]),
                 icon=":material/person_search:", query_params={"loan": alert["loan_id"]})
st.markdown(t("alerts.evidence"))
st.dataframe(pd.DataFrame({t("alerts.col_field"): list(alert["evidence"]),
                           t("alerts.col_value"): [str(v) for v in alert["evidence"].values()]}), hide_index=True)

st.markdown(t("alerts.reasons"))
book = data.book()
model = data.get(alerts.alert_reasons, book, alert["loan_id"], alert["raised_at"]) if book else None
if model is None or model["source"] == "none":
    st.info(t(f"alerts.reasons_none_{model['why'] if model else 'no_month'}", model=_model_name(model)))
else:
    for reason in model["reasons"]:
        st.markdown(f"- {reason['zh' if lang == 'zh' else 'en']}")
    if not model["reasons"]:
        st.markdown(t("alerts.reasons_no_positive"))
    st.caption(t(f"alerts.reasons_{model['source']}", model=_model_name(model), version=model["version"],
                 pd=percent(model["pd"]), month=date(model["month"])))

moves = alerts.MOVES.get(alert["status"], ())
who = dict(actor=user.username, origin=auth.origin())
c1, c2, c3 = st.columns(3)
if "acknowledged" in moves:
    c1.button(t("alerts.acknowledge"), key="alerts_ack", on_click=_act, args=(
        lambda: alerts.move(alert["alert_id"], "acknowledged", **who), "alerts.done_acknowledged"),
        kwargs={"id": alert["alert_id"]})
if "resolved" in moves:
    c2.button(t("alerts.resolve"), key="alerts_resolve", on_click=_act, args=(
        lambda: alerts.move(alert["alert_id"], "resolved", **who), "alerts.done_resolved"),
        kwargs={"id": alert["alert_id"]})
if "escalated" in moves:
    to = c3.radio(t("alerts.escalate_to"), alerts.ESCALATE_TO, key="alerts_to", horizontal=True,
                  format_func=lambda x: t(f"alerts.to_{x}"))
    c3.button(t("alerts.escalate"), key="alerts_escalate", on_click=_act, args=(
        lambda: alerts.move(alert["alert_id"], "escalated", to=to, **who), "alerts.done_escalated"),
        kwargs={"id": alert["alert_id"]})

with st.form("alerts_comment", clear_on_submit=True):
    note = st.text_area(t("alerts.comment"), key="alerts_note")
    if st.form_submit_button(t("alerts.add_comment")):
        _act(lambda: alerts.comment(alert["alert_id"], note, **who), "alerts.done_comment", id=alert["alert_id"])
        st.rerun()
if managers:
    with st.form("alerts_reassign"):
        new_owner = st.text_input(t("alerts.new_owner"), value=alert["owner"] or "", key="alerts_owner")
        if st.form_submit_button(t("alerts.reassign")):
            _act(lambda: alerts.reassign(alert["alert_id"], new_owner, **who), "alerts.done_reassigned",
                 id=alert["alert_id"], owner=new_owner)
            st.rerun()
for c in alerts.comments(alert["alert_id"]):
    st.markdown(f"- {c['actor']} · {c['at']:%Y-%m-%d %H:%M}: {c['text']}")
