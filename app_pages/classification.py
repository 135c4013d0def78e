"""Classification & provisioning: five-tier classes, IFRS 9 stages and ECL, migration, NPL movement, the per-loan
list, and the officers' overrides and watch list (credit officers on their own loans; risk and admin on any)."""
import streamlit as st

from analytics import classification as cls
from analytics import ecl
from analytics.tiers import RULES, TIERS
from charts import classification as charts
from data import overrides
from ui import auth, data, downloads, shell
from ui.i18n import current, date, money, number, percent, t

PAGE_SIZE = 200
CHART = {"theme": None, "config": charts.CONFIG}


def rule_words(rule: str) -> str:
    """A deciding rule in words; an override keeps the officer's reason."""
    if rule.startswith("override:"):
        return t("classification.rule_override") + ":" + rule.split(":", 1)[1]
    return t(f"classification.rule_{rule}") if rule in RULES else rule


def done(message: str) -> None:
    """Keep the message for the next run and rerun, so every figure shows the change at once."""
    st.session_state["cls_flash"] = message
    st.rerun()


user = auth.require_page(__file__)
st.title(t("classification.title"))
book = shell.book()
as_of, flt, lang = shell.as_of(book), shell.filters(), current()
summary = data.book_summary(book, as_of, flt)
shell.stop_if_empty(summary["open_loans"], as_of)
currency = summary["currency"]
ovr, watch = overrides.inputs_at(as_of)                 # officers' inputs in force at the month-end
inputs = {"overrides": ovr, "watch_list": watch}
st.caption(shell.context(as_of) + " · " + t("classification.caption", currency=currency, overrides=len(ovr),
                                                  watched=len(watch)))

tiers = data.get(cls.tier_summary, book, as_of, flt, **inputs)
stages = data.get(ecl.stage_summary, book, as_of, flt, **inputs)
head = ecl.headline(tiers, stages)
cols = st.columns(4)
cols[0].metric(t("classification.npl_balance"), money(head["npl_balance"], currency), border=True,
               help=t("classification.npl_balance_help"))
cols[1].metric(t("classification.npl_ratio"), percent(head["npl_ratio"]), border=True,
               help=t("classification.npl_ratio_help"))
cols[2].metric(t("classification.ecl_total"), money(head["ecl"], currency), border=True,
               help=t("classification.ecl_total_help"))
cols[3].metric(t("classification.coverage"), percent(head["coverage"]) if head["coverage"] is not None else "—",
               border=True, help=t("classification.coverage_help"))

left, right = st.columns(2)
left.plotly_chart(charts.tier_totals(tiers, as_of, lang, currency), **CHART)
left.dataframe(tiers.assign(tier=[charts.state_label(x, lang) for x in tiers["tier"]]), hide_index=True,
               width="stretch", column_config={
                   "tier": t("classification.tier"), "loans": st.column_config.NumberColumn(
                       t("classification.loans"), format="localized"),
                   "balance": st.column_config.NumberColumn(t("classification.balance_in", currency=currency),
                                                            format="localized"),
                   "loan_share": st.column_config.NumberColumn(t("classification.loan_share"), format="percent"),
                   "balance_share": st.column_config.NumberColumn(t("classification.balance_share"),
                                                                  format="percent")})
right.plotly_chart(charts.stage_totals(stages, as_of, lang, currency), **CHART)
right.dataframe(stages.round({"ead": 2, "ecl": 2}).assign(stage=[charts.state_label(str(s), lang)
                                                                 for s in stages["stage"]]), hide_index=True,
                width="stretch", column_config={
                    "stage": t("classification.stage"), "loans": st.column_config.NumberColumn(
                        t("classification.loans"), format="localized"),
                    **{c: st.column_config.NumberColumn(t(f"classification.{c}_in", currency=currency),
                                                        format="localized") for c in ("balance", "ead", "ecl")},
                    "coverage": st.column_config.NumberColumn(t("classification.coverage_col"), format="percent")})

# ---- ECL by product and stage, and the parameters behind it ------------------------------------------------
by_product = data.get(ecl.ecl_summary, book, as_of, "product", flt, **inputs)
st.plotly_chart(charts.ecl_by_product(by_product, as_of, lang, currency), **CHART)
with st.expander(t("classification.parameters")):
    st.markdown(t("classification.parameters_text"))
    params = data.get(ecl.ecl_parameters, book, as_of)
    st.dataframe(params, hide_index=True, width="stretch", column_config={
        "product": t("classification.product"), "bucket": t("classification.bucket"),
        "pd_12m": st.column_config.NumberColumn(t("classification.pd_12m"), format="%.4f"),
        "lgd": st.column_config.NumberColumn(t("classification.lgd"), format="%.2f")})

