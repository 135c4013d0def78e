"""Model-population figures: the behaviour-model population by month and its observed bad rate."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

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
