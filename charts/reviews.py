"""Review figures: reviews falling due by month with their completion and timeliness (reviews.monthly_trend in)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from charts.style import MUTED, NEUTRAL, base_layout, month_axis
from ui.i18n import date, t

DONE_COLOUR = "#2e7d32"


def completion_trend(trend: pd.DataFrame, today: dt.date, lang: str = "en") -> go.Figure:
    """Bars: reviews falling due each month (count, left axis); lines: share of them done, and share of the done
    ones done by their due date (percent, right axis)."""
    fig = go.Figure()
    months = trend["month"]
    fig.add_bar(x=months, y=trend["reviews"], name=t("reviews.chart_due", lang), marker_color=MUTED, opacity=0.6,
                xperiod="M1", xperiodalignment="middle", hovertemplate="%{y:,d}<extra></extra>")
    fig.add_scatter(x=months, y=trend["completion"], yaxis="y2", mode="lines+markers",
                    name=t("reviews.chart_completion", lang), line=dict(color=NEUTRAL, width=3),
                    xperiod="M1", xperiodalignment="middle", hovertemplate="%{y:.1%}<extra></extra>")
    fig.add_scatter(x=months, y=trend["timeliness"], yaxis="y2", mode="lines+markers",
                    name=t("reviews.chart_timeliness", lang), line=dict(color=DONE_COLOUR, width=3, dash="dot"),
                    xperiod="M1", xperiodalignment="middle", hovertemplate="%{y:.1%}<extra></extra>")
    base_layout(fig, t("reviews.chart_title", lang),
                t("reviews.chart_subtitle", lang, date=date(today, lang)), height=420, legend=True, width=110)
    fig.update_layout(yaxis=dict(title_text=t("reviews.chart_y", lang), rangemode="tozero"),
                      yaxis2=dict(title_text=t("reviews.chart_y2", lang), overlaying="y", side="right",
                                  range=[0, 1.05], tickformat=".0%", showgrid=False),
                      margin=dict(b=70))
    month_axis(fig, lang, len(trend))
    return fig
