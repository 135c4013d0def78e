"""Models: the validator's home. Registry, training in the background, validation of a version (discrimination,
calibration, grades), champion against challenger, the model card and promotion to champion."""
import streamlit as st

from analytics.population import BAD_DPD, HORIZON
from charts import models as charts
from data import jobs, workflow
from data.errors import DataError, UsageError
from models import card, monitor, registry
from models.targets import TARGETS
from models.validation import evaluate, version_evaluation
from ui import auth, data, downloads, i18n, model_picker, shell
from ui.i18n import current, month, t

CHANGERS = {"admin", "model_validator"}
CFG = {"displaylogo": False}
DONE_ICON, FAILED_ICON = ":material/check_circle:", ":material/error:"

user = auth.require_page(__file__)
st.title(t("models.title"))
book = shell.book()
as_of, flt, lang = shell.as_of(book), shell.filters(), current()
can_change = bool(CHANGERS & set(user.roles))
months = data.months(book)


# ---- background jobs ---------------------------------------------------------------------------------------

def job_line(job: dict) -> str:
    p = job["params"]
    what = t(f"models.job_{job['kind']}", target=p.get("target", ""), version=p.get("version", ""))
    return t("models.job_line", id=job["job_id"], what=what, actor=job["actor"],
             status=t(f"models.status_{job['status']}"))


def jobs_panel() -> None:
    running = jobs.active()
    finished = [j for j in jobs.recent(5) if j["status"] not in jobs.ACTIVE]
    if not running and not finished:
        return
    with st.container(border=True):
        st.markdown(f"**{t('models.jobs_heading')}**")
        for job in running:
            st.progress(float(job["progress"]), text=f"{job_line(job)} — {job['message']}")
        for job in finished[:3]:
            if job["status"] == "done":
                r = job["result"] or {}
                st.caption(f"{DONE_ICON} " + job_line(job) + (
                    " — " + t("models.job_done_train", version=r["version"], auc=f"{r['auc']:.3f}")
                    if job["kind"] == "train" and "auc" in r else ""))
            else:
                st.caption(f"{FAILED_ICON} " + job_line(job) + " — " + (job["message"] or ""))
    if st.session_state.get("models_jobs_running") and not running:
        st.session_state["models_jobs_running"] = False
        st.rerun()                          # a job just finished: redraw the registry with its result
    st.session_state["models_jobs_running"] = bool(running)


st.fragment(jobs_panel, run_every=2 if jobs.active() else None)()


def training_form() -> None:
    """Start a training job (validator, admin): target and observation months, suggested from the data."""
    names = list(TARGETS)
    target = st.selectbox(t("models.train_target"), names, key="models_train_target",
                          format_func=lambda n, lang=lang: t(f"models.target_{n}", lang))
    window = jobs.train_window(months, TARGETS[target].horizon)
    if window is None:
        st.warning(t("models.train_too_short", h=TARGETS[target].horizon, n=len(months)))
        return
    c = st.columns(4)
    choices = months[: len(months) - TARGETS[target].horizon]
    fmt = {"format_func": lambda m, lang=lang: month(m, lang)}
    obs_from = c[0].selectbox(t("models.train_obs_from"), choices, index=choices.index(window[0]),
                              key=f"models_obs_from_{target}", **fmt)
    obs_to = c[1].selectbox(t("models.train_obs_to"), choices, index=choices.index(window[1]),
                            key=f"models_obs_to_{target}", **fmt)
    oot_from = c[2].selectbox(t("models.train_oot_from"), choices, index=choices.index(window[2]),
                              key=f"models_oot_from_{target}", help=t("models.train_oot_help"), **fmt)
    seed = c[3].number_input(t("models.train_seed"), 0, 99999, 7, key="models_seed")
    st.caption(t("models.train_note", h=TARGETS[target].horizon, last=month(choices[-1])))
    if st.button(t("models.train_start"), key="models_train_start", icon=":material/model_training:",
                 type="primary"):
        if not obs_from < oot_from <= obs_to:
            st.error(t("models.train_bad_window"))
            return
        params = {"target": target, "obs_from": f"{obs_from:%Y-%m}", "obs_to": f"{obs_to:%Y-%m}",
                  "oot_from": f"{oot_from:%Y-%m}", "seed": int(seed)}
        job_id = jobs.submit("train", params, actor=user.username, origin=auth.origin())
        st.session_state["models_jobs_running"] = True
        st.toast(t("models.train_started", id=job_id), icon=":material/hourglass_top:")
        st.rerun()


