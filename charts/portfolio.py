"""Portfolio figures: DataFrames from analytics/ in, plotly Figures out (no queries here)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import config
from charts.style import BUCKET_COLOURS, MUTED, NEUTRAL, amount, base_layout, money_unit, month_format, scale, share
from ui.i18n import date, label, money, number, percent, signed, t


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


# ---- the executive overview: KPI cards, their trends and the segments that moved most ---------------------------

KPI_GROUPS = (("group_book", ("open_loans", "outstanding_balance", "new_disbursements", "collections")),
              ("group_delinquency", ("dpd30_rate_balance", "dpd90_rate_balance", "dpd30_rate_count",
                                     "dpd90_rate_count")),
              ("group_losses", ("npl_ratio", "ecl", "coverage_ratio", "charge_offs", "recoveries")))
MONEY_KPIS = frozenset({"outstanding_balance", "ecl", "new_disbursements", "collections", "charge_offs",
                        "recoveries", "balance"})
COUNT_KPIS = frozenset({"open_loans", "new_loans", "loans"})
BETTER, WORSE = "#2e7d32", "#c62828"


def kpi_kind(kpi: str) -> str:
    """How a KPI and its change are written: 'number' (loans), 'money', or 'points' (a rate: changes in pp)."""
    return "number" if kpi in COUNT_KPIS else "money" if kpi in MONEY_KPIS else "points"


def kpi_value(kpi: str, value: float | None, currency: str, lang: str = "en", short: bool = False) -> str:
    """A KPI as a card shows it: 12,345 (loans), CNY 2.66亿, 1.23%; a long dash when it has no value. `short`
    leaves the currency out of money (the card's heading carries it)."""
    if value is None or pd.isna(value):
        return "—"
    kind = kpi_kind(kpi)
    if kind == "money":
        return _compact(value, lang) if short else f"{currency} {_compact(value, lang)}"
    return number(value, lang=lang) if kind == "number" else percent(value, lang=lang)


def _compact(value: float, lang: str) -> str:
    """Money without its currency: 379.85M, 3.8亿; whole units below a thousand (万 in Chinese), where the compact
    format would print the float as it is."""
    if abs(value) < (1e4 if lang == "zh" else 1e3):
        return number(value, lang=lang)
    return money(value, "", lang).strip()


def displayed(kpi: str, change: float | None) -> float | None:
    """A change rounded as it is written (a rate to 0.01 pp, a count to 1), so that -0.00001 pp reads and is
    coloured as no change."""
    if change is None or pd.isna(change):
        return None
    kind = kpi_kind(kpi)
    return round(change, 4) + 0.0 if kind == "points" else round(change) + 0.0 if kind == "number" else change


def kpi_change(kpi: str, change: float | None, currency: str, lang: str = "en", short: bool = False) -> str | None:
    """A KPI's change with its sign (+37, -0.12 pp, +CNY 6.64M, or +6.64M when `short`); None when there is
    nothing to compare with."""
    change = displayed(kpi, change)
    if change is None:
        return None
    if kpi_kind(kpi) == "money":
        sign = "+" if change > 0 else "-" if change < 0 else "±"
        return sign + (_compact(abs(change), lang) if short else f"{currency} {_compact(abs(change), lang)}")
    return signed(change, kpi_kind(kpi), lang=lang, currency=currency)


def _unit(values: pd.Series, lang: str) -> tuple[float, str]:
    """scale(), but plain units below a thousand (scale's smallest English step is a thousand)."""
    div, word = scale(values, lang)
    return (div, word) if float(values.abs().max() if len(values) else 0) >= div else (1.0, "")


def _series(trend: pd.DataFrame, kpi: str) -> pd.Series:
    return pd.Series(pd.to_numeric(trend[kpi], errors="coerce").to_numpy(dtype=float),
                     index=pd.to_datetime(trend["as_of"]))


def kpi_trend_grid(trend: pd.DataFrame, currency: str, lang: str = "en", height: int = 470) -> go.Figure:
    """One small line chart per KPI (kpis.kpi_trend), a row per KPI group, each panel titled with its unit."""
    cols = max(len(kpis) for _, kpis in KPI_GROUPS)
    order = [k for _, kpis in KPI_GROUPS for k in kpis]
    titles, units = [], {}
    for _, kpis in KPI_GROUPS:
        for k in kpis:
            kind = kpi_kind(k)
            if kind == "points":
                unit = "%"
            else:
                units[k] = _unit(_series(trend, k).abs().fillna(0), lang)
                unit = money_unit(currency, units[k][1]) if kind == "money" else \
                    f"{units[k][1]} {t('charts.loans', lang)}".strip()
            titles.append(f"{t(f'overview.{k}', lang)} ({unit})")
        titles += [""] * (cols - len(kpis))
    fig = make_subplots(rows=len(KPI_GROUPS), cols=cols, subplot_titles=titles, horizontal_spacing=0.055,
                        vertical_spacing=0.16)
    when = f"%{{x|{month_format(lang)}}}"
    for k in order:
        r, c = _cell(k)
        s = _series(trend, k)
        div = units[k][0] if k in units else 1.0
        y = s / div
        fig.add_trace(go.Scatter(x=s.index, y=y, mode="lines", line=dict(color=NEUTRAL, width=2),
                                 hovertemplate=f"{when}<br>%{{y:,.{2 if kpi_kind(k) != 'number' else 0}f}}"
                                               "<extra></extra>"), row=r, col=c)
        last = y.dropna()
        if len(last):
            fig.add_trace(go.Scatter(x=[last.index[-1]], y=[last.iloc[-1]], mode="markers",
                                     marker=dict(color=NEUTRAL, size=6), hoverinfo="skip"), row=r, col=c)
        fig.update_yaxes(tickformat=".1%" if kpi_kind(k) == "points" else None,
                         rangemode="tozero" if kpi_kind(k) != "points" else "normal", nticks=4, row=r, col=c)
    fig.update_xaxes(type="date", tickformat="%Y-%m", nticks=3, tickangle=0, tickfont_size=11)
    fig.update_yaxes(tickfont_size=11, separatethousands=True)
    fig.update_annotations(font_size=12)
    first, last = trend["as_of"].min(), trend["as_of"].max()
    money_words = sorted({units[k][1] for k in units if units[k][1] and kpi_kind(k) == "money"})
    subtitle = t("overview.trend_note", lang, first=date(first, lang), last=date(last, lang), currency=currency,
                 unit="/".join(money_words)).replace("  ", " ")
    return base_layout(fig, t("overview.trend_title", lang, n=len(trend)), subtitle, height=height, width=140)


def _cell(kpi: str) -> tuple[int, int]:
    for r, (_, kpis) in enumerate(KPI_GROUPS, start=1):
        if kpi in kpis:
            return r, kpis.index(kpi) + 1
    raise KeyError(kpi)


def segment_movers_bar(df: pd.DataFrame, measure: str, as_of: dt.date, then: dt.date, currency: str,
                       top: int, min_share: float, lang: str = "en", wrap: int = 100) -> go.Figure:
    """The change of `measure` per segment (kpis.segment_movers) as horizontal bars, products, regions and branches
    from the top, red for a change for the worse and green for the better, labelled with the change."""
    from analytics.kpis import better
    df = df.iloc[::-1]                                                   # plotly draws the first row at the bottom
    kind = kpi_kind(measure)
    change = df["change"].astype(float)
    if kind == "money":
        div, word = _unit(change.abs().fillna(0), lang)
        axis = t("overview.movers_axis_money", lang, unit=money_unit(currency, word))
    else:
        div = 0.01 if kind == "points" else 1.0
        axis = t("overview.movers_axis_rate" if kind == "points" else "overview.movers_axis_count", lang)
    names = [f"{t('overview.dimension_' + d, lang)}: {'—' if pd.isna(s) else label(d, s, lang)}"
             for d, s in zip(df["dimension"], df["segment"])]
    colours = [BETTER if better(measure, v) > 0 else WORSE if better(measure, v) < 0 else MUTED for v in change]
    custom = [[kpi_value(measure, p, currency, lang), kpi_value(measure, v, currency, lang), share(s)]
              for p, v, s in zip(df["previous"], df["value"], df["share"].fillna(0))]
    hover = t("overview.movers_hover", lang, then=date(then, lang), now=date(as_of, lang))
    fig = go.Figure(go.Bar(
        x=(change / div).fillna(0), y=names, orientation="h", marker_color=colours,
        text=[kpi_change(measure, v, currency, lang) or "—" for v in change], textposition="auto",
        constraintext="none", insidetextfont=dict(color="white"), textfont_size=12,
        cliponaxis=False, customdata=custom, hovertemplate=f"%{{y}}<br>{hover}<extra></extra>"))
    reach = float((change / div).abs().max()) if change.notna().any() else 1.0
    fig.update_xaxes(title_text=axis, range=[-reach * 1.8 or -1, reach * 1.8 or 1], zeroline=True,
                     zerolinecolor="#555", separatethousands=True)
    fig.update_yaxes(title_text=None, ticksuffix="  ", type="category", tickfont_size=12)
    subtitle = t("overview.movers_note", lang, then=date(then, lang), now=date(as_of, lang), top=top,
                 share=share(min_share))
    title = t("overview.movers_title", lang, measure=t(f"overview.{measure}", lang))
    return base_layout(fig, title, subtitle, height=140 + 26 * len(df), width=wrap)
