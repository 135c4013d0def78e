"""One loan's month-end history as a figure: balance as bars, days past due as a line on its own axis."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts import style


def loan_history(history: pd.DataFrame, title: str, subtitle: str, balance_label: str, dpd_label: str,
                 month_label: str) -> go.Figure:
    """`history` has as_of, balance and dpd (performance_history of data/people.py); labels come translated."""
    fig = go.Figure()
    fig.add_bar(x=history["as_of"], y=history["balance"].astype(float), name=balance_label,
                marker_color=style.NEUTRAL, yaxis="y")
    fig.add_scatter(x=history["as_of"], y=history["dpd"], name=dpd_label, mode="lines+markers",
                    line=dict(color=style.BUCKET_COLOURS[6], width=2), yaxis="y2")
    style.base_layout(fig, title, subtitle, height=380, legend=True)
    fig.update_layout(xaxis=dict(title=month_label, tickformat="%Y-%m"),      # digits read the same in any language
                      yaxis=dict(title=balance_label, rangemode="tozero"),
                      yaxis2=dict(title=dpd_label, overlaying="y", side="right", showgrid=False, tickformat="d",
                                  # whole days, and room up to 30 DPD so a loan never late reads 0, not 0-0.8
                                  range=[0, max(30, float(history["dpd"].max() or 0) * 1.1)]))
    return fig


def lines(df: pd.DataFrame, columns: dict[str, str], title: str, subtitle: str, y_title: str,
          month_label: str, percent: bool = False) -> go.Figure:
    """One line per column of `df` (as_of on x) named by `columns` {column: label}; labels come translated."""
    fig = go.Figure()
    colours = (style.NEUTRAL, style.BUCKET_COLOURS[5], style.BUCKET_COLOURS[0], style.MUTED)
    for (col, name), colour in zip(columns.items(), colours):
        fig.add_scatter(x=df["as_of"], y=df[col].astype(float), name=name, mode="lines+markers",
                        line=dict(color=colour, width=2))
    style.base_layout(fig, title, subtitle, height=340, legend=len(columns) > 1)
    fig.update_layout(xaxis=dict(title=month_label, tickformat="%Y-%m"),
                      yaxis=dict(title=y_title, tickformat=".0%" if percent else ",", rangemode="tozero"))
    return fig


def tier_history(history: pd.DataFrame, tiers: list[str], labels: dict[str, str], title: str, subtitle: str,
                 month_label: str) -> go.Figure:
    """The loan's tier at each month-end as a step line on the five tiers (best at the bottom)."""
    fig = go.Figure()
    fig.add_scatter(x=history["as_of"], y=[labels[x] for x in history["tier"]], mode="lines+markers",
                    line=dict(shape="hv", color=style.BUCKET_COLOURS[6], width=2), showlegend=False)
    style.base_layout(fig, title, subtitle, height=320)
    fig.update_layout(xaxis=dict(title=month_label, tickformat="%Y-%m"),
                      yaxis=dict(type="category", categoryorder="array", categoryarray=[labels[x] for x in tiers],
                                 range=[-0.5, len(tiers) - 0.5]))
    return fig
