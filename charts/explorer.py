"""Portfolio explorer figures: balance and 30+ rate by segment (bars a person clicks to drill down), a borrower's
bureau score over time, and the largest exposures. One loan's history reuses charts.borrower.loan_history."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from charts.style import BUCKET_COLOURS, MUTED, NEUTRAL, amount, base_layout, money_unit, scale, share
from ui.i18n import date, label, t

MAX_BARS = 40          # segments drawn (largest balance first); the table below the chart lists them all


def segment_name(dimension: str, value: str, grade_source: str = "origination", lang: str = "en") -> str:
    """A segment in words: products and regions translated, buckets named, '' as not recorded / not scored."""
    if value == "":
        return t("explorer.not_scored" if dimension == "grade" and grade_source == "model" else
                 "explorer.not_recorded", lang)
    if dimension in ("product", "region"):
        return label(dimension, value, lang)
    if dimension == "grade" and grade_source == "bucket":
        return label("bucket", value, lang)
    return value


def segment_bars(df: pd.DataFrame, dimension: str, as_of: dt.date, currency: str, lang: str = "en",
                 grade_source: str = "origination") -> go.Figure:
    """Open balance per segment as bars (customdata = the segment's code, which a click selects) and the share of
    its balance more than 30 DPD as dots on a right-hand axis."""
    shown = df if dimension in ("cohort", "grade") else df.head(MAX_BARS)
    balance = shown["balance"].astype(float)
    div, word = scale(balance, lang)
    unit = money_unit(currency, word)
    names = [segment_name(dimension, v, grade_source, lang) for v in shown["segment"]]
    codes = list(shown["segment"])
    loans_word = t("charts.loans", lang)
    fig = go.Figure()
    fig.add_bar(x=names, y=balance / div, customdata=codes, name=t("explorer.balance_legend", lang, unit=unit),
                marker_color=NEUTRAL, text=[amount(v / div) for v in balance] if len(shown) <= 15 else None,
                textposition="outside",
                cliponaxis=False, hovertext=[f"{n:,} {loans_word}" for n in shown["loans"]],
                hovertemplate=f"%{{x}}<br>%{{y:,.2f}} {unit}<br>%{{hovertext}}<extra></extra>")
    fig.add_scatter(x=names, y=shown["dpd30_rate"], customdata=codes, yaxis="y2", mode="markers",
                    name=t("explorer.rate_legend", lang), marker=dict(color=BUCKET_COLOURS[6], size=9,
                                                                       line=dict(color="white", width=1)),
                    hovertemplate="%{x}<br>%{y:.2%}<extra></extra>")
    top = float(shown["dpd30_rate"].max()) if len(shown) else 0.0
    fig.update_layout(
        xaxis=dict(type="category", title_text=t(f"explorer.dim_{dimension}", lang), tickangle=0 if len(shown) <= 12
                   else -45, automargin=True),
        yaxis=dict(title_text=t("charts.outstanding_axis", lang, unit=unit), rangemode="tozero",
                   range=[0, float(balance.max() / div) * 1.18 if len(balance) else 1], separatethousands=True),
        yaxis2=dict(title_text=t("explorer.rate_axis", lang), overlaying="y", side="right", tickformat=".1%" if top < 0.2 else ".0%",
                    range=[0, max(top * 1.18, 0.05)], showgrid=False),
        clickmode="event+select", dragmode=False)
    note = t("explorer.capped", lang, shown=len(shown), total=len(df)) if len(shown) < len(df) else ""
    subtitle = " · ".join(filter(None, (t("charts.month_end", lang, date=date(as_of, lang)),
                                        t("explorer.bars_note", lang, unit=unit), note)))
    title = t("explorer.chart_title", lang, dimension=t(f"explorer.dim_{dimension}", lang).lower()
              if lang == "en" else t(f"explorer.dim_{dimension}", lang))
    return base_layout(fig, title, subtitle, height=460 if len(shown) <= 12 else 560, legend=True, width=120)


def bureau_series(bureau: pd.DataFrame, loan_id: str, borrower_id: str, as_of: dt.date, lang: str = "en") -> go.Figure:
    """The borrower's bureau score at each pull up to the month-end."""
    fig = go.Figure(go.Scatter(x=bureau["as_of"], y=bureau["score"], mode="lines+markers",
                               line=dict(color=NEUTRAL, width=2), name=t("explorer.bureau_score", lang),
                               hovertemplate="%{x|%Y-%m-%d}<br>%{y}<extra></extra>"))
    fig.update_yaxes(title_text=t("explorer.bureau_axis", lang))
    fig.update_xaxes(title_text=t("explorer.as_of_axis", lang))
    subtitle = t("explorer.bureau_note", lang, borrower=borrower_id, loan=loan_id, date=date(as_of, lang))
    return base_layout(fig, t("explorer.bureau_title", lang), subtitle, height=340, width=80)


def exposures_bar(top: pd.DataFrame, as_of: dt.date, currency: str, lang: str = "en") -> go.Figure:
    """The largest borrower exposures as horizontal bars (largest on top), labelled with their share of the book."""
    df = top.iloc[::-1]
    balance = df["balance"].astype(float)
    div, word = scale(balance, lang)
    unit = money_unit(currency, word)
    colours = [NEUTRAL if r <= 10 else MUTED for r in df["rank"]]
    fig = go.Figure(go.Bar(
        x=balance / div, y=[f"{b}  " for b in df["borrower_id"]], orientation="h", marker_color=colours,
        text=[f"{amount(v / div)} · {share(s)}" for v, s in zip(balance, df["share"])], textposition="outside",
        cliponaxis=False, hovertemplate=f"%{{y}}<br>%{{x:,.2f}} {unit}<extra></extra>"))
    fig.update_xaxes(title_text=t("charts.outstanding_axis", lang, unit=unit), rangemode="tozero",
                     range=[0, float(balance.max() / div) * 1.25 if len(balance) else 1], separatethousands=True)
    fig.update_yaxes(type="category", title_text=None)
    subtitle = t("charts.month_end", lang, date=date(as_of, lang)) + " · " + t("explorer.exposures_note", lang,
                                                                              n=len(top))
    return base_layout(fig, t("explorer.exposures_title", lang, n=len(top)), subtitle,
                       height=max(360, 22 * len(top) + 140), width=80)
