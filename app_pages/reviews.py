"""Reviews (贷后检查): the reviewer's queue and review form with maker-checker, and the review status dashboard."""
import datetime as dt

import pandas as pd
import streamlit as st

from analytics.tiers import TIERS
from charts import reviews as charts
from data import overrides, reviews
from ui import auth, data, shell, tables
from ui.i18n import current, date, number, percent, t

user = auth.require_page(__file__)
st.title(t("reviews.title"))
FLASH = "reviews_flash"
SHOWN = 500          # reviews listed at once, soonest due first; the counts cover every review selected
book, lang, today = shell.book(), current(), dt.date.today()
managers = bool(set(reviews.APPROVERS) & set(user.roles))
scope = None if managers else data.staff_scope(user, "credit_officer")
if not managers and scope is None:
    st.warning(t("reviews.no_scope"))
    st.stop()
linked = tables.may_open_borrower(user.roles)
editor = overrides.Editor(user.username, tuple(user.roles), user.staff_code, auth.origin())


def _tier(tier: str) -> str:
    return t(f"reviews.tier_{tier}")


def _check(item: str) -> str:
    """A checklist item in words; an item a bank added to the setting without a translation, as written."""
    text = t(f"reviews.check_{item}")
    return item if text == f"reviews.check_{item}" else text


def _act(do, ok_key: str, **values) -> None:
    """Run a workflow step in a callback (before the page draws); a refusal is shown in words, not a traceback."""
    try:
        outcome = do()
    except overrides.Refused as exc:
        st.session_state[FLASH] = ("error", t("reviews.failed", error=exc))
        return
    st.session_state[FLASH] = ("success", t(ok_key if outcome != "pending_approval" else "reviews.done_submitted",
                                            **values))


def _table(df: pd.DataFrame, key: str) -> None:
    shown = pd.DataFrame({
        "review_id": df["review_id"], "loan_id": df["loan_id"],
        "kind": df["kind"].map(lambda k: t(f"reviews.kind_{k}")), "reason": df["reason"],
        "due_date": pd.to_datetime(df["due_date"]), "status": df["status"].map(lambda s: t(f"reviews.status_{s}")),
        "reviewer": df["reviewer"], "branch": df["branch"]})
    event = st.dataframe(shown, hide_index=True, width="stretch", key=key, **(dict(
        on_select="rerun", selection_mode="single-row") if linked else {}), column_config={
        "review_id": st.column_config.NumberColumn(t("reviews.col_id"), format="%d"),
        "loan_id": t("reviews.col_loan"),
        "kind": t("reviews.col_kind"), "reason": t("reviews.col_reason"),
        "due_date": st.column_config.DateColumn(t("reviews.col_due"), format="YYYY-MM-DD"),
        "status": t("reviews.col_status"), "reviewer": t("reviews.col_reviewer"), "branch": t("reviews.col_branch")})
    if linked:
        st.caption(t("reviews.select_to_open"))
        tables.open_selected_loan(event, df["loan_id"].reset_index(drop=True))


