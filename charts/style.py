"""Shared look of every figure: a real template (exports would come out black with Streamlit's) and colours."""
from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go

TEMPLATE = "plotly_white"
FONT = dict(family="'Source Sans Pro', 'WenQuanYi Micro Hei', sans-serif", size=14)
# current (green) to 180+ (dark red): worse buckets read as warmer
BUCKET_COLOURS = ("#2e7d32", "#9ccc65", "#fdd835", "#ffb300", "#fb8c00", "#f4511e", "#d32f2f", "#8e0000")
NEUTRAL = "#1f4e79"


def scale(values) -> tuple[float, str]:
    """The divisor and its word for money axes: billion, million or thousand, by the largest value."""
    top = max((abs(float(v)) for v in values), default=0.0)
    if top >= 1e9:
        return 1e9, "billion"
    if top >= 1e6:
        return 1e6, "million"
    return 1e3, "thousand"


def amount(value: float) -> str:
    """A bar label in the axis unit with about three significant figures: 258, 45.6, 0.12."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def share(value: float) -> str:
    """A share of the book as a label: 96.8%, 0.04% (small shares keep two decimals)."""
    return f"{value:.1%}" if value >= 0.01 else f"{value:.2%}"


def base_layout(fig: go.Figure, title: str, as_of: dt.date, note: str, height: int = 470) -> go.Figure:
    """Title, a subtitle stating the month-end and what is measured, the template and margins."""
    fig.update_layout(
        template=TEMPLATE, font=FONT, height=height, showlegend=False, margin=dict(l=10, r=10, t=115, b=10),
        title=dict(text=title, x=0, xanchor="left",
                   subtitle=dict(text=f"Month-end {as_of:%Y-%m-%d} · {note}", font=dict(size=13))))
    return fig
