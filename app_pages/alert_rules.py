"""Alert rules (risk managers, admins): edit the rules that turn signals into alerts, and the signal-quality backtest."""
import pandas as pd
import streamlit as st

import signals
from data import alerts
from signals import quality_cache
from ui import auth, shell
from ui.i18n import current, number, percent, t

user = auth.require_page(__file__)
st.title(t("alerts.rules_title"))
FLASH, NEW = "alert_rules_flash", "__new__"
book, lang = shell.book(), current()
names = {s.name: t(f"alerts.signal_{s.name}") for s in signals.SIGNALS}
severities = {s: t(f"alerts.severity_{s}") for s in signals.SEVERITIES}
modes = {m: t(f"alerts.mode_{m}") for m in alerts.MODES}


def _save(rule: dict) -> None:
    try:
        saved = alerts.save_rule(rule, actor=user.username, origin=auth.origin())
    except ValueError as exc:
        st.session_state[FLASH] = ("error", t("alerts.rule_refused", error=exc))
        return
    st.session_state[FLASH] = ("success", t("alerts.rule_saved", name=saved["name"]))


def _delete(name: str) -> None:
    try:
        alerts.delete_rule(name, actor=user.username, origin=auth.origin())
    except ValueError as exc:
        st.session_state[FLASH] = ("error", t("alerts.rule_refused", error=exc))
        return
    st.session_state[FLASH] = ("success", t("alerts.rule_deleted", name=name))


rules_tab, quality_tab = st.tabs([t("alerts.tab_rules"), t("alerts.tab_quality")])
with rules_tab:
    st.caption(t("alerts.rules_caption"))
    if FLASH in st.session_state:
        kind, text = st.session_state.pop(FLASH)
        getattr(st, kind)(text)
    current_rules = alerts.rules()
    st.dataframe(pd.DataFrame({
        t("alerts.rule_name"): [r["name"] for r in current_rules],
        t("alerts.rule_signals"): [", ".join(names.get(s, s) for s in r["signals"]) for r in current_rules],
        t("alerts.rule_mode"): [modes[r["mode"]] for r in current_rules],
        t("alerts.rule_min_severity"): [severities[r["min_severity"]] for r in current_rules],
        t("alerts.rule_owner"): [r["owner"] for r in current_rules],
        t("alerts.rule_enabled"): [bool(r["enabled"]) for r in current_rules]}), hide_index=True, width="stretch")
    by_name = {r["name"]: r for r in current_rules}
    choices = {NEW: t("alerts.rule_new"), **{n: n for n in by_name}}
    pick = st.selectbox(t("alerts.rule_pick"), list(choices), format_func=choices.get, key="alert_rules_pick")
    rule = by_name.get(pick, {"name": "", "signals": [], "mode": "any", "min_severity": "low", "owner": "officer",
                              "enabled": True})
    with st.form(f"alert_rules_form_{pick}"):
        name = st.text_input(t("alerts.rule_name"), value=rule["name"], key=f"alert_rules_name_{pick}",
                             help=t("alerts.rule_name_help"))
        chosen = st.multiselect(t("alerts.rule_signals"), list(names), default=rule["signals"],
                                format_func=names.get, key=f"alert_rules_signals_{pick}")
        c1, c2 = st.columns(2)
        mode = c1.radio(t("alerts.rule_mode"), list(modes), index=list(modes).index(rule["mode"]),
                        format_func=modes.get, horizontal=True, key=f"alert_rules_mode_{pick}")
        floor = c2.selectbox(t("alerts.rule_min_severity"), list(severities), format_func=severities.get,
                             index=list(severities).index(rule["min_severity"]), key=f"alert_rules_floor_{pick}")
        owner = st.text_input(t("alerts.rule_owner"), value=rule["owner"], key=f"alert_rules_owner_{pick}",
                              help=t("alerts.rule_owner_help"))
        enabled = st.checkbox(t("alerts.rule_enabled"), value=bool(rule["enabled"]), key=f"alert_rules_on_{pick}")
        if st.form_submit_button(t("alerts.rule_save"), type="primary"):
            _save({"name": name, "signals": chosen, "mode": mode, "min_severity": floor, "owner": owner,
                   "enabled": enabled})
            st.rerun()
    if pick in by_name:
        st.button(t("alerts.rule_delete", name=pick), key="alert_rules_delete", on_click=_delete, args=(pick,))

with quality_tab:
    st.caption(t("alerts.quality_caption"))
    kept = quality_cache.stored(book.generation)
    if st.button(t("alerts.quality_compute" if kept is None else "alerts.quality_recompute"),
                 key="alert_rules_quality", icon=":material/calculate:"):
        with st.spinner(t("alerts.quality_running")):
            kept = quality_cache.compute(book.con, book.generation)
    if kept is None:
        st.info(t("alerts.quality_none"))
    else:
        table, at = kept
        st.caption(t("alerts.quality_when", at=f"{at:%Y-%m-%d %H:%M} UTC", population=number(table["population"]
                                                                                          .iloc[0]),
                     base=percent(table["base_rate"].iloc[0]) if table["population"].iloc[0] else "—"))
        shown = pd.DataFrame({"signal": table["signal"].map(names), "severity": table["severity"].map(severities),
                              "hits": table["hits"], "bad_hits": table["bad_hits"],
                              "precision": table["precision"], "lift": table["lift"]})
        st.dataframe(shown, hide_index=True, width="stretch", column_config={
            "signal": t("alerts.col_signal"), "severity": t("alerts.col_severity"),
            "hits": st.column_config.NumberColumn(t("alerts.q_hits"), format="localized",
                                                  help=t("alerts.q_hits_help")),
            "bad_hits": st.column_config.NumberColumn(t("alerts.q_bad_hits"), format="localized"),
            "precision": st.column_config.NumberColumn(t("alerts.q_precision"), format="percent",
                                                       help=t("alerts.q_precision_help")),
            "lift": st.column_config.NumberColumn(t("alerts.q_lift"), format="%.2f×", help=t("alerts.q_lift_help"))})
