"""Portfolio figures: DataFrames from analytics/ in, plotly Figures out (no queries here)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import config
from charts.style import BUCKET_COLOURS, NEUTRAL, amount, base_layout, scale, share


def bucket_balance_bar(df: pd.DataFrame, as_of: dt.date, currency: str) -> go.Figure:
    """Outstanding balance by delinquency bucket, current to 180+, each bar labelled with amount and share.

    Current is usually well over 90% of a book, which would flatten every delinquent bar to nothing, so the
    delinquent buckets get a panel, a y-axis and a unit (thousand, million, billion) of their own.
    """
    df = df.set_index("bucket").reindex(list(config.BUCKETS), fill_value=0)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.16, 0.84], horizontal_spacing=0.15,
                        subplot_titles=("Current", "Delinquent (1 day past due or more)"))
    for col, rows, what in ((1, slice(0, 1), "Outstanding balance"), (2, slice(1, None), "Delinquent balance")):
        part = df.iloc[rows]
        balance = part["balance"].astype(float)
        div, word = scale(balance)
        labels = [f"{amount(v / div)}<br>{share(s)}" if v else "0" for v, s in zip(balance, part["balance_share"])]
        fig.add_trace(go.Bar(
            x=list(part.index), y=balance / div, text=labels, textposition="outside", cliponaxis=False,
            marker_color=list(BUCKET_COLOURS[rows]), customdata=part["loans"],
            hovertemplate=f"%{{x}}<br>%{{y:,.2f}} {currency} {word}<br>%{{customdata:,}} loans<extra></extra>"),
            row=1, col=col)
        fig.update_yaxes(title_text=f"{what} ({currency} {word})", range=[0, float(balance.max() / div) * 1.25 or 1],
                         separatethousands=True, row=1, col=col)
    fig.update_xaxes(type="category", tickangle=0, tickfont_size=12)
    fig.update_xaxes(title_text="Days past due (bucket)", row=1, col=2)
    fig.update_annotations(font_size=13)
    return base_layout(fig, "Balance by delinquency bucket", as_of,
                       "open loans; each bar shows the amount and its share of the book")


def product_balance_bar(df: pd.DataFrame, as_of: dt.date, currency: str) -> go.Figure:
    """Outstanding balance per product as horizontal bars, largest on top, labelled with the amount."""
    df = df.sort_values("balance")
    balance = df["balance"].astype(float)
    div, word = scale(balance)
    fig = go.Figure(go.Bar(
        x=balance / div, y=df["product"], orientation="h", marker_color=NEUTRAL,
        text=[amount(v / div) for v in balance], textposition="outside", cliponaxis=False,
        customdata=df["loans"],
        hovertemplate=f"%{{y}}<br>%{{x:,.2f}} {currency} {word}<br>%{{customdata:,}} loans<extra></extra>"))
    fig.update_xaxes(title_text=f"Outstanding balance ({currency} {word})", rangemode="tozero",
                     range=[0, float(balance.max() / div) * 1.15 if len(balance) else 1], separatethousands=True)
    fig.update_yaxes(title_text=None, ticksuffix="  ")
    return base_layout(fig, "Balance by product", as_of, "open loans")
