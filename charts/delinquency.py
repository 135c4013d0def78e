"""Delinquency figures: bucket mix and 30+/60+/90+ rates over time, the transition matrix, roll/cure/flow rates per
bucket over time and the flow waterfall (DataFrames in, Figures out)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import config
from analytics.delinquency import roll_rate_matrix
from charts.style import (BUCKET_COLOURS, MONTHS_ON_AXIS, NEUTRAL, base_layout, money_unit, month_axis, month_format,
                          scale, share)
from ui.i18n import date, label, money, percent, t

RATE_COLOURS = {"30": "#fb8c00", "60": "#e53935", "90": "#8e0000"}
LADDER_NEXT = dict(zip(config.BUCKETS, config.BUCKETS[1:] + ("charged_off",)))     # a bucket's next worse state
LINE_COLOURS = {"roll": "#d32f2f", "cure": "#2e7d32", "flow": NEUTRAL}
# Row shares sit near 0 off the diagonal and near 1 on it: a scale that changes fast at the low end keeps a 3%
# roll visibly coloured while the 95% diagonal stays the darkest.
HEAT_SCALE = [[0.0, "#f7fbff"], [0.02, "#deebf7"], [0.1, "#9ecae1"], [0.3, "#4292c6"], [0.6, "#2171b5"],
              [1.0, "#08306b"]]


def bucket_share_trend(df: pd.DataFrame, as_of: dt.date, lang: str = "en") -> go.Figure:
    """Stacked bars: each delinquent bucket's share of open-loan balance at every month-end (from bucket_trend).

    Current is left out (it is the rest, usually over 90%, and would flatten the buckets that matter); the
    subtitle says how much it is at the as-of month-end.
    """
    months = sorted(df["as_of"].unique())
    x = pd.to_datetime(pd.Series(months)).to_numpy()
    when = f"%{{x|{month_format(lang)}}}"
    fig = go.Figure()
    for bucket, colour in zip(config.BUCKETS[1:], BUCKET_COLOURS[1:]):
        part = df[df.bucket == bucket].set_index("as_of").reindex(months)
        fig.add_trace(go.Bar(
            x=x, y=part["balance_share"].fillna(0.0).to_numpy(), name=label("bucket", bucket, lang),
            marker_color=colour, customdata=part["loans"].fillna(0).to_numpy(), **MONTHS_ON_AXIS,
            hovertemplate=f"{when} · {label('bucket', bucket, lang)}<br>%{{y:.2%}}<br>"
                          f"%{{customdata:,}} {t('charts.loans', lang)}<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text=t("charts.share_of_balance_axis", lang), tickformat=".1%", rangemode="tozero")
    month_axis(fig, lang, len(months))
    current = df[(df.bucket == "current") & (df.as_of == as_of)]["balance_share"]
    subtitle = t("charts.bucket_trend_note", lang, first=date(months[0], lang), last=date(as_of, lang),
                 current=share(float(current.iloc[0]) if len(current) else 0.0))
    return base_layout(fig, t("charts.bucket_trend_title", lang), subtitle, legend=True)


def delinquency_rate_trend(df: pd.DataFrame, as_of: dt.date, lang: str = "en") -> go.Figure:
    """30+, 60+ and 90+ rates at every month-end (from delinquency_trend; the levels the frame carries): by
    balance (solid) and by count (dotted)."""
    x = pd.to_datetime(df["as_of"]).to_numpy()
    when = f"%{{x|{month_format(lang)}}}"
    levels = [n for n in ("30", "60", "90") if f"dpd{n}_rate_balance" in df]
    fig = go.Figure()
    for n in levels:
        for basis, dash in (("balance", "solid"), ("count", "dot")):
            name = t(f"charts.rate_{basis}", lang, n=n)
            fig.add_trace(go.Scatter(
                x=x, y=df[f"dpd{n}_rate_{basis}"].to_numpy(), name=name, mode="lines+markers", legendgroup=n,
                line=dict(color=RATE_COLOURS[n], dash=dash, width=2.5 if basis == "balance" else 1.8),
                marker=dict(size=4), **MONTHS_ON_AXIS, hovertemplate=f"{when} · {name}<br>%{{y:.2%}}<extra></extra>"))
    fig.update_yaxes(title_text=t("charts.rate_axis", lang), tickformat=".1%", rangemode="tozero")
    month_axis(fig, lang, len(df))
    key = "delinquency.rate_trend_note" if "60" in levels else "charts.rate_trend_note"
    subtitle = t(key, lang, first=date(df["as_of"].iloc[0], lang), last=date(as_of, lang))
    title = t("delinquency.rate_trend_title" if "60" in levels else "charts.rate_trend_title", lang)
    return base_layout(fig, title, subtitle, legend=True)


def _cell(v: float, lang: str) -> str:
    """A heatmap label: blank for no move, '<0.1%' for a move too small to show in one decimal."""
    return "" if not v else percent(v, 1, lang) if v >= 0.0005 else "<" + percent(0.001, 1, lang)


def row_unit(long: pd.DataFrame, currency: str, lang: str = "en") -> str:
    """The money unit of the heatmap's balance row totals ('CNY million'), for a caption beside it."""
    return money_unit(currency, scale(long.groupby("from_bucket")["balance"].sum() if len(long) else [0], lang)[1])


