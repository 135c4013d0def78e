"""Model monitoring: a version's score and feature stability (PSI, CSI) and its performance as labels mature, and
its SHAP explanations (global importance, beeswarm, dependence, one loan's waterfall with reason codes)."""
import datetime as dt

import streamlit as st

from charts import models as charts
from data import jobs
from data.errors import DataError
from models import catalog, explain, monitor, registry
from ui import auth, data, downloads, i18n, model_picker, shell
from ui.i18n import current, month, t

CHANGERS = {"admin", "model_validator"}
CFG = {"displaylogo": False}

user = auth.require_page(__file__)
st.title(t("nav.model_monitoring"))
book = shell.book()
as_of, lang = shell.as_of(book), current()
can_change = bool(CHANGERS & set(user.roles))

table = registry.list_models()
if table.empty:
    st.info(t("models.monitor_no_model"), icon=":material/info:")
    st.stop()

target, version = model_picker.pick(table, "monitor", lang)
report = registry.read_report(target, version)
d = report["data"]
labels = {f: catalog.label(f, lang) for f in catalog.NAMES}

# only the open tab runs (on_change="rerun"): the SHAP views read the sample and explain a loan
tabs = st.tabs([t("models.tab_stability"), t("models.tab_performance"), t("models.tab_explain")],
               on_change="rerun", key="monitor_tabs")


def start_monitoring() -> None:
    job_id = jobs.submit("monitor", {"target": target, "version": version}, actor=user.username,
                         origin=auth.origin())
    st.toast(t("models.monitor_started", id=job_id), icon=":material/hourglass_top:")


def monitoring_status() -> None:
    running = [j for j in jobs.active(("monitor", "train")) if j["params"].get("version") in (version, None)
               and j["params"].get("target") == target]
    for j in running:
        st.progress(float(j["progress"]), text=f"{t('models.monitor_running', id=j['job_id'])} — {j['message']}")
    if st.session_state.get("monitor_was_running") and not running:
        st.session_state["monitor_was_running"] = False
        st.rerun()
    st.session_state["monitor_was_running"] = bool(running)


st.fragment(monitoring_status, run_every=2 if jobs.active(("monitor", "train")) else None)()
mon = monitor.read_monitoring(target, version)
latest = data.latest_month(book)
if mon is None or mon.data_to is None or mon.data_to < latest:
    key = "models.monitor_missing" if mon is None else "models.monitor_stale"
    msg = t(key, latest=month(latest), data_to=month(mon.data_to) if mon and mon.data_to else "—")
    for tab in tabs[:2]:
        if tab.open:
            with tab:
                st.info(msg)
    if can_change:
        st.button(t("models.monitor_start"), key="monitor_start", on_click=start_monitoring,
                  icon=":material/monitor_heart:")

with tabs[0]:
    if tabs[0].open and mon is not None and len(mon.psi):
        first, last = mon.psi["month"].min(), mon.psi["month"].max()
        snote = t("models.stability_note", dev=f"{d['development_months'][0]} – {d['development_months'][-1]}",
                  first=month(first, lang), last=month(last, lang),
                  rows=i18n.number(monitor.baseline_rows(target, version)))
        st.caption(t("models.monitor_computed", at=(mon.computed_at or "")[:16].replace("T", " "),
                     data_to=month(mon.data_to) if mon.data_to else "—"))
        st.plotly_chart(charts.psi_chart(mon.psi, dt.date.fromisoformat(d["oot_from"] + "-01"), snote, lang),
                        theme=None, config=CFG)
        latest_csi = mon.csi[mon.csi["month"] == last].sort_values("csi", ascending=False)
        top = latest_csi["feature"].head(5).tolist()
        pick = st.multiselect(t("models.csi_pick"), list(catalog.NAMES), default=top, key=f"monitor_csi_{version}",
                              format_func=lambda f: labels.get(f, f), max_selections=8)
        st.plotly_chart(charts.csi_chart(mon.csi, pick, labels, snote, lang), theme=None, config=CFG)
        view = latest_csi.assign(label=[labels.get(f, f) for f in latest_csi["feature"]],
                                 band=[t(f"models.band_{b}") for b in latest_csi["band"]])
        st.markdown(f"**{t('models.csi_table_heading', date=month(last))}**")
        st.dataframe(view[["label", "csi", "band"]], hide_index=True, column_config={
            "label": t("models.col_feature"), "csi": st.column_config.NumberColumn("CSI", format="%.4f"),
            "band": t("models.col_band")})
        downloads.buttons(mon.csi, "model-csi", {"target": target, "version": version}, key="dl_csi")

