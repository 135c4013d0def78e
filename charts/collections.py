"""Collections figures: rates over time, cure and roll-forward by bucket, collected against due, a breakdown by
agent / team / strategy / channel, champion vs challenger with intervals, recoveries after charge-off."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts.style import BUCKET_COLOURS, MONTHS_ON_AXIS, MUTED, NEUTRAL, base_layout, money_unit, month_axis, \
    month_format, scale
from ui.i18n import date, label, t

RATE_COLOURS = {"contact_rate": NEUTRAL, "rpc_rate": "#6a1b9a", "ptp_rate": "#fb8c00", "kept_rate": "#2e7d32",
                "cure_rate": "#2e7d32", "roll_forward_rate": "#d32f2f", "collected_vs_due": NEUTRAL}
ARM_COLOURS = {"champion": NEUTRAL, "challenger": "#fb8c00"}


def _x(months) -> np.ndarray:
    return pd.to_datetime(pd.Series(list(months))).to_numpy()


def rate_trend(df: pd.DataFrame, rates: list[tuple[str, str]], title: str, subtitle: str, lang: str = "en"
               ) -> go.Figure:
    """Lines of rates (column, denominator column) by month (a `month` column), in percent; the hover gives the
    denominator."""
    when = f"%{{x|{month_format(lang)}}}"
    fig = go.Figure()
    for col, denom in rates:
        part = df.dropna(subset=[col])
        name = t(f"collections.{col}", lang)
        fig.add_trace(go.Scatter(
            x=_x(part["month"]), y=part[col].to_numpy(float), mode="lines+markers", name=name,
            line=dict(color=RATE_COLOURS.get(col, MUTED), width=2.5), customdata=part[denom].to_numpy(),
            **MONTHS_ON_AXIS,
            hovertemplate=f"{when} · {name}<br>%{{y:.1%}} {t('collections.of', lang)} "
                          f"%{{customdata:,}}<extra></extra>"))
    fig.update_yaxes(title_text=t("collections.rate_axis", lang), tickformat=".0%", rangemode="tozero")
    month_axis(fig, lang, max(1, df["month"].nunique()))
    return base_layout(fig, title, subtitle, legend=True)


def bucket_rates(df: pd.DataFrame, month: dt.date, lang: str = "en") -> go.Figure:
    """Grouped bars: cure and roll-forward rate of each delinquent bucket at `month` (outcome_rates by bucket)."""
    order = [b for b in ("1-30", "31-60", "61-90", "91-120", "121-150", "151-180", "180+") if b in set(df["bucket"])]
    d = df.set_index("bucket").reindex(order)
    names = [label("bucket", b, lang) for b in order]
    fig = go.Figure()
    for col in ("cure_rate", "roll_forward_rate"):
        fig.add_trace(go.Bar(x=names, y=d[col].to_numpy(float), name=t(f"collections.{col}", lang),
                             marker_color=RATE_COLOURS[col], customdata=d["accounts"].to_numpy(),
                             text=[f"{v:.0%}" for v in d[col]], textposition="outside",
                             hovertemplate="%{x}<br>%{y:.1%} " + t("collections.of", lang)
                                           + " %{customdata:,}<extra></extra>"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=t("collections.rate_axis", lang), tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(title_text=t("collections.bucket_at", lang, date=date(month, lang)))
    nxt = (month + dt.timedelta(days=1) + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
    return base_layout(fig, t("collections.bucket_title", lang),
                       t("collections.bucket_sub", lang, date=date(month, lang), next=date(nxt, lang),
                         accounts=f"{int(d['accounts'].sum()):,}"), legend=True)


def collected_vs_due(df: pd.DataFrame, currency: str, lang: str = "en") -> go.Figure:
    """Bars of amount due and collected per month (outcome_rates by month) and the collected / due line."""
    div, word = scale(pd.concat([df["due"], df["collected"]]), lang)
    unit = money_unit(currency, word)
    when = f"%{{x|{month_format(lang)}}}"
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for col, colour in (("due", MUTED), ("collected", NEUTRAL)):
        fig.add_trace(go.Bar(x=_x(df["month"]), y=(df[col] / div).to_numpy(float),
                             name=t(f"collections.{col}", lang), marker_color=colour, **MONTHS_ON_AXIS,
                             hovertemplate=f"{when}<br>%{{y:,.2f}} {unit}<extra></extra>"), secondary_y=False)
    fig.add_trace(go.Scatter(x=_x(df["month"]), y=df["collected_vs_due"].to_numpy(float), mode="lines+markers",
                             name=t("collections.collected_vs_due", lang), line=dict(color="#fb8c00", width=2.5),
                             **MONTHS_ON_AXIS, hovertemplate=f"{when}<br>%{{y:.1%}}<extra></extra>"), secondary_y=True)
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=unit, secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text=t("collections.collected_vs_due", lang), tickformat=".0%", secondary_y=True,
                     rangemode="tozero", showgrid=False)
    month_axis(fig, lang, max(1, len(df)))
    first, last = df["month"].min(), df["month"].max()
    return base_layout(fig, t("collections.cvd_title", lang),
                       t("collections.cvd_sub", lang, first=date(first, lang), last=date(last, lang), unit=unit),
                       legend=True)


def breakdown(df: pd.DataFrame, by: str, rate: str, denom: str, title: str, subtitle: str, lang: str = "en",
              names: dict | None = None) -> go.Figure:
    """Horizontal bars of one rate by agent / team / strategy / channel, best at the top; the hover gives the
    denominator."""
    d = df.dropna(subset=[rate]).sort_values(rate)
    ys = [(names or {}).get(v, v) or t("collections.none", lang) for v in d[by]]
    fig = go.Figure(go.Bar(x=d[rate].to_numpy(float), y=ys, orientation="h",
                           marker_color=RATE_COLOURS.get(rate, NEUTRAL), customdata=d[denom].to_numpy(),
                           text=[f"{v:.0%}" for v in d[rate]], textposition="outside",
                           hovertemplate="%{y}<br>%{x:.1%} " + t("collections.of", lang)
                                         + " %{customdata:,}<extra></extra>"))
    fig.update_xaxes(title_text=t(f"collections.{rate}", lang) + " (%)", tickformat=".0%", rangemode="tozero")
    fig.update_yaxes(type="category")
    return base_layout(fig, title, subtitle, height=max(320, 90 + 26 * len(d)))


def arm_intervals(cmp: pd.DataFrame, month: dt.date, currency: str, lang: str = "en") -> go.Figure:
    """Champion and challenger per measure with 95% intervals (compare_arms rows), one panel per measure."""
    metrics = list(cmp["metric"])
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[t(f"collections.m_{m}", lang) for m in metrics],
                        horizontal_spacing=0.08)
    for i, row in enumerate(cmp.itertuples(), start=1):
        for arm in ("champion", "challenger"):
            v, lo, hi = getattr(row, arm), getattr(row, f"{arm}_lo"), getattr(row, f"{arm}_hi")
            if v is None or pd.isna(v):
                continue
            fig.add_trace(go.Scatter(
                x=[t(f"collections.arm_{arm}", lang)], y=[v], mode="markers",
                marker=dict(size=12, color=ARM_COLOURS[arm]),
                error_y=dict(type="data", symmetric=False, array=[max(hi - v, 0)], arrayminus=[max(v - lo, 0)]),
                name=t(f"collections.arm_{arm}", lang), showlegend=i == 1,
                hovertemplate="%{x}: %{y:.4g}<br>95%: " + f"{lo:.4g} – {hi:.4g}<extra></extra>"), row=1, col=i)
        fmt = ".0%" if row.metric.endswith("rate") else ".4f" if row.metric == "cost_per_unit_collected" else ",.0f"
        fig.update_yaxes(tickformat=fmt, row=1, col=i,
                         title_text=(currency if row.metric == "collected_per_account"
                                     else t("collections.per_unit", lang) if row.metric == "cost_per_unit_collected"
                                     else None))
    return base_layout(fig, t("collections.cmp_title", lang),
                       t("collections.cmp_sub", lang, date=date(month, lang)), height=420, legend=True, width=140)


def recoveries(df: pd.DataFrame, currency: str, lang: str = "en") -> go.Figure:
    """Bars of amounts charged off and recovered per month, and the cumulative recovery rate."""
    div, word = scale(pd.concat([df["charged_off"], df["recovered"]]), lang)
    unit = money_unit(currency, word)
    when = f"%{{x|{month_format(lang)}}}"
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for col, colour in (("charged_off", BUCKET_COLOURS[-1]), ("recovered", "#2e7d32")):
        fig.add_trace(go.Bar(x=_x(df["month"]), y=(df[col] / div).to_numpy(float),
                             name=t(f"collections.{col}", lang), marker_color=colour, **MONTHS_ON_AXIS,
                             hovertemplate=f"{when}<br>%{{y:,.2f}} {unit}<extra></extra>"), secondary_y=False)
    fig.add_trace(go.Scatter(x=_x(df["month"]), y=df["recovery_rate"].to_numpy(float), mode="lines",
                             name=t("collections.recovery_rate", lang), line=dict(color=NEUTRAL, width=2.5),
                             **MONTHS_ON_AXIS, hovertemplate=f"{when}<br>%{{y:.1%}}<extra></extra>"), secondary_y=True)
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=unit, secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text=t("collections.recovery_rate", lang), tickformat=".0%", secondary_y=True,
                     rangemode="tozero", showgrid=False)
    month_axis(fig, lang, max(1, len(df)))
    return base_layout(fig, t("collections.rec_title", lang),
                       t("collections.rec_sub", lang, first=date(df["month"].min(), lang),
                         last=date(df["month"].max(), lang), unit=unit), legend=True)