def transition_heatmap(long: pd.DataFrame, start: dt.date, end: dt.date, lang: str = "en", weight: str = "count",
                       currency: str = "", summed: bool = False) -> go.Figure:
    """The transition matrix as a heatmap of row shares (from roll_rates_long with the same `weight`).

    Moves from month-end `start` to the next, `end`; with `summed`, the moves of every consecutive pair of
    month-ends from `start` to `end`, added up. Each row label carries its denominator (loans, or balance at the
    start month-end, of the loans seen again a month later); the hover gives loans and balance per cell.
    """
    matrix = roll_rate_matrix(long) if len(long) else pd.DataFrame()
    rows, cols = list(matrix.index), list(matrix.columns)
    cells = long.set_index(["from_bucket", "to_bucket"])[["loans", "balance"]] if len(long) else None
    totals = long.groupby("from_bucket")[["loans", "balance"]].sum() if len(long) else None
    div, word = scale(totals["balance"] if totals is not None else [0], lang)
    unit = money_unit(currency, word)                       # as row_unit
    loans_word = t("charts.loans", lang)
    if weight == "balance":
        y = [f"{label('bucket', b, lang)} ({totals.at[b, 'balance'] / div:,.1f})" for b in rows]
    else:
        y = [f"{label('bucket', b, lang)} ({int(totals.at[b, 'loans']):,})" for b in rows]
    x = [label("state", s, lang) for s in cols]
    custom = [[cells.loc[(r, c)].tolist() if (r, c) in cells.index else [0, 0.0] for c in cols] for r in rows] \
        if len(long) else None
    z = matrix.to_numpy()
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=y, text=[[_cell(v, lang) for v in row] for row in z], texttemplate="%{text}",
        textfont=dict(size=13), colorscale=HEAT_SCALE, zmin=0, zmax=1, xgap=2, ygap=2, customdata=custom,
        colorbar=dict(tickformat=".0%", title=dict(text=t("charts.share_of_row", lang))),
        hovertemplate=f"%{{y}} → %{{x}}<br>%{{z:.2%}} {t('delinquency.of_row', lang)}<br>"
                      f"%{{customdata[0]:,.0f}} {loans_word} · {currency} %{{customdata[1]:,.0f}}<extra></extra>"))
    what = t(f"delinquency.axis_{weight}", lang, unit=unit)
    if not summed:
        title = t("charts.transition_title", lang)
        from_axis = t("delinquency.from_axis", lang, date=date(start, lang), what=what)
        subtitle = t(f"delinquency.transition_note_{weight}", lang, start=date(start, lang), end=date(end, lang),
                     currency=currency)
    else:
        title = t("delinquency.transition_range_title", lang)
        from_axis = t("delinquency.from_axis_range", lang, what=what)
        subtitle = t(f"delinquency.transition_range_note_{weight}", lang, start=date(start, lang),
                     end=date(end, lang), currency=currency)
    to_axis = t("delinquency.to_axis_range", lang) if summed else t("charts.to_axis", lang, date=date(end, lang))
    fig.update_yaxes(autorange="reversed", title_text=from_axis, type="category")
    fig.update_xaxes(side="top", title_text=to_axis, type="category", tickangle=0)
    fig = base_layout(fig, title, subtitle, height=520, width=150)
    fig.update_layout(margin=dict(t=fig.layout.margin.t + 70))             # room for the column labels on top
    return fig