with tabs[1]:
    if tabs[1].open and mon is not None and len(mon.performance):
        perf = mon.performance
        pnote = t("models.perf_note", h=report["target"]["horizon"], first=month(perf["month"].min(), lang),
                  last=month(perf["month"].max(), lang), data_to=month(mon.data_to, lang))
        st.plotly_chart(charts.performance_chart(perf, pnote, lang), theme=None, config=CFG)
        st.plotly_chart(charts.bad_rate_vs_pd_chart(perf, pnote, lang), theme=None, config=CFG)
        st.dataframe(i18n.localise(perf, {"mature": "yes_no"}), hide_index=True, column_config={
            "month": st.column_config.DateColumn(t("models.col_obs_month"), format="YYYY-MM-DD"),
            "rows": st.column_config.NumberColumn(t("models.col_loans"), format="localized"),
            "bads": st.column_config.NumberColumn(t("models.col_bads_so_far"), format="localized"),
            "bad_rate": st.column_config.NumberColumn(t("models.col_bad_rate"), format="percent"),
            "mean_pd": st.column_config.NumberColumn(t("models.col_mean_pd"), format="percent"),
            "auc": st.column_config.NumberColumn("AUC", format="%.3f"),
            "ks": st.column_config.NumberColumn("KS", format="%.3f"),
            "brier": st.column_config.NumberColumn("Brier", format="%.4f"),
            "mature": t("models.col_mature")})

if tabs[2].open:
    with tabs[2]:
        sample = registry.read_shap_sample(target, version)
        imp = explain.global_importance(sample)
        xnote = t("models.shap_note", rows=i18n.number(len(sample)), first=d["oot_months"][0], last=d["oot_months"][-1])
        left, right = st.columns(2)
        left.plotly_chart(charts.importance_chart(imp, xnote, lang), theme=None, config=CFG)
        right.plotly_chart(charts.beeswarm_chart(sample, imp["feature"].head(12).tolist(), labels, xnote, lang),
                           theme=None, config=CFG)
        feature = st.selectbox(t("models.dependence_pick"), imp["feature"].tolist(), key=f"monitor_dep_{version}",
                               format_func=lambda f: labels.get(f, f))
        st.plotly_chart(charts.dependence_chart(sample, feature, labels.get(feature, feature),
                                                feature in catalog.CATEGORICAL, xnote, lang), theme=None, config=CFG)

        st.subheader(t("models.loan_heading"))
        riskiest = sample.sort_values("pd", ascending=False).head(30)
        options = list(zip(riskiest["loan_id"].astype(str), riskiest["as_of"]))
        c1, c2 = st.columns(2)
        picked = c1.selectbox(t("models.loan_pick"), options, key=f"monitor_loan_{version}",
                              format_func=lambda o, lang=lang: f"{o[0]} · {month(o[1], lang)}")
        typed = c2.text_input(t("models.loan_type", date=month(as_of)), key="monitor_loan_typed").strip()
        loan_id, when = (typed, as_of) if typed else (picked[0], picked[1].date())
        try:
            e = data.get(explain.explain_loan, book, loan_id, when, target=target, version=version)
        except DataError as exc:
            st.warning(str(exc))
        else:
            wnote = t("models.waterfall_note", loan=loan_id, date=month(e.as_of, lang), version=version,
                      base=f"{e.base_value:.3f}")
            left, right = st.columns([3, 2])
            left.plotly_chart(charts.waterfall_chart(e.contributions, e.base_value, e.raw_score, e.pd, wnote, lang),
                              theme=None, config=CFG)
            with right:
                st.metric(t("models.loan_pd"), i18n.percent(e.pd), border=True)
                st.markdown(f"**{t('models.reasons_heading')}**")
                for i, r in enumerate(e.reasons.itertuples(), 1):
                    st.markdown(f"{i}. {r.zh if lang == 'zh' else r.en}")
                st.dataframe(e.reasons[["en", "zh", "contribution"]], hide_index=True, column_config={
                    "en": "English", "zh": "中文",
                    "contribution": st.column_config.NumberColumn(t("models.col_contribution"), format="%+.3f")})
                st.caption(t("models.reasons_note"))