table = registry.list_models()
if table.empty:
    st.info(t("models.no_model"), icon=":material/info:")
    if can_change:
        with st.container(border=True):
            st.subheader(t("models.train_heading"))
            training_form()
    else:
        st.caption(t("models.no_model_ask"))
    pop = data.behaviour_population(book, as_of, flt)
    with st.expander(t("models.population_heading", h=HORIZON, d=BAD_DPD - 1), expanded=True):  # data on landing
        st.caption(shell.context(as_of))
        now = pop[pop.as_of == as_of]
        st.metric(t("models.population"), i18n.number(now["loans"].iloc[0]) if len(now) else "—", border=True,
                  help=t("models.population_help"))
        left, right = st.columns(2)
        left.plotly_chart(charts.population_bar(pop, as_of, lang), theme=None, config=CFG)
        right.plotly_chart(charts.bad_rate_line(pop, as_of, HORIZON, lang), theme=None, config=CFG)
    st.stop()


# ---- registry and the version looked at --------------------------------------------------------------------

st.subheader(t("models.registry_heading"))
shown = table.drop(columns=["horizon", "bad_dpd"]).assign(
    champion=[t("models.champion_mark") if c else "" for c in table["champion"]],
    target=[model_picker.target_label(x) for x in table["target"]],
    created_at=[str(c or "")[:16].replace("T", " ") for c in table["created_at"]])
st.dataframe(shown, hide_index=True, column_config={
    "target": t("models.col_target"), "version": t("models.col_version"), "champion": t("models.col_champion"),
    "created_at": t("models.col_created"), "obs_from": t("models.col_obs_from"), "oot_from": t("models.col_oot_from"),
    **{k: st.column_config.NumberColumn(k.upper() if k != "brier" else "Brier", format="%.4f")
       for k in ("auc", "gini", "ks", "brier", "psi")}})

target, version = model_picker.pick(table, "models", lang)
versions = table.loc[table["target"] == target, "version"].tolist()[::-1]          # newest first
champ = registry.champion(target)
report = registry.read_report(target, version)
ev = version_evaluation(target, version)
d = report["data"]
note = charts.sample_note(ev.rows, ev.bads, d["oot_months"][0], d["oot_months"][-1], lang)
st.caption(t("models.version_caption", definition=t("models.definition", h=report["target"]["horizon"],
                                                         d=report["target"]["bad_dpd"]),
             dev=f"{d['development_months'][0]} – {d['development_months'][-1]}", note=note))

cols = st.columns(6)
for col, (label, value, helptext) in zip(cols, (
        ("AUC", f"{ev.auc:.3f}", t("models.auc_help")), ("Gini", f"{ev.gini:.3f}", t("models.gini_help")),
        ("KS", f"{ev.ks:.3f}", t("models.ks_help")), ("Brier", f"{ev.brier:.4f}", t("models.brier_help")),
        ("ECE", f"{ev.ece:.4f}", t("models.ece_help")),
        ("PSI", f"{report['psi']:.3f}",
         t("models.psi_help", band=t(f"models.band_{monitor.psi_band(report['psi'])}"))))):
    col.metric(label, value, help=helptext, border=True)

tabs = st.tabs([t("models.tab_discrimination"), t("models.tab_calibration"), t("models.tab_challenger"),
                t("models.tab_card"), t("models.tab_train")])

