"""The executive overview as a one-page report: every KPI with its change against the previous month and the same
month last year, the segments that moved most and the 24-month trends; self-contained HTML (charts as SVG images),
and the same HTML as a PDF (A4 landscape)."""
from __future__ import annotations

import datetime as dt
import html as escape
from dataclasses import dataclass

import duckdb
import pandas as pd

from analytics import kpis as core
from analytics.filters import Filters
from charts import portfolio as charts
from data import workflow
from reports import render
from ui import i18n
from ui.i18n import t

TREND_MONTHS = 24
MOVERS_TOP = 3             # per dimension: product, region, branch
MOVERS_MIN_SHARE = 0.01    # of the open-loan balance: smaller segments' rates swing on a handful of loans
DIMENSIONS = (("products", "product"), ("regions", "region"), ("branches", "branch"))


@dataclass(frozen=True)
class Overview:
    """What the page and the report show: kpis.kpis, kpis.kpi_trend and kpis.segment_movers at one month-end."""
    kpis: dict
    trend: pd.DataFrame
    movers: pd.DataFrame
    measure: str = "dpd30_rate_balance"
    compare: str = "month"
    top: int = MOVERS_TOP
    min_share: float = MOVERS_MIN_SHARE


def gather(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None, filters: Filters | None = None,
           measure: str = "dpd30_rate_balance", compare: str = "month") -> Overview:
    """The overview's figures from the core functions (the page gets the same ones through its cache)."""
    k = core.kpis(con, as_of, filters)
    return Overview(k, core.kpi_trend(con, k["as_of"], TREND_MONTHS, filters),
                    core.segment_movers(con, k["as_of"], measure, compare, MOVERS_TOP, MOVERS_MIN_SHARE, filters),
                    measure, compare)


def comparison_month(k: dict, compare: str) -> dt.date:
    """The month-end a KPI dict is compared with (it may be missing from the data)."""
    return core.add_months(k["as_of"], -1 if compare == "month" else -12)


def scope(filters: Filters | None, lang: str) -> str:
    """'whole book' or 'Product: card; Region: East', in words of the language."""
    f = filters or Filters()
    parts = [t("common.filter_item", lang, name=t(f"common.{kind}", lang),
               values=", ".join(i18n.label(kind, v, lang) for v in getattr(f, field)))
             for field, kind in DIMENSIONS if getattr(f, field)]
    return "; ".join(parts) if parts else t("common.whole_book", lang)


def change_cell(kpi: str, change: float | None, currency: str, missing: str, lang: str) -> str:
    """A table cell: the change with an arrow, classed better / worse / same for its colour."""
    change = charts.displayed(kpi, change)
    text = charts.kpi_change(kpi, change, currency, lang)
    if text is None:
        return f'<td class="none">{escape.escape(missing)}</td>'
    way = core.better(kpi, change)
    arrow = "▲ " if change > 0 else "▼ " if change < 0 else ""
    css = "better" if way > 0 else "worse" if way < 0 else "same"
    return f'<td class="num {css}">{arrow}{escape.escape(text)}</td>'


def kpi_table(k: dict, lang: str) -> str:
    """Every KPI in its group: value at the month-end, change against the previous month and a year before."""
    cur, when = k["currency"], k["as_of"]
    prev, year = core.add_months(when, -1), core.add_months(when, -12)
    head = (f"<tr><th>{t('overview.report_kpi', lang)}</th>"
            f"<th class='num'>{escape.escape(t('overview.report_value', lang, date=i18n.date(when, lang)))}</th>"
            f"<th class='num'>{escape.escape(t('overview.vs_month', lang, month=i18n.month(prev, lang)))}</th>"
            f"<th class='num'>{escape.escape(t('overview.vs_year', lang, month=i18n.month(year, lang)))}</th></tr>")
    rows = []
    for group, names in charts.KPI_GROUPS:
        rows.append(f"<tr class='group'><td colspan='4'>{escape.escape(t('overview.' + group, lang))}</td></tr>")
        for name in names:
            month = k["change_month"] and k["change_month"][name]
            yearly = k["change_year"] and k["change_year"][name]
            no_month = t("overview.no_month" if k["change_month"] is None else "overview.unchanged", lang)
            no_year = t("overview.no_year" if k["change_year"] is None else "overview.unchanged", lang)
            if k[name] is None and name == "coverage_ratio":
                no_month = no_year = t("overview.no_npl", lang)
            rows.append(f"<tr><td>{escape.escape(t('overview.' + name, lang))}</td>"
                        f"<td class='num value'>{escape.escape(charts.kpi_value(name, k[name], cur, lang))}</td>"
                        + change_cell(name, month, cur, no_month, lang)
                        + change_cell(name, yearly, cur, no_year, lang) + "</tr>")
    return f"<table class='kpis'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def figures(ov: Overview, lang: str) -> tuple[str, str]:
    """The movers chart and the trend grid as <img> tags (or a note when no browser can draw them here)."""
    k = ov.kpis
    try:
        parts = []
        if len(ov.movers):
            fig = charts.segment_movers_bar(ov.movers, ov.measure, k["as_of"], comparison_month(k, ov.compare),
                                            k["currency"], ov.top, ov.min_share, lang, wrap=78)
            parts.append(render.svg_img(render.svg(fig, 560, int(fig.layout.height)), "movers"))
        else:
            parts.append("")
        grid = charts.kpi_trend_grid(ov.trend, k["currency"], lang, height=420)
        parts.append(render.svg_img(render.svg(grid, 1400, int(grid.layout.height)), "trend"))
        return parts[0], parts[1]
    except render.ChartsUnavailable:
        return "", f"<p class='note'>{escape.escape(t('overview.report_no_charts', lang))}</p>"