# ---- migration between two month-ends ----------------------------------------------------------------------
st.subheader(t("classification.migration"))
months = data.months(book)
earlier = [m for m in months if m < as_of]
if not earlier:
    st.info(t("classification.no_earlier", date=date(as_of)))
else:
    c1, c2, c3 = st.columns([2, 2, 3])
    default = max(0, len(earlier) - 12)
    start = c1.selectbox(t("classification.from_month"), earlier, index=default, key="cls_from",
                         format_func=lambda m, lang=lang: date(m, lang))
    ends = [m for m in months if start < m <= as_of] or [as_of]
    end = c2.selectbox(t("classification.to_month"), ends, index=len(ends) - 1, key="cls_to",
                       format_func=lambda m, lang=lang: date(m, lang))
    weight = c3.radio(t("classification.weight"), ["count", "balance"], horizontal=True, key="cls_weight",
                      format_func=lambda w, lang=lang: t(f"classification.weight_{w}", lang))
    ovr_end, watch_end = overrides.inputs_at(end)
    at_end = {"overrides": ovr_end, "watch_list": watch_end}
    for by in ("tier", "stage"):
        moves = data.get(cls.migration, book, start, end, by, weight, flt, **at_end)
        if moves.empty:
            st.info(t("classification.no_moves"))
        else:
            st.plotly_chart(charts.migration_heatmap(moves, cls.migration_matrix(moves), start, end, by, lang,
                                                      weight, currency), **CHART)
    st.caption(t("classification.migration_caption"))

    # ---- NPL movement ----------------------------------------------------------------------------------------
    st.subheader(t("classification.npl_movement"))
    rec = data.get(cls.npl_reconciliation, book, start, end, flt, **at_end)
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.npl_waterfall(rec, lang, currency), **CHART)
    terms = ("opening", "new_npl", "upgrades", "collections", "write_offs", "closing")
    signs = {"opening": "", "new_npl": "+", "upgrades": "−", "collections": "−", "write_offs": "−", "closing": "="}
    right.dataframe({t("classification.term"): [f"{signs[k]} {t(f'classification.npl_{k}')}".strip()
                                                for k in terms],
                     t("classification.amount_in", currency=currency): [number(float(rec[k]), 2) for k in terms]},
                    hide_index=True, width="stretch")
    if rec["balanced"]:
        right.success(t("classification.reconciles", start=date(rec["from"]), end=date(rec["to"])))
    else:
        right.error(t("classification.not_reconciled"))

# ---- per-loan list, paged --------------------------------------------------------------------------------------
st.subheader(t("classification.loan_list"))
c1, c2, c3 = st.columns([2, 2, 1])
tier = c1.selectbox(t("classification.tier"), [None, *TIERS], key="cls_tier",
                    format_func=lambda x, lang=lang: t("classification.all", lang) if x is None
                    else charts.state_label(x, lang))
rule = c2.selectbox(t("classification.rule"), [None, *RULES], key="cls_rule",
                    format_func=lambda x, lang=lang: t("classification.all", lang) if x is None
                    else t(f"classification.rule_{x}", lang))