with tabs[0]:
    left, right = st.columns(2)
    left.plotly_chart(charts.roc_chart(ev.roc, ev.auc, ev.gini, note, lang), theme=None, config=CFG)
    right.plotly_chart(charts.ks_chart(ev.ks_curve, ev.ks, note, lang), theme=None, config=CFG)
    st.plotly_chart(charts.decile_chart(ev.deciles, note, lang), theme=None, config=CFG)
    st.markdown(f"**{t('models.deciles_heading')}**")
    st.caption(t("models.deciles_note"))
    dec = ev.deciles.copy()
    st.dataframe(dec, hide_index=True, column_config={
        "decile": t("models.col_decile"),
        "loans": st.column_config.NumberColumn(t("models.col_loans"), format="localized"),
        "bads": st.column_config.NumberColumn(t("models.col_bads"), format="localized"),
        "bad_rate": st.column_config.NumberColumn(t("models.col_bad_rate"), format="percent"),
        "min_pd": st.column_config.NumberColumn(t("models.col_min_pd"), format="percent"),
        "max_pd": st.column_config.NumberColumn(t("models.col_max_pd"), format="percent"),
        "mean_pd": st.column_config.NumberColumn(t("models.col_mean_pd"), format="percent"),
        "cum_bad_share": st.column_config.NumberColumn(t("models.col_cum_bad_share"), format="percent"),
        "lift": st.column_config.NumberColumn(t("models.col_lift"), format="%.2f")})
    downloads.buttons(dec, "model-deciles", {"target": target, "version": version}, key="dl_deciles")

with tabs[1]:
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.calibration_chart(ev.calibration, ev.brier, ev.ece, note, lang), theme=None,
                      config=CFG)
    with right:
        st.metric(t("models.hl"), f"{ev.hl_statistic:.2f}", help=t("models.hl_help"), border=True)
        st.metric(t("models.hl_p"), f"{ev.hl_p_value:.3g}", border=True)
        st.caption(t("models.hl_reject" if ev.hl_p_value < 0.05 else "models.hl_accept"))
    st.markdown(f"**{t('models.grades_heading')}**")
    st.caption(t("models.grades_note"))
    grades = i18n.localise(ev.grades, {"pd_too_low": "yes_no"})
    st.dataframe(grades, hide_index=True, column_config={
        "grade": t("models.col_grade"),
        "loans": st.column_config.NumberColumn(t("models.col_loans"), format="localized"),
        "share": st.column_config.NumberColumn(t("models.col_share"), format="percent"),
        "bads": st.column_config.NumberColumn(t("models.col_bads"), format="localized"),
        "bad_rate": st.column_config.NumberColumn(t("models.col_bad_rate"), format="percent"),
        "mean_pd": st.column_config.NumberColumn(t("models.col_mean_pd"), format="percent"),
        "lift": st.column_config.NumberColumn(t("models.col_lift"), format="%.2f"),
        "p_value": st.column_config.NumberColumn(t("models.col_p_value"), format="%.4f"),
        "pd_too_low": t("models.col_pd_too_low")})
    downloads.buttons(ev.grades, "model-grades", {"target": target, "version": version}, key="dl_grades")

