"""Delinquency figures: bucket mix over time, 30+/90+ rates, the transition matrix (DataFrames in, Figures out)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

import config
from analytics.delinquency import roll_rate_matrix
from charts.style import BUCKET_COLOURS, MONTHS_ON_AXIS, base_layout, month_axis, month_format, share
from ui.i18n import date, label, percent, t

RATE_COLOURS = {"30": "#fb8c00", "90": "#8e0000"}


def bucket_share_trend(df: pd.DataFrame, as_of: dt.date, lang: str = "en") -> go.Figure:
    """Stacked bars: each delinquent bucket's share of open-loan balance at every month-end (from bucket_trend).

    Current is left out (it is the rest, usually over 90%, and would flatten the buckets that matter); the
    subtitle says how much it is at the as-of month-end.
    """
    months = sorted(df["as_of"].unique())
    x = pd.to_datetime(pd.Series(months))
    when = f"%{{x|{month_format(lang)}}}"
    fig = go.Figure()
    for bucket, colour in zip(config.BUCKETS[1:], BUCKET_COLOURS[1:]):
        part = df[df.bucket == bucket].set_index("as_of").reindex(months)
        fig.add_trace(go.Bar(
            x=x, y=part["balance_share"].fillna(0.0), name=label("bucket", bucket, lang), marker_color=colour,
            customdata=part["loans"].fillna(0), **MONTHS_ON_AXIS,
            hovertemplate=f"{when} · {label('bucket', bucket, lang)}<br>%{{y:.2%}}<br>"
                          f"%{{customdata:,}} {t('charts.loans', lang)}<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text=t("charts.share_of_balance_axis", lang), tickformat=".1%", rangemode="tozero")
    month_axis(fig, lang, len(months))
    current = df[(df.bucket == "current") & (df.as_of == as_of)]["balance_share"]
    subtitle = t("charts.bucket_trend_note", lang, first=date(months[0], lang), last=date(as_of, lang),
                 current=share(float(current.iloc[0]) if len(current) else 0.0))
    return base_layout(fig, t("charts.bucket_trend_title", lang), subtitle, legend=True)


def delinquency_rate_trend(df: pd.DataFrame, as_of: dt.date, lang: str = "en") -> go.Figure:
    """30+ and 90+ rates at every month-end (from delinquency_trend): by balance (solid) and by count (dotted)."""
    x = pd.to_datetime(df["as_of"])
    when = f"%{{x|{month_format(lang)}}}"
    fig = go.Figure()
    for n in ("30", "90"):
        for basis, dash in (("balance", "solid"), ("count", "dot")):
            name = t(f"charts.rate_{basis}", lang, n=n)
            fig.add_trace(go.Scatter(
                x=x, y=df[f"dpd{n}_rate_{basis}"], name=name, mode="lines+markers",
                line=dict(color=RATE_COLOURS[n], dash=dash, width=2.5 if basis == "balance" else 1.8), **MONTHS_ON_AXIS,
                hovertemplate=f"{when} · {name}<br>%{{y:.2%}}<extra></extra>"))
    fig.update_yaxes(title_text=t("charts.rate_axis", lang), tickformat=".1%", rangemode="tozero")
    month_axis(fig, lang, len(df))
    subtitle = t("charts.rate_trend_note", lang, first=date(df["as_of"].iloc[0], lang), last=date(as_of, lang))
    return base_layout(fig, t("charts.rate_trend_title", lang), subtitle, legend=True)


def transition_heatmap(long: pd.DataFrame, start: dt.date, end: dt.date, lang: str = "en") -> go.Figure:
    """The transition matrix start -> end as a heatmap of row shares (from roll_rates_long, count weight).

    Each row label carries its denominator: the loans in that bucket at `start` that are seen again at `end`.
    """
    matrix = roll_rate_matrix(long) if len(long) else pd.DataFrame()
    counts = long.pivot_table(index="from_bucket", values="loans", aggfunc="sum")["loans"] if len(long) else {}
    rows = list(matrix.index)
    loans_word = t("charts.loans", lang)
    y = [f"{label('bucket', b, lang)} ({int(counts[b]):,})" for b in rows]
    x = [label("state", s, lang) for s in matrix.columns]
    z = matrix.to_numpy()
    text = [[percent(v, 1, lang) if v else "" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=y, text=text, texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=1, xgap=2, ygap=2,
        colorbar=dict(tickformat=".0%", title=dict(text=t("charts.share_of_row", lang))),
        hovertemplate=f"%{{y}} → %{{x}}<br>%{{z:.1%}}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title_text=t("charts.from_axis", lang, date=date(start, lang)),
                     type="category")
    fig.update_xaxes(side="top", title_text=t("charts.to_axis", lang, date=date(end, lang)), type="category",
                     tickangle=0)
    subtitle = t("charts.transition_note", lang, start=date(start, lang), end=date(end, lang), loans=loans_word)
    fig = base_layout(fig, t("charts.transition_title", lang), subtitle, height=520, width=150)
    fig.update_layout(margin=dict(t=fig.layout.margin.t + 70))             # room for the column labels on top
    return fig