total = data.get(cls.loan_list_count, book, as_of, flt, tier, rule, **inputs)
pages = max(1, -(-total // PAGE_SIZE))
page = c3.number_input(t("classification.page", pages=number(pages)), min_value=1, max_value=pages, value=1,
                       step=1, key="cls_page")
rows = data.get(cls.loan_list, book, as_of, flt, tier, rule, int(page) - 1, PAGE_SIZE, **inputs)
first = (int(page) - 1) * PAGE_SIZE
st.caption(t("classification.showing", first=number(min(first + 1, total)), last=number(first + len(rows)),
             total=number(total)))
st.dataframe(rows.assign(tier=[charts.state_label(x, lang) for x in rows["tier"]],
                         rule=[rule_words(x) for x in rows["rule"]]), hide_index=True,
             width="stretch", column_config={
                 "loan_id": t("classification.loan_id"), "product": t("classification.product"),
                 "dpd": st.column_config.NumberColumn(t("classification.dpd"), format="%d"),
                 "balance": st.column_config.NumberColumn(t("classification.balance_in", currency=currency),
                                                          format="localized"),
                 "tier": t("classification.tier"), "rule": t("classification.rule"),
                 "stage": st.column_config.NumberColumn(t("classification.stage"), format="%d"),
                 "ecl": st.column_config.NumberColumn(t("classification.ecl_in", currency=currency),
                                                      format="localized")})
wanted = (as_of, flt, tier, rule, ovr, watch)
if st.session_state.get("cls_export") != wanted:
    st.button(t("classification.prepare", rows=number(total)), key="cls_prepare", icon=":material/download:",
              on_click=lambda: st.session_state.update(cls_export=wanted))
else:
    everything = data.get(cls.loan_list, book, as_of, flt, tier, rule, 0, None, **inputs)
    downloads.buttons(everything, "classification", details={"as_of": as_of, "filters": flt, "tier": tier,
                                                               "rule": rule}, key="dl_cls")

# ---- officers' inputs ------------------------------------------------------------------------------------------
st.subheader(t("classification.inputs"))
editor = overrides.Editor(user.username, tuple(user.roles), user.staff_code, auth.origin())
may_edit = bool(set(user.roles) & set(overrides.EDITORS))
if st.session_state.get("cls_flash"):
    st.success(st.session_state.pop("cls_flash"))
if not may_edit:
    st.info(t("classification.read_only"))
elif as_of != months[-1]:
    st.info(t("classification.latest_only", date=date(months[-1])))
else:
    if not set(user.roles) & set(overrides.ANY_LOAN):
        st.caption(t("classification.own_loans", code=user.staff_code or "—"))
    loan_id = st.text_input(t("classification.loan_id"), key="cls_loan").strip()
    floor = data.get(cls.rule_floor, book, loan_id, as_of) if loan_id else None
    if loan_id and floor is None:
        st.warning(t("classification.refused_not_open", loan_id=loan_id))
    elif floor and not set(user.roles) & set(overrides.ANY_LOAN) and floor["officer"] != user.staff_code:
        st.warning(t("classification.refused_not_yours", loan_id=loan_id))
    elif floor:
        st.markdown(t("classification.floor_line", loan_id=loan_id, tier=charts.state_label(floor["tier"], lang),
                      rule=rule_words(floor["rule"]), dpd=floor["dpd"],
                      balance=money(floor["balance"], currency), officer=floor["officer"] or "—"))
        worse = list(TIERS[TIERS.index(floor["tier"]) + 1:])
        with st.form("cls_override", clear_on_submit=True):
            st.markdown(f"**{t('classification.override_form')}**")
            new_tier = st.selectbox(t("classification.new_tier"), worse,
                                    format_func=lambda x, lang=lang: charts.state_label(x, lang))
            reason = st.text_area(t("classification.reason"), max_chars=2000)
            if st.form_submit_button(t("classification.save_override"), disabled=not worse):
                try:
                    overrides.add_override(book.con, loan_id, new_tier, reason, editor, as_of)
                    done(t("classification.saved", loan_id=loan_id))
                except overrides.Refused as exc:
                    st.error(t(f"classification.refused_{exc.key}", **exc.values))
        on_list = loan_id in watch
        with st.form("cls_watch", clear_on_submit=True):
            st.markdown(f"**{t('classification.watch_form')}**")
            st.caption(t("classification.on_watch" if on_list else "classification.off_watch"))
            note = st.text_input(t("classification.reason"))
            if st.form_submit_button(t("classification.remove_watch" if on_list else "classification.add_watch")):
                try:
                    if on_list:
                        overrides.remove_from_watch_list(book.con, loan_id, editor, note)
                    else:
                        overrides.add_to_watch_list(book.con, loan_id, note, editor, as_of)
                    done(t("classification.saved", loan_id=loan_id))
                except overrides.Refused as exc:
                    st.error(t(f"classification.refused_{exc.key}", **exc.values))

active = overrides.overrides()
st.markdown(f"**{t('classification.active_overrides', n=number(len(active)))}**")
if len(active):
    st.dataframe(active[["override_id", "loan_id", "as_of", "tier", "rule_tier", "reason", "actor", "at"]],
                 hide_index=True, width="stretch", column_config={
                     "override_id": t("classification.override_id"), "loan_id": t("classification.loan_id"),
                     "as_of": t("classification.as_of"), "tier": t("classification.tier"),
                     "rule_tier": t("classification.rule_tier"), "reason": t("classification.reason"),
                     "actor": t("classification.actor"), "at": t("classification.at")})
    if may_edit:
        with st.form("cls_withdraw", clear_on_submit=True):
            names = dict(zip(active["override_id"], active["loan_id"]))
            which = st.selectbox(t("classification.withdraw_which"), list(names),
                                 format_func=lambda i: f"#{i} · {names[i]}")
            why = st.text_input(t("classification.reason"))
            if st.form_submit_button(t("classification.withdraw")):
                try:
                    overrides.withdraw_override(book.con, which, editor, why)
                    done(t("classification.withdrawn", id=which))
                except overrides.Refused as exc:
                    st.error(t(f"classification.refused_{exc.key}", **exc.values))
listed = overrides.watch_entries()
st.markdown(f"**{t('classification.watch_entries', n=number(len(listed)))}**")
if len(listed):
    st.dataframe(listed[["loan_id", "as_of", "reason", "actor", "added_at"]], hide_index=True, width="stretch",
                 column_config={"loan_id": t("classification.loan_id"), "as_of": t("classification.as_of"),
                                "reason": t("classification.reason"), "actor": t("classification.actor"),
                                "added_at": t("classification.at")})