def queue_tab() -> None:
    words = {s: t(f"reviews.status_{s}") for s in reviews.STATUSES}
    statuses = st.multiselect(t("reviews.status_filter"), reviews.STATUSES, key="reviews_status",
                              default=list(reviews.OPEN), format_func=words.get)
    reviewer = branch = None
    if managers:
        facets = reviews.review_facets()
        c1, c2 = st.columns(2)
        branch = c1.selectbox(t("reviews.branch_filter"), facets["branch"],
                              index=None, placeholder=t("reviews.any"), key="reviews_branch")
        reviewer = c2.selectbox(t("reviews.officer_filter"), facets["reviewer"],
                                index=None, placeholder=t("reviews.any"), key="reviews_officer")
        st.caption(t("reviews.scope_all"))
    else:
        reviewer, branch = scope.officer, None if scope.officer else scope.branch
        st.caption(t("reviews.scope_officer", code=scope.officer) if scope.officer
                   else t("reviews.scope_branch", branch=scope.branch))
    frame = reviews.review_list(tuple(statuses), reviewer, branch, limit=SHOWN)
    if FLASH in st.session_state:
        kind, text = st.session_state.pop(FLASH)
        getattr(st, kind)(text)
    if frame.empty:
        st.info(t("reviews.empty"))
        return
    s = reviews.review_summary(today, tuple(statuses), reviewer, branch)
    cols = st.columns(4)
    cols[0].metric(t("reviews.due"), number(s["due"]), border=True, help=t("reviews.due_help", date=date(today)))
    cols[1].metric(t("reviews.overdue"), number(s["overdue"]), border=True,
                   help=t("reviews.overdue_help", date=date(today)))
    cols[2].metric(t("reviews.awaiting"), number(s["awaiting"]), border=True, help=t("reviews.awaiting_help"))
    cols[3].metric(t("reviews.done"), number(s["done"]), border=True)
    _table(frame, "reviews_table")
    if len(frame) == SHOWN:
        st.caption(t("reviews.first_shown", shown=number(SHOWN)))
    names = {i: t("reviews.pick_item", id=i, loan=loan, kind=t(f"reviews.kind_{kind}"), due=date(due))
             for i, loan, kind, due in zip(frame["review_id"], frame["loan_id"], frame["kind"], frame["due_date"])}
    # labels made now: a format_func runs outside the page's language
    rid = st.selectbox(t("reviews.pick"), list(names), key="reviews_pick", format_func=names.get)
    review_detail(int(rid))


def review_detail(rid: int) -> None:
    r = reviews.get_review(rid)
    st.subheader(t("reviews.detail", id=rid, loan=r["loan_id"]))
    if linked:
        st.page_link("app_pages/borrower.py", label=t("reviews.open_borrower", loan=r["loan_id"]),
                     icon=":material/person_search:", query_params={"loan": r["loan_id"]})
    try:
        now = reviews.current_tier(book.con, r["loan_id"])
    except overrides.Refused as exc:
        st.warning(t("reviews.failed", error=exc))
        return
    st.markdown(t("reviews.tier_now", tier=_tier(now["tier"]), rule=_tier(now["rule_tier"]),
                  date=date(now["as_of"])))
    if r["status"] in reviews.PENDING:
        review_form(r, now)
    else:
        st.markdown(t("reviews.recorded", who=r["completed_by"] or "—",
                      tier=_tier(r["classification"]) if r["classification"] else "—",
                      before=_tier(r["tier_before"]) if r["tier_before"] else "—"))
        st.markdown(f"> {r['findings'] or '—'}")
        if r["checklist"]:
            st.caption(" · ".join(f"{'✅' if v else '❌'} {_check(k)}"
                                  for k, v in r["checklist"].items()))
        if r["actions"]:
            st.caption(t("reviews.actions_recorded", actions=r["actions"]))
        if r["status"] == "pending_approval":
            approval(r)
        elif r["approved_by"]:
            st.caption(t("reviews.approved_by", who=r["approved_by"]))


def review_form(r: dict, now: dict) -> None:
    items = reviews.checklist(reviews.loan_product(book.con, r["loan_id"]))
    with st.form("reviews_form"):
        findings = st.text_area(t("reviews.findings"), key="reviews_findings")
        st.markdown(t("reviews.checklist"))
        checks = {k: st.checkbox(_check(k), key=f"reviews_check_{k}") for k in items}
        tier = st.selectbox(t("reviews.tier"), TIERS, index=TIERS.index(now["tier"]), key="reviews_tier",
                            format_func={x: _tier(x) for x in TIERS}.get, help=t("reviews.tier_help"))
        reason = st.text_input(t("reviews.reason"), key="reviews_reason", help=t("reviews.reason_help"))
        actions = st.text_area(t("reviews.actions"), key="reviews_actions", height=80)
        if st.form_submit_button(t("reviews.submit"), type="primary"):
            _act(lambda: reviews.submit(book.con, r["review_id"], findings, tier, editor, reason, checks, actions),
                 "reviews.done_completed", id=r["review_id"])
            st.rerun()


