"""Vintage figures: cumulative curves by months on book with every cohort on one chart, and the cohorts side by side
at one MOB (DataFrames from analytics.vintage in, Figures out)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from charts.style import base_layout
from ui.i18n import date, percent, t

RAMP = "Viridis"
RAMP_SPAN = (0.0, 0.88)            # purple (oldest) to green; Viridis' last yellow is too pale on white


def cohort_colours(cohorts: list[str]) -> dict[str, str]:
    """A colour per cohort along one ramp, oldest (dark purple) to newest (green): age reads as colour."""
    n = len(cohorts)
    lo, hi = RAMP_SPAN
    points = [lo + (hi - lo) * i / max(n - 1, 1) for i in range(n)]
    return dict(zip(cohorts, sample_colorscale(RAMP, points)))


def _texts(metric: str, weight: str, by: str, lang: str, currency: str) -> dict:
    return dict(metric=t(f"vintage.metric_{metric}", lang), desc=t(f"vintage.desc_{metric}", lang),
                unit=t(f"vintage.unit_{weight}", lang, currency=currency), cohort=t(f"vintage.by_{by}", lang))


def vintage_chart(curves: pd.DataFrame, metric: str, weight: str, by: str, as_of: dt.date, lang: str = "en",
                  currency: str = "", highlight: tuple[str, ...] = ()) -> go.Figure:
    """One line per cohort (from vintage_curves): share ever `metric` by MOB. Cohorts are coloured by age on one
    ramp and grouped by origination year in the legend; `highlight`ed cohorts are drawn thick on top while the
    rest fade."""
    cohorts = sorted(curves["cohort"].unique())
    colours = cohort_colours(cohorts)
    words = _texts(metric, weight, by, lang, currency)
    seen_years: set[str] = set()
    order = [c for c in cohorts if c not in highlight] + [c for c in cohorts if c in highlight]
    parts = dict(tuple(curves.groupby("cohort", sort=False)))
    traces = []
    for c in order:          # plain dicts and numpy, validated once by go.Figure: 36 go.Scatter calls cost ~0.3 s
        part = parts[c]
        year, lit = c[:4], c in highlight
        group_title = None if year in seen_years else year
        seen_years.add(year)
        faded = bool(highlight) and not lit
        traces.append(dict(
            type="scatter", x=part["mob"].to_numpy(), y=part["share"].to_numpy(), name=c, mode="lines",
            legendgroup=year, legendgrouptitle=dict(text=group_title) if group_title else None,
            legendrank=cohorts.index(c), line=dict(color=colours[c], width=3.5 if lit else 1.6),
            opacity=0.3 if faded else 1.0,
            customdata=part[["loans", "cohort_loans", "balance", "cohort_balance"]].to_numpy(),
            hovertemplate=(f"{t('vintage.cohort', lang)} {c} · MOB %{{x}}<br>%{{y:.2%}}<br>"
                           f"%{{customdata[0]:,}} / %{{customdata[1]:,}} {t('vintage.loans', lang)} · "
                           f"{currency} %{{customdata[2]:,.0f}} / %{{customdata[3]:,.0f}}<extra></extra>")))
    fig = go.Figure(data=traces)
    for c in highlight:                     # name the highlighted curves where they end: no legend hunting
        end = parts[c].tail(1) if c in parts else []
        if len(end):
            fig.add_annotation(x=int(end["mob"].iloc[0]), y=float(end["share"].iloc[0]), text=f"<b>{c}</b>",
                               showarrow=False, xanchor="left", xshift=4, font=dict(color=colours[c], size=12))
    top = float(curves["share"].max()) if len(curves) else 0.0
    fig.update_yaxes(title_text=t(f"vintage.share_axis_{weight}", lang, currency=currency), rangemode="tozero",
                     tickformat=".1%" if top < 0.1 else ".0%")
    fig.update_xaxes(title_text=t("vintage.mob_axis", lang), rangemode="tozero", dtick=6 if len(cohorts) > 12 else 3)
    subtitle = t("vintage.chart_note", lang, first=cohorts[0] if cohorts else "", last=cohorts[-1] if cohorts else "",
                 n=len(cohorts), as_of=date(as_of, lang), **words)
    fig = base_layout(fig, t("vintage.chart_title", lang, **words), subtitle, height=560, width=140)
    fig.update_layout(showlegend=True, legend=dict(orientation="v", x=1.01, y=1, yanchor="top", font=dict(size=11),
                                                   groupclick="toggleitem", tracegroupgap=4,
                                                   title=dict(text=t("vintage.legend", lang))))
    fig.update_layout(margin=dict(r=10))
    return fig


def vintage_at_mob(curves: pd.DataFrame, mob: int, metric: str, weight: str, by: str, as_of: dt.date,
                   lang: str = "en", currency: str = "", highlight: tuple[str, ...] = ()) -> go.Figure:
    """Bars: each cohort that has reached MOB `mob`, its share ever `metric` by then; cohorts compared at equal
    age (DOMAIN.md), in the same colours as the curves."""
    cohorts = sorted(curves["cohort"].unique())
    colours = cohort_colours(cohorts)
    at = curves[curves.mob == mob].sort_values("cohort")
    words = _texts(metric, weight, by, lang, currency)
    fig = go.Figure(go.Bar(
        x=at["cohort"].tolist(), y=at["share"].to_numpy(),
        marker=dict(color=[colours[c] for c in at["cohort"]],
                    line=dict(color=["#000000" if c in highlight else "rgba(0,0,0,0)" for c in at["cohort"]],
                              width=2)),
        text=[percent(v, 1, lang) for v in at["share"]], textposition="outside", cliponaxis=False,
        customdata=at[["loans", "cohort_loans"]].to_numpy(),
        hovertemplate=(f"{t('vintage.cohort', lang)} %{{x}} · MOB {mob}<br>%{{y:.2%}}<br>"
                       f"%{{customdata[0]:,}} / %{{customdata[1]:,}} {t('vintage.loans', lang)}<extra></extra>")))
    fig.update_xaxes(type="category", title_text=t(f"vintage.cohort_axis_{by}", lang), tickangle=-45 if len(at) > 12
                     else 0)
    top = float(at["share"].max()) if len(at) else 0.0
    fig.update_yaxes(title_text=t(f"vintage.share_axis_{weight}", lang, currency=currency), rangemode="tozero",
                     tickformat=".1%" if top < 0.1 else ".0%")
    subtitle = t("vintage.at_mob_note", lang, mob=mob, n=len(at), as_of=date(as_of, lang), **words)
    fig = base_layout(fig, t("vintage.at_mob_title", lang, mob=mob, **words), subtitle, height=440, width=140)
    fig.update_traces(textfont=dict(size=11 if len(at) > 18 else 13))
    return fig