def _panel_domains(rows: int, cols: int, hgap: float = 0.045, vgap: float = 0.14) -> list[tuple]:
    """Paper domains (x0, x1), (y0, y1) of a rows x cols grid of panels, row by row from the top."""
    w, h = (1 - hgap * (cols - 1)) / cols, (1 - vgap * (rows - 1)) / rows
    def clip(a: float, b: float) -> tuple[float, float]:
        return round(max(a, 0.0), 6), round(min(b, 1.0), 6)
    return [(clip(c * (w + hgap), c * (w + hgap) + w), clip(1 - r * (h + vgap) - h, 1 - r * (h + vgap)))
            for r in range(rows) for c in range(cols)]


def rates_by_bucket(rc: pd.DataFrame, fl: pd.DataFrame, as_of: dt.date, lang: str = "en", weight: str = "count",
                    currency: str = "") -> go.Figure:
    """One panel per bucket: its roll rate and cure rate (from roll_cure_rates with `weight`) and its flow rate
    (from flow_rates, balance) at every month-end t+1; one time axis, each panel on its own rate scale.

    Built as one spec (traces and axes as dicts) rather than make_subplots + updates: plotly validates each
    incremental update of 16 axes, which took most of a second.
    """
    buckets = list(config.BUCKETS)
    when = f"%{{x|{month_format(lang)}}}"
    den = t(f"delinquency.den_{weight}", lang, currency=currency)
    rc = rc.assign(as_of=pd.to_datetime(rc["as_of"]))
    fl = fl.assign(as_of=pd.to_datetime(fl["as_of"]))
    rcs, fls = dict(tuple(rc.groupby("bucket", sort=False))), dict(tuple(fl.groupby("from_bucket", sort=False)))
    months = sorted(set(rc["as_of"]))
    step = 6 if len(months) <= 24 else 12
    traces, layout, notes = [], {}, []
    for i, (b, (xd, yd)) in enumerate(zip(buckets, _panel_domains(2, 4))):
        part, flow = rcs.get(b, rc.iloc[:0]), fls.get(b, fl.iloc[:0])
        col = part["loans"] if weight == "count" else part["balance"]
        x, base = part["as_of"].to_numpy(), col.to_numpy(dtype=float)        # numpy: plotly converts Series slowly
        series = [("roll", x, part["roll_rate"].to_numpy(dtype=float), base),
                  ("cure", x, part["cure_rate"].to_numpy(dtype=float), base),
                  ("flow", flow["as_of"].to_numpy(), flow["flow_rate"].to_numpy(dtype=float),
                   flow["from_balance"].to_numpy(dtype=float))]
        top, n = 0.0, "" if i == 0 else str(i + 1)
        for kind, xs, ys, dens in series:
            if kind == "cure" and b == "current":
                continue                                   # a current loan cannot cure
            top = max(top, float(np.nanmax(ys, initial=0.0)))
            name = t(f"delinquency.{kind}_rate", lang)
            basis = den if kind != "flow" else t("delinquency.den_balance", lang, currency=currency)
            traces.append(dict(
                type="scatter", x=xs, y=ys, name=name, legendgroup=kind, showlegend=i == 1, mode="lines",
                xaxis=f"x{n}", yaxis=f"y{n}", customdata=dens, **MONTHS_ON_AXIS,
                line=dict(color=LINE_COLOURS[kind], width=2, dash="dash" if kind == "flow" else "solid"),
                hovertemplate=f"{label('bucket', b, lang)} · {when}<br>{name} %{{y:.1%}}<br>{basis} "
                              f"%{{customdata:,.0f}}<extra></extra>"))
        layout[f"xaxis{n}"] = dict(domain=xd, anchor=f"y{n}", type="date", tickformat="%Y年" if lang == "zh" else "%Y",
                                   dtick=f"M{step}", tickangle=0, ticklabelmode="period",
                                   matches=None if i == 0 else "x", showticklabels=i >= 4)
        # each panel on its own scale (a 2% roll from current next to a 90% one from 151-180), capped at 105%:
        # a flow rate of a nearly empty bucket can spike to many times 100% and would flatten the rest
        layout[f"yaxis{n}"] = dict(domain=yd, anchor=f"x{n}", range=[0, min(1.05, max(top * 1.15, 0.01))],
                                   tickformat=".1%" if top < 0.05 else ".0%",
                                   title=dict(text=t("delinquency.rate_axis", lang)) if i % 4 == 0 else None)
        notes.append(dict(text=t("delinquency.panel", lang, bucket=label("bucket", b, lang),
                                 nxt=label("state", LADDER_NEXT[b], lang)),
                          x=(xd[0] + xd[1]) / 2, y=yd[1], xref="paper", yref="paper", xanchor="center",
                          yanchor="bottom", showarrow=False, font=dict(size=13)))
    layout["annotations"] = notes
    fig = go.Figure(data=traces, layout=layout)
    subtitle = t(f"delinquency.rates_note_{weight}", lang, first=date(months[0], lang) if months else "",
                 last=date(as_of, lang), currency=currency)
    return base_layout(fig, t("delinquency.rates_title", lang), subtitle, height=560, legend=True, width=150)


