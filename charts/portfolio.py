"""Portfolio figures: DataFrames from analytics/ in, plotly Figures out (no queries here)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import config
from charts.style import BUCKET_COLOURS, NEUTRAL, amount, base_layout, money_unit, scale, share
from ui.i18n import date, label, t


def bucket_balance_bar(df: pd.DataFrame, as_of: dt.date, currency: str, lang: str = "en",
                       note: str | None = None) -> go.Figure:
    """Outstanding balance by delinquency bucket, current to 180+, each bar labelled with amount and share.

    Current is usually well over 90% of a book, which would flatten every delinquent bar to nothing, so the
    delinquent buckets get a panel, a y-axis and a unit (thousand, million, billion) of their own.
    `note` says whose loans these are (default: the book's open loans).
    """
    df = df.set_index("bucket").reindex(list(config.BUCKETS), fill_value=0)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.16, 0.84], horizontal_spacing=0.15,
                        subplot_titles=(t("charts.current_panel", lang), t("charts.delinquent_panel", lang)))
    loans_word = t("charts.loans", lang)
    for col, rows, axis in ((1, slice(0, 1), "charts.outstanding_axis"), (2, slice(1, None), "charts.delinquent_axis")):
        part = df.iloc[rows]
        balance = part["balance"].astype(float)
        div, word = scale(balance, lang)
        unit = money_unit(currency, word)
        labels = [f"{amount(v / div)}<br>{share(s)}" if v else "0" for v, s in zip(balance, part["balance_share"])]
        fig.add_trace(go.Bar(
            x=[label("bucket", b, lang) for b in part.index], y=balance / div, text=labels, textposition="outside",
            cliponaxis=False, marker_color=list(BUCKET_COLOURS[rows]), customdata=part["loans"],
            hovertemplate=f"%{{x}}<br>%{{y:,.2f}} {unit}<br>%{{customdata:,}} {loans_word}<extra></extra>"),
            row=1, col=col)
        fig.update_yaxes(title_text=t(axis, lang, unit=unit), range=[0, float(balance.max() / div) * 1.25 or 1],
                         separatethousands=True, row=1, col=col)
    fig.update_xaxes(type="category", tickangle=0, tickfont_size=12)
    fig.update_xaxes(title_text=t("charts.dpd_axis", lang), row=1, col=2)
    fig.update_annotations(font_size=13)
    subtitle = t("charts.month_end", lang, date=date(as_of, lang)) + " · " + (note or t("charts.bucket_note", lang))
    return base_layout(fig, t("charts.bucket_title", lang), subtitle, width=100)


def product_balance_bar(df: pd.DataFrame, as_of: dt.date, currency: str, lang: str = "en") -> go.Figure:
    """Outstanding balance per product as horizontal bars, largest on top, labelled with the amount."""
    df = df.sort_values("balance")
    balance = df["balance"].astype(float)
    div, word = scale(balance, lang)
    unit = money_unit(currency, word)
    fig = go.Figure(go.Bar(
        x=balance / div, y=[label("product", p, lang) for p in df["product"]], orientation="h",
        marker_color=NEUTRAL, text=[amount(v / div) for v in balance], textposition="outside", cliponaxis=False,
        customdata=df["loans"],
        hovertemplate=f"%{{y}}<br>%{{x:,.2f}} {unit}<br>%{{customdata:,}} {t('charts.loans', lang)}<extra></extra>"))
    fig.update_xaxes(title_text=t("charts.outstanding_axis", lang, unit=unit), rangemode="tozero",
                     range=[0, float(balance.max() / div) * 1.15 if len(balance) else 1], separatethousands=True)
    fig.update_yaxes(title_text=None, ticksuffix="  ")
    subtitle = t("charts.month_end", lang, date=date(as_of, lang)) + " · " + t("charts.product_note", lang)
    return base_layout(fig, t("charts.product_title", lang), subtitle)
