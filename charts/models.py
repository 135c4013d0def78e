"""Model figures: the modelling population, and the validation, monitoring and SHAP views of a trained version."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import config
from charts.style import MONTHS_ON_AXIS, MUTED, NEUTRAL, base_layout, month_axis, month_format
from ui.i18n import date, t

BAD = "#c62828"


def population_bar(df: pd.DataFrame, as_of: dt.date, lang: str = "en") -> go.Figure:
    """Loans in the modelling population at each observation month-end (from behaviour_population)."""
    fig = go.Figure(go.Bar(
        x=pd.to_datetime(df["as_of"]), y=df["loans"], marker_color=NEUTRAL, **MONTHS_ON_AXIS,
        hovertemplate=f"%{{x|{month_format(lang)}}}<br>%{{y:,}} {t('charts.loans', lang)}<extra></extra>"))
    fig.update_yaxes(title_text=t("charts.population_axis", lang), separatethousands=True, rangemode="tozero")
    month_axis(fig, lang, len(df))
    subtitle = t("charts.population_note", lang, first=date(df["as_of"].iloc[0], lang), last=date(as_of, lang))
    return base_layout(fig, t("charts.population_title", lang), subtitle)


def bad_rate_line(df: pd.DataFrame, as_of: dt.date, horizon: int, lang: str = "en") -> go.Figure:
    """Observed bad rate by observation month: mature months (whole window seen) solid, the rest dotted and grey
    with the months observed so far, since their rate can still only rise."""
    x = pd.to_datetime(df["as_of"])
    fig = go.Figure()
    for mature, colour, dash, name in ((True, BAD, "solid", t("charts.mature", lang, h=horizon)),
                                       (False, MUTED, "dot", t("charts.immature", lang, h=horizon))):
        y = df["bad_rate"].where(df["mature"] == mature)
        fig.add_trace(go.Scatter(
            x=x, y=y, name=name, mode="lines+markers", line=dict(color=colour, dash=dash, width=2.5),
            customdata=df[["bads", "loans", "months_observed"]], **MONTHS_ON_AXIS,
            hovertemplate=f"%{{x|{month_format(lang)}}}<br>%{{y:.2%}} (%{{customdata[0]:,}} / %{{customdata[1]:,}})<br>"
                          f"{t('charts.months_observed', lang)} %{{customdata[2]}}<extra></extra>"))
    fig.update_yaxes(title_text=t("charts.bad_rate_axis", lang, h=horizon), tickformat=".1%", rangemode="tozero")
    month_axis(fig, lang, len(df))
    subtitle = t("charts.bad_rate_note", lang, h=horizon, last=date(as_of, lang))
    return base_layout(fig, t("charts.bad_rate_title", lang, h=horizon), subtitle, legend=True)


# ---- validation of a trained version (models/validation.py Evaluation, models/monitor.py frames) -------------

GOOD = "#2e7d32"
CHALLENGER = "#ef6c00"
BAND_FILL = {"stable": "rgba(46,125,50,0.08)", "watch": "rgba(253,216,53,0.18)", "shifted": "rgba(198,40,40,0.10)"}
PD_SCALE = [[0, "#9ecae1"], [0.25, "#fee08b"], [0.6, "#f46d43"], [1, "#a50026"]]
LINES = ("#1f4e79", "#ef6c00", "#2e7d32", "#8e24aa", "#00838f", "#6d4c41", "#c62828", "#546e7a")


def sample_note(rows: int, bads: int, first: str, last: str, lang: str = "en") -> str:
    """'out-of-time sample, observation months 2025-08 to 2025-10: 4,599 loan-months, 297 bads (6.46%)'."""
    return t("models.ch_sample", lang, first=first, last=last, rows=f"{rows:,}", bads=f"{bads:,}",
             rate=f"{bads / rows:.2%}" if rows else "—")


def roc_chart(roc: pd.DataFrame, auc: float, gini: float, note: str, lang: str = "en",
              other: tuple[pd.DataFrame, str] | None = None, name: str | None = None) -> go.Figure:
    """ROC curve (share of bads caught against share of goods flagged) with the diagonal of a random score;
    `other` adds a second curve (challenger) on the same axes."""
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color=MUTED, dash="dash"),
                               name=t("models.ch_random", lang), hoverinfo="skip"))
    curves = [(roc, name or t("models.ch_model", lang), NEUTRAL)] + ([(other[0], other[1], CHALLENGER)] if other
                                                                     else [])
    for df, label, colour in curves:
        fig.add_trace(go.Scatter(x=df["fpr"], y=df["tpr"], mode="lines", name=label,
                                 line=dict(color=colour, width=2.5),
                                 hovertemplate=f"{label}<br>{t('models.ch_fpr', lang)} %{{x:.1%}}<br>"
                                               f"{t('models.ch_tpr', lang)} %{{y:.1%}}<extra></extra>"))
    fig.update_xaxes(title_text=t("models.ch_fpr", lang), tickformat=".0%", range=[0, 1], constrain="domain")
    fig.update_yaxes(title_text=t("models.ch_tpr", lang), tickformat=".0%", range=[0, 1.02])
    title = t("models.ch_roc_title", lang, auc=f"{auc:.3f}", gini=f"{gini:.3f}")
    return base_layout(fig, title, note, legend=True)


def ks_chart(curve: pd.DataFrame, ks: float, note: str, lang: str = "en") -> go.Figure:
    """Cumulative share of bads and of goods among the riskiest x% of loans; the KS is the widest gap."""
    fig = go.Figure()
    for col, colour, key in (("bads_share", BAD, "models.ch_cum_bads"), ("goods_share", GOOD, "models.ch_cum_goods")):
        fig.add_trace(go.Scatter(x=curve["share"], y=curve[col], mode="lines", name=t(key, lang),
                                 line=dict(color=colour, width=2.5),
                                 hovertemplate=f"{t('models.ch_share_ranked', lang)} %{{x:.1%}}<br>"
                                               f"{t(key, lang)} %{{y:.1%}}<extra></extra>"))
    at = curve.loc[curve["gap"].abs().idxmax()]
    fig.add_trace(go.Scatter(x=[at["share"], at["share"]], y=[at["goods_share"], at["bads_share"]],
                             mode="lines+markers", line=dict(color="#333", width=2), marker=dict(size=7),
                             name=t("models.ch_ks_gap", lang, ks=f"{ks:.3f}"), hoverinfo="skip"))
    fig.update_xaxes(title_text=t("models.ch_share_ranked", lang), tickformat=".0%", range=[0, 1])
    fig.update_yaxes(title_text=t("models.ch_cum_share", lang), tickformat=".0%", range=[0, 1.02])
    title = t("models.ch_ks_title", lang, ks=f"{ks:.3f}", pd=f"{at['threshold']:.2%}")
    return base_layout(fig, title, note, legend=True)


def decile_chart(deciles: pd.DataFrame, note: str, lang: str = "en") -> go.Figure:
    """Observed bad rate per decile of PD (1 = riskiest tenth) beside the mean predicted PD, lift on hover."""
    x = deciles["decile"].astype(str)
    fig = go.Figure(go.Bar(
        x=x, y=deciles["bad_rate"], name=t("models.ch_observed", lang), marker_color=BAD,
        text=[f"{v:.1%}" for v in deciles["bad_rate"]], textposition="outside",
        customdata=deciles[["bads", "loans", "lift"]],
        hovertemplate=f"{t('models.ch_decile', lang)} %{{x}}<br>%{{y:.2%}} (%{{customdata[0]:,}} / "
                      f"%{{customdata[1]:,}})<br>{t('models.ch_lift', lang)} %{{customdata[2]:.2f}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=deciles["mean_pd"], mode="markers", name=t("models.ch_predicted", lang),
                             marker=dict(color=NEUTRAL, size=11, symbol="diamond"),
                             hovertemplate="%{y:.2%}<extra></extra>"))
    fig.update_xaxes(title_text=t("models.ch_decile_axis", lang), type="category")
    fig.update_yaxes(title_text=t("models.ch_bad_rate", lang), tickformat=".0%", rangemode="tozero")
    fig.update_yaxes(range=[0, float(max(deciles["bad_rate"].max(), deciles["mean_pd"].max())) * 1.18])
    return base_layout(fig, t("models.ch_decile_title", lang), note, legend=True)


def calibration_chart(bands: pd.DataFrame, brier: float, ece: float, note: str, lang: str = "en") -> go.Figure:
    """Observed bad rate against mean predicted PD per equal-count band, both on log scales (PDs bunch near zero);
    on the diagonal the PDs are right. A band with no bad sits on the floor as a hollow marker."""
    positive = bands.loc[bands["bad_rate"] > 0, "bad_rate"]
    floor = float(min(bands["mean_pd"].min(), positive.min() if len(positive) else 1)) / 2
    lo, hi = floor * 0.8, float(max(bands["mean_pd"].max(), bands["bad_rate"].max())) * 1.25
    y = bands["bad_rate"].where(bands["bad_rate"] > 0, floor)
    fig = go.Figure(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", line=dict(color=MUTED, dash="dash"),
                               name=t("models.ch_perfect", lang), hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=bands["mean_pd"], y=y, mode="lines+markers", name=t("models.ch_bands", lang),
        line=dict(color=NEUTRAL, width=2),
        marker=dict(size=10, symbol=["circle" if b > 0 else "circle-open" for b in bands["bad_rate"]]),
        customdata=bands[["band", "loans", "bad_rate"]],
        hovertemplate=f"{t('models.ch_band', lang)} %{{customdata[0]}} (%{{customdata[1]:,}})<br>"
                      f"{t('models.ch_predicted', lang)} %{{x:.2%}}<br>{t('models.ch_observed', lang)} "
                      f"%{{customdata[2]:.2%}}<extra></extra>"))
    axis = dict(type="log", tickformat=".1%", range=[np.log10(lo), np.log10(hi)])
    fig.update_xaxes(title_text=t("models.ch_mean_pd_axis_log", lang), **axis)
    fig.update_yaxes(title_text=t("models.ch_bad_rate_log", lang), **axis)
    title = t("models.ch_calibration_title", lang, brier=f"{brier:.4f}", ece=f"{ece:.4f}")
    return base_layout(fig, title, note, legend=True)


def _bands(fig: go.Figure, top: float, lang: str, floor: float = 0.0) -> None:
    watch, shifted = (x / 100 for x in config.setting("psi_bands"))
    for lo, hi, band in ((floor, watch, "stable"), (watch, shifted, "watch"), (shifted, max(top, shifted * 1.3),
                                                                             "shifted")):
        fig.add_hrect(y0=lo, y1=hi, fillcolor=BAND_FILL[band], line_width=0, layer="below")
        mid = np.sqrt(lo * hi) if floor else (lo + hi) / 2
        fig.add_annotation(xref="paper", x=1, xanchor="right", y=np.log10(mid) if floor else mid, showarrow=False,
                           text=t(f"models.band_{band}", lang), font=dict(size=12, color="#555"))
    for y in (watch, shifted):
        fig.add_hline(y=y, line=dict(color="#777", width=1, dash="dot"))


def psi_chart(psi: pd.DataFrame, oot_from: dt.date, note: str, lang: str = "en") -> go.Figure:
    """PSI of the PD at each month-end against the development sample, on the stable / watch / shifted bands."""
    x = pd.to_datetime(psi["month"])
    fig = go.Figure(go.Scatter(
        x=x, y=psi["psi"], mode="lines+markers", name="PSI", line=dict(color=NEUTRAL, width=2.5),
        customdata=psi[["rows", "mean_pd"]], **MONTHS_ON_AXIS,
        hovertemplate=f"%{{x|{month_format(lang)}}}<br>PSI %{{y:.3f}}<br>%{{customdata[0]:,}} "
                      f"{t('charts.loans', lang)} · {t('models.ch_mean_pd', lang)} %{{customdata[1]:.2%}}"
                      "<extra></extra>"))
    top = float(max(psi["psi"].max(), 0.3)) * 1.1
    _bands(fig, top, lang)
    fig.add_vline(x=pd.Timestamp(oot_from).timestamp() * 1000, line=dict(color="#555", dash="dash"))
    fig.add_annotation(x=pd.Timestamp(oot_from), y=top, text=t("models.ch_oot_starts", lang), showarrow=False,
                       xanchor="left", yanchor="top", font=dict(size=12))
    fig.update_yaxes(title_text=t("models.ch_psi_axis", lang), range=[0, top])
    month_axis(fig, lang, len(psi))
    return base_layout(fig, t("models.ch_psi_title", lang), note)


def csi_chart(csi: pd.DataFrame, features: list[str], labels: dict[str, str], note: str,
              lang: str = "en") -> go.Figure:
    """CSI of the chosen features at each month-end, on the same bands as the PSI."""
    fig = go.Figure()
    for i, f in enumerate(features):
        part = csi[csi["feature"] == f]
        fig.add_trace(go.Scatter(x=pd.to_datetime(part["month"]), y=part["csi"], mode="lines+markers",
                                 name=labels.get(f, f), line=dict(color=LINES[i % len(LINES)], width=2),
                                 **MONTHS_ON_AXIS,
                                 hovertemplate=f"{labels.get(f, f)}<br>%{{x|{month_format(lang)}}}<br>CSI %{{y:.3f}}"
                                               "<extra></extra>"))
    top = float(max(csi.loc[csi["feature"].isin(features), "csi"].max() if features else 0, 0.3)) * 1.1
    if top > 1:                          # a feature that shifted a lot would flatten the others: log scale
        floor = 1e-3
        _bands(fig, top, lang, floor)
        fig.update_yaxes(title_text=t("models.ch_csi_axis_log", lang), type="log",
                         range=[np.log10(floor), np.log10(top)], tickvals=[0.001, 0.01, 0.1, 0.25, 1, 10, 100])
    else:
        _bands(fig, top, lang)
        fig.update_yaxes(title_text=t("models.ch_csi_axis", lang), range=[0, top])
    month_axis(fig, lang, csi["month"].nunique())
    return base_layout(fig, t("models.ch_csi_title", lang), note, legend=True)


def performance_chart(perf: pd.DataFrame, note: str, lang: str = "en") -> go.Figure:
    """AUC and KS by observation month: mature months solid, months whose window is still open dotted grey."""
    x = pd.to_datetime(perf["month"])
    fig = go.Figure()
    for col, colour in (("auc", NEUTRAL), ("ks", CHALLENGER)):
        for mature, dash in ((True, "solid"), (False, "dot")):
            y = perf[col].where(perf["mature"] == mature)
            if mature is False:            # join the dotted part to the last mature point
                last = perf.index[perf["mature"]].max() if perf["mature"].any() else None
                if last is not None:
                    y = y.copy()
                    y.loc[last] = perf.loc[last, col]
            fig.add_trace(go.Scatter(
                x=x, y=y, mode="lines+markers", line=dict(color=colour if mature else MUTED, dash=dash, width=2.5),
                marker=dict(color=colour if mature else MUTED), showlegend=True,
                name=t(f"models.ch_{col}", lang) + ("" if mature else " " + t("models.ch_open_window", lang)),
                customdata=perf[["bads", "rows"]], **MONTHS_ON_AXIS,
                hovertemplate=f"%{{x|{month_format(lang)}}}<br>{t(f'models.ch_{col}', lang)} %{{y:.3f}}<br>"
                              f"%{{customdata[0]:,}} / %{{customdata[1]:,}} {t('models.ch_bads_word', lang)}"
                              "<extra></extra>"))
    fig.update_yaxes(title_text=t("models.ch_auc_ks_axis", lang), range=[0, 1])
    month_axis(fig, lang, len(perf))
    return base_layout(fig, t("models.ch_perf_title", lang), note, legend=True)


def bad_rate_vs_pd_chart(perf: pd.DataFrame, note: str, lang: str = "en") -> go.Figure:
    """Observed bad rate (outcomes known so far) against the mean predicted PD, by observation month."""
    x = pd.to_datetime(perf["month"])
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=perf["bad_rate"], name=t("models.ch_observed", lang),
                         marker_color=[BAD if m else MUTED for m in perf["mature"]], **MONTHS_ON_AXIS,
                         customdata=perf[["bads", "rows"]],
                         hovertemplate=f"%{{x|{month_format(lang)}}}<br>%{{y:.2%}} (%{{customdata[0]:,}} / "
                                       f"%{{customdata[1]:,}})<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=perf["mean_pd"], mode="lines+markers", name=t("models.ch_predicted", lang),
                             line=dict(color=NEUTRAL, width=2.5), **MONTHS_ON_AXIS,
                             hovertemplate="%{y:.2%}<extra></extra>"))
    fig.update_yaxes(title_text=t("models.ch_bad_rate", lang), tickformat=".1%", rangemode="tozero")
    month_axis(fig, lang, len(perf))
    return base_layout(fig, t("models.ch_badrate_title", lang), note, legend=True)


def importance_chart(imp: pd.DataFrame, note: str, lang: str = "en", top: int = 15) -> go.Figure:
    """Mean |SHAP| of the most important features (log-odds), largest at the top."""
    d = imp.head(top).iloc[::-1]
    labels = d["zh" if lang == "zh" else "en"]
    fig = go.Figure(go.Bar(x=d["mean_abs_shap"], y=labels, orientation="h", marker_color=NEUTRAL,
                           text=[f"{v:.3f}" for v in d["mean_abs_shap"]], textposition="outside",
                           hovertemplate="%{y}<br>%{x:.4f}<extra></extra>"))
    fig.update_xaxes(title_text=t("models.ch_mean_abs_shap", lang), range=[0, float(d["mean_abs_shap"].max()) * 1.2])
    fig.update_yaxes(automargin=True)
    return base_layout(fig, t("models.ch_importance_title", lang, n=min(top, len(imp))), note,
                       height=140 + 28 * len(d))


def _spread(values: np.ndarray) -> np.ndarray:
    """Each value's percentile within its feature (0 low .. 1 high), the beeswarm's colour; NaN stays NaN."""
    s = pd.Series(values, dtype=float)
    return s.rank(pct=True).to_numpy()


def beeswarm_chart(sample: pd.DataFrame, features: list[str], labels: dict[str, str], note: str,
                   lang: str = "en") -> go.Figure:
    """One row per feature (most important at the top): each dot a loan's SHAP value, coloured by the feature's
    value from low (blue) to high (red); grey for categories and missing values."""
    rng = np.random.default_rng(0)
    fig = go.Figure()
    for i, f in enumerate(reversed(features)):
        shap_v = sample[f"shap__{f}"].to_numpy()
        raw = pd.to_numeric(sample[f], errors="coerce").to_numpy(dtype=float)
        colour = _spread(raw)
        y = i + rng.uniform(-0.32, 0.32, len(shap_v)) * np.minimum(1, 3 * np.abs(shap_v) / (np.abs(shap_v).max() or 1)
                                                                     + 0.15)
        text = sample[f].astype(str).to_numpy()
        fig.add_trace(go.Scattergl(
            x=shap_v, y=y, mode="markers", showlegend=False, text=text,
            marker=dict(size=4, color=np.where(np.isnan(colour), 0.5, colour), colorscale="RdBu_r", cmin=0, cmax=1,
                        opacity=0.75, showscale=i == 0,
                        colorbar=dict(title=dict(text=t("models.ch_feature_value", lang), side="right"),
                                      tickvals=[0, 1], ticktext=[t("models.ch_low", lang), t("models.ch_high", lang)],
                                      len=0.6, thickness=12)),
            hovertemplate=f"{labels.get(f, f)} = %{{text}}<br>SHAP %{{x:.3f}}<extra></extra>"))
    fig.add_vline(x=0, line=dict(color="#777", width=1))
    fig.update_yaxes(tickvals=list(range(len(features))), ticktext=[labels.get(f, f) for f in reversed(features)],
                     automargin=True, showgrid=False, zeroline=False)
    fig.update_xaxes(title_text=t("models.ch_shap_axis", lang))
    return base_layout(fig, t("models.ch_beeswarm_title", lang), note, height=160 + 34 * len(features))


def dependence_chart(sample: pd.DataFrame, feature: str, label: str, categorical: bool, note: str,
                     lang: str = "en") -> go.Figure:
    """A feature's value against its SHAP value for every loan of the sample, coloured by the loan's PD."""
    x = sample[feature].astype(str) if categorical else pd.to_numeric(sample[feature], errors="coerce")
    fig = go.Figure(go.Scattergl(
        x=x, y=sample[f"shap__{feature}"], mode="markers",
        marker=dict(size=5, color=sample["pd"], colorscale=PD_SCALE, opacity=0.75, showscale=True,
                    colorbar=dict(title=dict(text="PD", side="right"), tickformat=".0%", len=0.6, thickness=12)),
        hovertemplate=f"{label} %{{x}}<br>SHAP %{{y:.3f}}<extra></extra>"))
    fig.add_hline(y=0, line=dict(color="#777", width=1))
    fig.update_xaxes(title_text=label, type="category" if categorical else "-")
    fig.update_yaxes(title_text=t("models.ch_shap_axis", lang))
    return base_layout(fig, t("models.ch_dependence_title", lang, feature=label), note)


def waterfall_chart(contrib: pd.DataFrame, base_value: float, raw: float, pd_: float, note: str,
                    lang: str = "en", top: int = 10) -> go.Figure:
    """From the model's average (base value) to this loan's score, feature by feature (log-odds), the largest
    contributions first and the rest summed; red raises the risk, green lowers it."""
    label = "zh" if lang == "zh" else "en"
    head = contrib.head(top)
    rest = float(contrib["shap"].iloc[top:].sum())
    names = [t("models.ch_base_value", lang)] + [f"{n} = {_value(v)}" for n, v in zip(head[label], head["value"])]
    values = [base_value] + head["shap"].tolist()
    measures = ["absolute"] + ["relative"] * len(head)
    if len(contrib) > top:
        names.append(t("models.ch_other_features", lang, n=len(contrib) - top))
        values.append(rest)
        measures.append("relative")
    names.append(t("models.ch_loan_score", lang))
    values.append(raw)
    measures.append("total")
    fig = go.Figure(go.Waterfall(
        orientation="h", y=names[::-1], x=values[::-1], measure=measures[::-1],
        increasing=dict(marker=dict(color=BAD)), decreasing=dict(marker=dict(color=GOOD)),
        totals=dict(marker=dict(color=NEUTRAL)), connector=dict(line=dict(color="#bbb")),
        text=[f"{v:+.3f}" if m == "relative" else f"{v:.3f}" for v, m in zip(values[::-1], measures[::-1])],
        textposition="outside", cliponaxis=False, hovertemplate="%{y}<br>%{x:.3f}<extra></extra>"))
    running = np.cumsum(values[:-1])
    lo, hi = float(min(running.min(), raw, 0)), float(max(running.max(), raw, 0))
    pad = (hi - lo) * 0.18
    fig.update_xaxes(title_text=t("models.ch_logodds_axis", lang), range=[lo - pad, hi + 2 * pad])
    fig.update_yaxes(automargin=True)
    title = t("models.ch_waterfall_title", lang, pd=f"{pd_:.2%}")
    return base_layout(fig, title, note, height=180 + 30 * len(names))


def _value(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "—"
    if isinstance(v, (int, float, np.floating, np.integer)):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
    return str(v)
