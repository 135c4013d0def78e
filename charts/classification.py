"""Charts of the classification & provisioning page: five-tier and IFRS 9 stage totals, ECL by product and stage,
tier / stage migration heatmaps and the NPL movement waterfall. DataFrames in, plotly figures out."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from analytics.tiers import TIERS
from charts.style import NEUTRAL, base_layout, money_unit, scale
from ui.i18n import date, t

TIER_COLOURS = ("#2e7d32", "#fdd835", "#fb8c00", "#d32f2f", "#8e0000")
STAGE_COLOURS = {1: "#2e7d32", 2: "#fb8c00", 3: "#d32f2f"}
HEAT_SCALE = [[0.0, "#f7fbff"], [0.02, "#deebf7"], [0.1, "#9ecae1"], [0.3, "#4292c6"], [0.6, "#2171b5"],
              [1.0, "#08306b"]]
CONFIG = {"displaylogo": False}


def state_label(state: str, lang: str) -> str:
    """A tier, a stage ('1'..'3') or a terminal state in words."""
    if state in TIERS:
        return t(f"classification.tier_{state}", lang)
    if str(state) in ("1", "2", "3"):
        return t("classification.stage_n", lang, n=state)
    return t(f"classification.state_{state}", lang)


def tier_totals(df: pd.DataFrame, as_of: dt.date, lang: str = "en", currency: str = "") -> go.Figure:
    """Balance per tier (from classification.tier_summary), each bar labelled with its share of the balance."""
    div, word = scale(df["balance"], lang)
    unit = money_unit(currency, word)
    fig = go.Figure(go.Bar(
        x=[state_label(s, lang) for s in df["tier"]], y=df["balance"] / div, marker_color=list(TIER_COLOURS),
        text=[f"{v:.1%}" for v in df["balance_share"]], textposition="outside", customdata=df[["loans"]],
        hovertemplate=f"%{{x}}<br>%{{y:,.2f}} {unit}<br>%{{customdata[0]:,}} {t('classification.loans', lang)}"
                      "<extra></extra>"))
    fig.update_yaxes(title_text=t("classification.axis_balance", lang, unit=unit))
    fig.update_xaxes(title_text=t("classification.axis_tier", lang))
    subtitle = t("classification.tier_note", lang, date=date(as_of, lang), currency=currency,
                 total=f"{df['balance'].sum() / div:,.2f} {unit}", loans=f"{int(df['loans'].sum()):,}")
    return base_layout(fig, t("classification.tier_title", lang), subtitle)


def stage_totals(df: pd.DataFrame, as_of: dt.date, lang: str = "en", currency: str = "") -> go.Figure:
    """Balance and ECL per IFRS 9 stage (from ecl.stage_summary), side by side; coverage in the hover."""
    div, word = scale(df["balance"], lang)
    unit = money_unit(currency, word)
    x = [state_label(str(s), lang) for s in df["stage"]]
    fig = go.Figure([
        go.Bar(name=t("classification.balance", lang), x=x, y=df["balance"] / div, marker_color="#9ecae1",
               hovertemplate=f"%{{x}}: %{{y:,.2f}} {unit}<extra></extra>"),
        go.Bar(name=t("classification.ecl", lang), x=x, y=df["ecl"] / div,
               marker_color=[STAGE_COLOURS[int(s)] for s in df["stage"]],
               text=[f"{c:.1%}" if pd.notna(c) else "" for c in df["coverage"]], textposition="outside",
               hovertemplate=f"%{{x}}: ECL %{{y:,.2f}} {unit}<br>{t('classification.coverage', lang)} %{{text}}"
                             "<extra></extra>")])
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=t("classification.axis_amount", lang, unit=unit))
    subtitle = t("classification.stage_note", lang, date=date(as_of, lang), currency=currency)
    return base_layout(fig, t("classification.stage_title", lang), subtitle, legend=True)


def ecl_by_product(df: pd.DataFrame, as_of: dt.date, lang: str = "en", currency: str = "") -> go.Figure:
    """ECL per product stacked by stage (from ecl.ecl_summary by product)."""
    div, word = scale(df.groupby("product")["ecl"].sum() if len(df) else [0], lang)
    unit = money_unit(currency, word)
    from ui.i18n import label
    fig = go.Figure()
    for stage in (1, 2, 3):
        part = df[df["stage"] == stage]
        fig.add_bar(name=state_label(str(stage), lang), x=[label("product", p, lang) for p in part["product"]],
                    y=part["ecl"] / div, marker_color=STAGE_COLOURS[stage], customdata=part[["coverage"]],
                    hovertemplate=f"%{{x}}: %{{y:,.2f}} {unit}<br>{t('classification.coverage', lang)} "
                                  "%{customdata[0]:.2%}<extra></extra>")
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text=t("classification.axis_ecl", lang, unit=unit))
    fig.update_xaxes(title_text=t("classification.axis_product", lang))
    subtitle = t("classification.ecl_product_note", lang, date=date(as_of, lang), currency=currency)
    return base_layout(fig, t("classification.ecl_product_title", lang), subtitle, legend=True)


def migration_heatmap(long: pd.DataFrame, matrix: pd.DataFrame, start: dt.date, end: dt.date, by: str,
                      lang: str = "en", weight: str = "count", currency: str = "") -> go.Figure:
    """Row shares of the tier (by='tier') or stage migration matrix; each row label carries its denominator."""
    rows, cols = list(matrix.index), list(matrix.columns)
    totals = long.groupby("from_state")[["loans", "balance"]].sum()
    div, word = scale(totals["balance"] if len(totals) else [0], lang)
    unit = money_unit(currency, word)
    if weight == "balance":
        y = [f"{state_label(r, lang)} ({totals.at[r, 'balance'] / div:,.1f})" for r in rows]
    else:
        y = [f"{state_label(r, lang)} ({int(totals.at[r, 'loans']):,})" for r in rows]
    z = matrix.to_numpy()
    fig = go.Figure(go.Heatmap(
        z=z, x=[state_label(c, lang) for c in cols], y=y, colorscale=HEAT_SCALE, zmin=0, zmax=1, xgap=2, ygap=2,
        text=[["" if v == 0 else f"{v:.1%}" for v in row] for row in z], texttemplate="%{text}",
        textfont=dict(size=12), colorbar=dict(tickformat=".0%", title=dict(text=t("classification.row_share",
                                                                                    lang))),
        hovertemplate="%{y} → %{x}: %{z:.2%}<extra></extra>"))
    what = t(f"classification.denominator_{weight}", lang, unit=unit)
    fig.update_yaxes(autorange="reversed", type="category",
                     title_text=t("classification.from_axis", lang, date=date(start, lang), what=what))
    fig.update_xaxes(side="top", type="category", tickangle=0, automargin=True,
                     title_text=t("classification.to_axis", lang, date=date(end, lang)))
    title = t(f"classification.migration_title_{by}", lang)
    subtitle = t(f"classification.migration_note_{weight}", lang, start=date(start, lang), end=date(end, lang),
                 currency=currency)
    fig = base_layout(fig, title, subtitle, height=520, width=150)
    fig.update_layout(margin=dict(t=fig.layout.margin.t + 60))
    return fig


def npl_waterfall(rec: dict, lang: str = "en", currency: str = "") -> go.Figure:
    """opening + new NPL - upgrades - collections - write-offs = closing (from classification.npl_reconciliation)."""
    terms = ("opening", "new_npl", "upgrades", "collections", "write_offs", "closing")
    signs = (1, 1, -1, -1, -1, 1)
    amounts = [float(rec[k]) for k in terms]
    div, word = scale([abs(a) for a in amounts], lang)
    unit = money_unit(currency, word)
    fig = go.Figure(go.Waterfall(
        x=[t(f"classification.npl_{k}", lang) for k in terms],
        measure=["absolute", "relative", "relative", "relative", "relative", "total"],
        y=[s * a / div for s, a in zip(signs, amounts)], text=[f"{s * a / div:+,.2f}" if k not in ("opening", "closing")
                                                               else f"{a / div:,.2f}"
                                                               for k, s, a in zip(terms, signs, amounts)],
        textposition="outside", connector=dict(line=dict(color="#9aa5b1")),
        increasing=dict(marker=dict(color="#d32f2f")), decreasing=dict(marker=dict(color="#2e7d32")),
        totals=dict(marker=dict(color=NEUTRAL)),
        hovertemplate=f"%{{x}}: %{{y:,.2f}} {unit}<extra></extra>"))
    fig.update_yaxes(title_text=t("classification.axis_npl", lang, unit=unit))
    subtitle = t("classification.npl_note", lang, start=date(rec["from"], lang), end=date(rec["to"], lang),
                 currency=currency)
    fig = base_layout(fig, t("classification.npl_title", lang), subtitle, width=90)
    top = max(amounts[0], amounts[-1], sum(s * a for s, a in zip(signs[:2], amounts[:2]))) / div
    fig.update_yaxes(range=[0, top * 1.15 if top > 0 else 1])
    return fig