with tabs[2]:
    if champ is None or len(versions) < 2:
        st.info(t("models.challenger_none"))
    else:
        others = [v for v in versions if v != champ]
        challenger = st.selectbox(t("models.pick_challenger"), others,
                                  index=others.index(version) if version in others else 0,
                                  key=f"models_challenger_{target}")
        sample = monitor.common_sample(target, champ, challenger)
        how = "models.challenger_common"
        if sample.empty:
            how = "models.challenger_scored"
            oot = tuple(registry.read_report(target, challenger)["data"]["oot_months"])
            sample = data.get(monitor.scored_sample, book, target, champ, challenger, oot)
        if sample.empty:
            st.warning(t("models.challenger_empty"))
        else:
            cmp = monitor.comparison(sample)
            first, last = sample["obs_month"].min(), sample["obs_month"].max()
            cnote = charts.sample_note(len(sample), int(sample["bad"].sum()), first, last, lang)
            st.caption(t(how, champion=champ, challenger=challenger) + " " + cnote)
            a = evaluate(sample["bad"], sample["pd_champion"])
            b = evaluate(sample["bad"], sample["pd_challenger"])
            left, right = st.columns(2)
            left.plotly_chart(charts.roc_chart(a.roc, a.auc, a.gini, cnote, lang, other=(
                b.roc, t("models.challenger_name", v=challenger)), name=t("models.champion_name", v=champ)),
                theme=None, config=CFG)
            cmp["metric"] = [t(f"models.metric_{m}") for m in cmp["metric"]]
            cmp["difference"] = cmp["challenger"] - cmp["champion"]
            right.dataframe(cmp, hide_index=True, column_config={
                "metric": t("models.col_metric"),
                "champion": st.column_config.NumberColumn(t("models.col_champion_value"), format="%.4f"),
                "challenger": st.column_config.NumberColumn(t("models.col_challenger_value"), format="%.4f"),
                "difference": st.column_config.NumberColumn(t("models.col_difference"), format="%+.4f")})
            right.caption(t("models.challenger_read"))

with tabs[3]:
    mc = card.build(target, version)
    st.markdown(t("models.card_intro"))
    if mc.approvals:
        st.caption(t("models.approved_by", n=len(mc.approvals), who=mc.approvals[-1]["actor"],
                     at=mc.approvals[-1]["at"][:10]))
    for item in card.limitations(mc, lang):
        st.markdown(f"- {item}")

    def card_html() -> str:
        svgs = {"roc": card.figure_svg(charts.roc_chart(ev.roc, ev.auc, ev.gini, note, lang)),
                "calibration": card.figure_svg(charts.calibration_chart(ev.calibration, ev.brier, ev.ece, note,
                                                                        lang)),
                "deciles": card.figure_svg(charts.decile_chart(ev.deciles, note, lang))}
        return card.html_page(mc, svgs, lang)

    username, origin = user.username, auth.origin()

    def export(fmt: str) -> bytes:
        page = card_html()
        out = page.encode() if fmt == "html" else card.pdf(page)
        workflow.audit("export", actor=username, origin=origin, target="model-card",
                       details={"format": fmt, "target": target, "version": version, "lang": lang})
        return out
    c = st.columns([1, 1, 3])
    c[0].download_button(t("models.card_html"), lambda: export("html"), file_name=f"model-card-{target}-{version}.html",
                         mime="text/html", on_click="ignore", icon=":material/description:", key="models_card_html")
    c[1].download_button(t("models.card_pdf"), lambda: export("pdf"), file_name=f"model-card-{target}-{version}.pdf",
                         mime="application/pdf", on_click="ignore", icon=":material/picture_as_pdf:",
                         key="models_card_pdf")
    st.caption(t("models.card_export_note"))
    st.divider()
    st.markdown(f"**{t('models.promote_heading')}**")
    if version == champ:
        st.success(t("models.is_champion", version=version))
    elif not can_change:
        st.caption(t("models.promote_not_allowed"))
    else:
        reason = st.text_input(t("models.promote_reason"), key=f"models_reason_{version}",
                               placeholder=t("models.promote_reason_hint"))
        if st.button(t("models.promote_button", version=version), key="models_promote", icon=":material/verified:",
                     disabled=not reason.strip()):
            try:
                with workflow.acting_as(user.username, auth.origin()):
                    previous = registry.promote(target, version, reason=reason.strip(), actor=user.username)
            except (UsageError, DataError) as exc:
                st.error(str(exc))
            else:
                st.toast(t("models.promoted", version=version, previous=previous or "—"), icon=":material/verified:")
                st.rerun()
        st.caption(t("models.promote_note"))

with tabs[4]:
    if can_change:
        training_form()
    else:
        st.caption(t("models.no_model_ask"))
    st.caption(t("models.train_cli"))
