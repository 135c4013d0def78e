"""Shared look of every figure: a real template (exports would come out black with Streamlit's) and colours."""
from __future__ import annotations

import re
import unicodedata

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


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` columns (a CJK character counts two), broken at spaces, or between CJK characters.

    Plotly does not wrap titles, and a subtitle that runs past a half-width chart is cut off.
    """
    def cols(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)

    tokens = re.findall(r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+|\s+",
                        text)                                   # a Chinese date stays on one line
    lines, line = [], ""
    for tok in tokens:
        if line and cols(line + tok) > width and not tok.isspace():
            lines.append(line.rstrip())
            line = ""
        line += "" if (tok.isspace() and not line) else tok
    return lines + [line.rstrip()] if line.strip() else lines


MONTHS_ON_AXIS = dict(xperiod="M1", xperiodalignment="middle")     # trace settings: a month-end sits mid-month


def month_format(lang: str) -> str:
    """d3 date format of a month: Oct 2026 / 2026年10月."""
    return "%Y年%-m月" if lang == "zh" else "%b %Y"


def month_axis(fig: go.Figure, lang: str, months: int) -> None:
    """A month-end date axis labelled by month (traces use MONTHS_ON_AXIS), a tick every 2 to 12 months by the
    span: left to plotly, Chinese labels (wider) would get one tick a year."""
    step = 2 if months <= 12 else 3 if months <= 24 else 6 if months <= 48 else 12
    ticks = "%Y年\n%-m月" if lang == "zh" else "%b %Y"             # Chinese on two lines, or they run together
    fig.update_xaxes(type="date", tickformat=ticks, ticklabelmode="period", tickangle=0, dtick=f"M{step}",
                     title_text=None)


def base_layout(fig: go.Figure, title: str, subtitle: str, height: int = 470, legend: bool = False,
                width: int = 72) -> go.Figure:
    """Title, a subtitle stating the date(s), the unit and the denominator, the template and margins.

    `width` is how many columns the subtitle may take before it wraps (72 suits a chart of half a wide page).
    """
    lines = wrap(subtitle, width)
    fig.update_layout(
        template=TEMPLATE, font=FONT, height=height + 18 * (len(lines) - 1), showlegend=legend,
        margin=dict(l=10, r=10, t=97 + 18 * len(lines), b=10),
        title=dict(text=title, x=0, xanchor="left", subtitle=dict(text="<br>".join(lines), font=dict(size=13))))
    if legend:                            # below the axis, whatever the height of its tick labels
        fig.update_layout(legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, xanchor="left", x=0))
    return fig