def flow_waterfall(w: pd.DataFrame, current: float, as_of: dt.date, months: int, lang: str = "en",
                   currency: str = "") -> go.Figure:
    """Bars (log scale): the current balance at `as_of`, then how much of it reaches each worse state and finally
    charge-off at the pooled flow rates (from flows.flow_waterfall); each bar says its flow rate."""
    states = ["current"] + w["to_bucket"].tolist()
    amounts = np.array([current] + w["expected_balance"].fillna(0.0).tolist(), dtype=float)
    div, word = scale(amounts, lang)
    unit = money_unit(currency, word)
    flow = [None] + w["flow_rate"].tolist()
    cum = [1.0] + w["cumulative_rate"].tolist()
    y = np.where(amounts > 0, amounts / div, np.nan)
    text = [f"{t('delinquency.waterfall_start', lang)}<br>{money(amounts[0], currency, lang)}"] + [
        t("delinquency.waterfall_step", lang, rate=percent(f, 1, lang) if pd.notna(f) else "–")
        + (f"<br>{money(v, currency, lang)}" if v > 0 else "") for f, v in zip(flow[1:], amounts[1:])]
    colours = list(BUCKET_COLOURS) + ["#4a148c"]
    fig = go.Figure(go.Bar(
        x=[label("state", s, lang) for s in states], y=y, marker_color=colours[:len(states)], text=text,
        textposition="outside", cliponaxis=False,
        customdata=np.column_stack([amounts, [c if pd.notna(c) else 0.0 for c in cum]]),
        hovertemplate=f"%{{x}}<br>{currency} %{{customdata[0]:,.0f}}<br>"
                      f"%{{customdata[1]:.3%}} {t('delinquency.of_current', lang)}<extra></extra>"))
    fig.update_yaxes(type="log", dtick=1, title_text=t("delinquency.waterfall_axis", lang, unit=unit))
    fig.update_xaxes(title_text=t("delinquency.waterfall_x", lang), tickangle=0)
    loss = amounts[-1]
    subtitle = t("delinquency.waterfall_note", lang, months=months, end=date(as_of, lang),
                 current=money(current, currency, lang), loss=money(loss, currency, lang),
                 share=percent(cum[-1] if pd.notna(cum[-1]) else 0.0, 2, lang))
    return base_layout(fig, t("delinquency.waterfall_title", lang), subtitle, height=480, width=150)