CSS = """
@page { size: A4 landscape; margin: 8mm 10mm; }
* { box-sizing: border-box; }
body { font-family: 'Source Sans Pro', 'DejaVu Sans', 'WenQuanYi Micro Hei', sans-serif; font-size: 9pt;
       color: #1b1f24; margin: 0; }
h1 { font-size: 16pt; margin: 0 0 1mm 0; }
.scope { color: #4a5561; margin-bottom: 2mm; }
.top { display: flex; gap: 5mm; align-items: flex-start; }
table.kpis { border-collapse: collapse; width: 58%; flex: none; }
table.kpis th { text-align: left; font-weight: 600; border-bottom: 1px solid #9aa5b1; padding: 0.6mm 1.5mm; }
table.kpis td { padding: 0.45mm 1.5mm; border-bottom: 0.5px solid #e3e7eb; white-space: nowrap; }
table.kpis .num { text-align: right; }
table.kpis tr.group td { font-weight: 600; background: #eef2f6; color: #1f4e79; }
td.value { font-weight: 600; }
td.better { color: #2e7d32; } td.worse { color: #c62828; } td.same, td.none { color: #6b7580; text-align: right; }
.side { flex: 1; }
img.movers { width: 100%; }
img.trend { width: 100%; margin-top: 1mm; }
.note, footer { color: #6b7580; font-size: 8pt; }
"""


def html(ov: Overview, filters: Filters | None = None, lang: str = "en", user: str | None = None,
         generated: dt.datetime | None = None) -> str:
    """The report as one self-contained HTML page (no scripts, no links out: the same file is the HTML export)."""
    k = ov.kpis
    movers, trend = figures(ov, lang)
    if not len(ov.movers):
        then = comparison_month(k, ov.compare)
        movers = f"<p class='note'>{escape.escape(t('overview.movers_none', lang, date=i18n.date(then, lang)))}</p>"
    at = (generated or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    title = t("overview.report_title", lang)
    scope_line = t("overview.report_scope", lang, date=i18n.date(k["as_of"], lang), scope=scope(filters, lang),
                   currency=k["currency"])
    return (f"<!DOCTYPE html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
            f"<title>{escape.escape(title)} {k['as_of']}</title><style>{CSS}</style></head><body>"
            f"<h1>{escape.escape(title)}</h1><div class='scope'>{escape.escape(scope_line)}</div>"
            f"<div class='top'>{kpi_table(k, lang)}<div class='side'>{movers}</div></div>{trend}"
            f"<footer>{escape.escape(t('overview.report_generated', lang, at=at, user=user or '-'))}</footer>"
            "</body></html>")


def export(ov: Overview, fmt: str, filters: Filters | None = None, lang: str = "en", user: str | None = None,
           origin: str | None = None) -> bytes:
    """The report as 'pdf' or 'html' bytes, the export recorded in the audit log (who, which month-end, filters)."""
    if fmt not in ("pdf", "html"):
        raise ValueError("fmt must be 'pdf' or 'html'")
    body = html(ov, filters, lang, user)
    out = render.pdf(body) if fmt == "pdf" else body.encode("utf-8")
    workflow.audit("export", actor=user, origin=origin, target="overview-report",
                   details={"format": fmt, "as_of": str(ov.kpis["as_of"]), "filters": scope(filters, "en"),
                            "lang": lang, "movers": f"{ov.measure}/{ov.compare}", "bytes": len(out)})
    return out
