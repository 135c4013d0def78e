"""Shared look of every figure: a real template (exports would come out black with Streamlit's) and colours."""
from __future__ import annotations

import plotly.graph_objects as go

from ui import i18n

TEMPLATE = "plotly_white"
FONT = dict(family="'Source Sans Pro', 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif", size=14)
# current (green) to 180+ (dark red): worse buckets read as warmer
BUCKET_COLOURS = ("#2e7d32", "#9ccc65", "#fdd835", "#ffb300", "#fb8c00", "#f4511e", "#d32f2f", "#8e0000")
NEUTRAL = "#1f4e79"
MUTED = "#9aa5b1"


def scale(values, lang: str = "en") -> tuple[float, str]:
    """The divisor and its word for money axes (thousand/million/billion; 万/亿 in Chinese), by the largest value."""
    return i18n.unit(values, lang)


def money_unit(currency: str, word: str) -> str:
    """'CNY million', 'CNY 万', or just 'CNY' when the axis is in units."""
    return f"{currency} {word}".strip()


def amount(value: float) -> str:
    """A bar label in the axis unit with about three significant figures: 258, 45.6, 0.12."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def share(value: float) -> str:
    """A share of the book as a label: 96.8%, 0.04% (small shares keep two decimals)."""
    return f"{value:.1%}" if value >= 0.01 else f"{value:.2%}"


def base_layout(fig: go.Figure, title: str, subtitle: str, height: int = 470, legend: bool = False) -> go.Figure:
    """Title, a subtitle stating the date(s), the unit and the denominator, the template and margins."""
    fig.update_layout(
        template=TEMPLATE, font=FONT, height=height, showlegend=legend, margin=dict(l=10, r=10, t=115, b=10),
        title=dict(text=title, x=0, xanchor="left", subtitle=dict(text=subtitle, font=dict(size=13))))
    if legend:
        fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0))
    return fig
