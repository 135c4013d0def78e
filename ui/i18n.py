"""One catalog for all UI text (English / 简体中文) and locale-aware number and date formats.

Text lives in ui/locales/<area>.toml, each file with an [en] and a [zh] table; `t("<area>.<key>", **values)` looks a
key up in the current language and falls back to English, then to the key itself (a test fails on missing keys).
"""
from __future__ import annotations

import datetime as dt
import tomllib
from functools import lru_cache
from pathlib import Path

from babel import dates as babel_dates
from babel import numbers as babel_numbers

LOCALES = Path(__file__).with_name("locales")
LANGUAGES = {"en": "English", "zh": "简体中文"}
BABEL_LOCALE = {"en": "en_US", "zh": "zh_CN"}
DEFAULT = "en"


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """Every key of every area file in one language, as 'area.key' -> text."""
    out: dict[str, str] = {}
    for path in sorted(LOCALES.glob("*.toml")):
        table = tomllib.loads(path.read_text()).get(lang, {})
        out.update({f"{path.stem}.{k}": v for k, v in _flatten(table)})
    return out


def _flatten(table: dict, prefix: str = ""):
    for k, v in table.items():
        if isinstance(v, dict):
            yield from _flatten(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v


def current() -> str:
    """The language of this session (Streamlit session state 'lang'), English outside Streamlit."""
    try:
        import streamlit as st
        return st.session_state.get("lang", DEFAULT)
    except Exception:
        return DEFAULT


def t(key: str, lang: str | None = None, **values) -> str:
    lang = lang or current()
    text = catalog(lang).get(key) or catalog(DEFAULT).get(key) or key
    return text.format(**values) if values else text


def label(kind: str, value: str, lang: str | None = None) -> str:
    """A data value in words (values.toml: bucket, state, product, region, role, channel, outcome), else as is.

    Values come from the data (an imported book may have products of its own), so an unknown one is shown unchanged.
    """
    if value is None:
        return ""
    return catalog(lang or current()).get(f"values.{kind}.{value}") or str(value)


def unit(values, lang: str | None = None) -> tuple[float, str]:
    """Divisor and word for a money axis by its largest value: thousand/million/billion, or 万/亿 in Chinese."""
    top = max((abs(float(v)) for v in values), default=0.0)
    steps = ((1e8, "亿"), (1e4, "万"), (1.0, "")) if (lang or current()) == "zh" else \
        ((1e9, "billion"), (1e6, "million"), (1e3, "thousand"), (1.0, ""))
    for size, word in steps:
        if top >= size:
            return size, word
    return steps[-1]


def number(value: float | int, digits: int = 0, lang: str | None = None) -> str:
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return babel_numbers.format_decimal(value, format=fmt, locale=BABEL_LOCALE[lang or current()])


def percent(value: float, digits: int = 2, lang: str | None = None) -> str:
    fmt = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return babel_numbers.format_percent(value, format=fmt, locale=BABEL_LOCALE[lang or current()])


def money(value: float, currency: str, lang: str | None = None) -> str:
    """Compact amount with its currency: 'CNY 266.22M' in English; in Chinese three significant figures, since
    万 runs up to 9,999 of them: 'CNY 2.66亿', 'CNY 28.9万', 'CNY 3112万' (a KPI card has room for little more)."""
    lang = lang or current()
    if abs(value) < (1e4 if lang == "zh" else 1e3):          # too small to compact: plain, at most 2 decimals
        return f"{currency} {babel_numbers.format_decimal(round(value, 2), format='#,##0.##', locale=BABEL_LOCALE[lang])}"
    digits = 2
    if lang == "zh":
        size = 1e8 if abs(value) >= 1e8 else 1e4 if abs(value) >= 1e4 else 1.0
        mantissa = abs(value) / size
        digits = 2 if mantissa < 10 else 1 if mantissa < 100 else 0
    compact = babel_numbers.format_compact_decimal(value, locale=BABEL_LOCALE[lang], fraction_digits=digits)
    return f"{currency} {compact}"


def date(value: dt.date, lang: str | None = None) -> str:
    """2026-10-31 in English, 2026年10月31日 in Chinese."""
    if (lang or current()) == "zh":
        return babel_dates.format_date(value, format="long", locale="zh_CN")
    return value.isoformat()


def month(value: dt.date, lang: str | None = None) -> str:
    """Oct 2026 / 2026年10月."""
    if (lang or current()) == "zh":
        return f"{value.year}年{value.month}月"
    return value.strftime("%b %Y")


def localise(df, kinds: dict[str, str], lang: str | None = None):
    """A copy of a frame for display, with the data values of the given columns in words (column -> label kind)."""
    out = df.copy()
    for column, kind in kinds.items():
        out[column] = [label(kind, v, lang) for v in out[column]]
    return out


def signed(value: float, kind: str = "number", digits: int = 0, lang: str | None = None, currency: str = "") -> str:
    """A change with its sign, for metric deltas: '+37', '-0.12 pp' (percentage points for rates), '+CNY 6.64M'."""
    if kind == "points":
        body = number(abs(value) * 100, 2, lang) + " " + t("common.pp", lang)
    elif kind == "money":
        body = money(abs(value), currency, lang)
    else:
        body = number(abs(value), digits, lang)
    return ("+" if value > 0 else "-" if value < 0 else "±") + body