def approval(r: dict) -> None:
    st.info(t("reviews.waiting", who=r["completed_by"], before=_tier(r["tier_before"]),
              tier=_tier(r["classification"]), reason=r["tier_reason"] or "—"))
    if not managers:
        return
    if user.username == r["completed_by"]:
        st.caption(t("reviews.not_own"))
        return
    note = st.text_input(t("reviews.note"), key="reviews_note")
    c1, c2 = st.columns(2)
    c1.button(t("reviews.approve"), key="reviews_approve", type="primary", on_click=_act, args=(
        lambda: reviews.approve(book.con, r["review_id"], editor, note), "reviews.done_approved"),
        kwargs={"id": r["review_id"]})
    c2.button(t("reviews.reject"), key="reviews_reject", on_click=_act, args=(
        lambda: reviews.reject(r["review_id"], editor, note), "reviews.done_rejected"),
        kwargs={"id": r["review_id"]})


def dashboard_tab() -> None:
    s = reviews.review_summary(today)
    if not sum(s.values()):
        st.info(t("reviews.empty_dashboard"))
        return
    trend = reviews.monthly_trend_store(today)
    cols = st.columns(4)
    cols[0].metric(t("reviews.due"), number(s["due"]), border=True)
    cols[1].metric(t("reviews.overdue"), number(s["overdue"]), border=True)
    cols[2].metric(t("reviews.done"), number(s["done"]), border=True)
    done = trend["done"].sum()
    cols[3].metric(t("reviews.on_time_rate"), percent(trend["on_time"].sum() / done) if done else "—",
                   border=True, help=t("reviews.on_time_help"))
    st.plotly_chart(charts.completion_trend(trend, today, lang), theme=None, config={"displaylogo": False})
    by = st.radio(t("reviews.by"), ("branch", "reviewer"), horizontal=True, key="reviews_by",
                  format_func={x: t(f"reviews.by_{x}") for x in ("branch", "reviewer")}.get)
    table = reviews.status_by_store(by, today)
    shown = table.assign(timeliness=table["timeliness"].map(lambda v: "—" if v != v or v is None else percent(v)))
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        by: t(f"reviews.by_{by}"), "reviews": st.column_config.NumberColumn(t("reviews.col_reviews"), format="%d"),
        "due": st.column_config.NumberColumn(t("reviews.due"), format="%d"),
        "overdue": st.column_config.NumberColumn(t("reviews.overdue"), format="%d"),
        "done": st.column_config.NumberColumn(t("reviews.done"), format="%d"),
        "on_time": st.column_config.NumberColumn(t("reviews.col_on_time"), format="%d"),
        "completion": st.column_config.NumberColumn(t("reviews.col_completion"), format="percent"),
        "timeliness": st.column_config.TextColumn(t("reviews.col_timeliness"),     # "—": none done yet
                                                  help=t("reviews.on_time_help"))})
    pick = st.selectbox(t("reviews.drill", by=t(f"reviews.by_{by}")), table[by].tolist(), index=None,
                        key="reviews_drill", placeholder=t("reviews.drill_placeholder"))
    if pick is not None:
        n = int(table.loc[table[by] == pick, "reviews"].sum())
        rows = reviews.review_list(**{by: pick}, limit=SHOWN) if pick != "—" else None
        st.caption(t("reviews.drill_caption", n=number(n), what=pick))
        if rows is None:
            st.info(t("reviews.drill_unassigned"))
        else:
            _table(rows, "reviews_drill_table")
            if n > len(rows):
                st.caption(t("reviews.first_shown", shown=number(len(rows))))


if managers:
    # only the open tab runs (on_change="rerun"): the dashboard counts every review of the book
    queue, dash = st.tabs([t("reviews.tab_queue"), t("reviews.tab_dashboard")], on_change="rerun", key="reviews_tabs")
    if queue.open:
        with queue:
            queue_tab()
    if dash.open:
        with dash:
            dashboard_tab()
else:
    queue_tab()
