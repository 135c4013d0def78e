"""The executive overview's one-page report (reports/overview.py) and its charts, built from the tiny book.

Tiny book at 2024-03-31 (tests/conftest.py), all figures by hand:
  open L1 800, L2 2000 (45 DPD), L4 2900 (10), L6 600: 4 loans, balance 6,300; 30+ = L2: 2000 / 6300 = 31.75%
  2024-02-29: L1 900, L2 2000 (15), L3 450, L4 3000 (80): 4 loans, 6,350; 30+ = L4: 3000 / 6350 = 47.24%
  so 30+ by balance changed by 31.746% - 47.244% = -15.50 pp (better: green, a down arrow); no 2023-03 month-end
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from charts import portfolio as charts
from data import workflow
from reports import overview, render


def laid_out(html: str) -> list[str]:
    """The text of each page WeasyPrint lays the HTML out on."""
    import weasyprint

    def walk(box, found):
        if isinstance(getattr(box, "text", None), str):
            found.append(box.text)
        for child in getattr(box, "children", ()) or ():
            walk(child, found)
        return found
    return ["\n".join(walk(p._page_box, [])) for p in weasyprint.HTML(string=html).render().pages]


def inflated(pdf: bytes) -> bytes:
    """The PDF with its compressed streams inflated (font names sit in compressed object streams)."""
    import re
    import zlib
    out = [pdf]
    for m in re.finditer(rb"stream\r?\n", pdf):
        try:
            out.append(zlib.decompressobj().decompress(pdf[m.end():m.end() + 2_000_000]))
        except zlib.error:
            pass
    return b"".join(out)


@pytest.fixture
def march(tiny_store):
    return overview.gather(tiny_store, "2024-03")


def test_report_holds_the_kpis_on_one_pdf_page(march):
    k = march.kpis
    assert (k["open_loans"], k["outstanding_balance"]) == (4, pytest.approx(6300))
    html = overview.html(march, lang="en", user="exec", generated=dt.datetime(2024, 4, 2, 9, 30))
    pages = laid_out(html)
    assert len(pages) == 1                                            # one page, charts included
    text = pages[0]
    for shown in ("Portfolio overview", "Month-end 2024-03-31 · whole book · money in CNY", "CNY 6.3K", "31.75%",
                  "▼ -15.50 pp", "vs Feb 2024", "no month a year earlier", "Generated 2024-04-02 09:30 by exec"):
        assert shown in text, shown
    assert html.count('<img class="movers"') == 1 and html.count('<img class="trend"') == 1
    assert "<script" not in html and "http" not in html               # self-contained: works offline
    assert '<td class="num better">▼ -15.50 pp</td>' in html          # 30+ fell: better, green
    pdf = render.pdf(html)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5_000


def test_chinese_report_embeds_a_cjk_font(march):
    html = overview.html(march, lang="zh", user="exec")
    text = laid_out(html)[0]
    assert "资产组合概览" in text and "月末 2024年3月31日 · 全部资产 · 金额单位 CNY" in text
    assert "-15.50 个百分点" in text and "CNY 6,300" in text
    assert b"WenQuanYi" in inflated(render.pdf(html))                # Chinese drawn in glyphs, not boxes


def test_report_without_a_browser_still_has_every_figure(march, monkeypatch):
    def no_browser(*args, **kwargs):
        raise render.ChartsUnavailable("no chromium")
    monkeypatch.setattr(render, "svg", no_browser)
    html = overview.html(march, lang="en")
    assert "<img" not in html and "Charts could not be drawn here" in html
    assert "31.75%" in laid_out(html)[0]


def test_export_is_audited(march):
    pdf = overview.export(march, "pdf", lang="en", user="exec", origin="test")
    assert pdf.startswith(b"%PDF-")
    entry = workflow.audit_entries(action="export")[0]
    assert (entry["actor"], entry["target"], entry["origin"]) == ("exec", "overview-report", "test")
    assert '"as_of": "2024-03-31"' in entry["details"] and '"format": "pdf"' in entry["details"]
    html = overview.export(march, "html", lang="zh", user="exec")
    assert html.decode("utf-8").startswith("<!DOCTYPE html>")
    assert len(workflow.audit_entries(action="export")) == 2
    with pytest.raises(ValueError):
        overview.export(march, "docx")


def test_movers_chart_colours_and_units():
    movers = pd.DataFrame({"dimension": ["product", "region", "branch"], "segment": ["card", "East", None],
                           "loans": [10, 20, 5], "balance": [1e6, 2e6, 5e5], "share": [0.2, 0.4, 0.1],
                           "value": [0.05, 0.02, 0.10], "previous": [0.03, 0.03, None], "change": [0.02, -0.01, None]})
    fig = charts.segment_movers_bar(movers, "dpd30_rate_balance", dt.date(2024, 3, 31), dt.date(2024, 2, 29), "CNY",
                                    3, 0.01)
    bar = fig.data[0]
    assert list(bar.y) == ["Branch: —", "Region: East", "Product: card"]        # products on top
    assert list(bar.x) == pytest.approx([0, -1, 2])                                     # percentage points
    assert list(bar.marker.color) == [charts.MUTED, charts.BETTER, charts.WORSE]        # 30+ up is worse
    assert list(bar.text) == ["—", "-1.00 pp", "+2.00 pp"]
    assert "2024-02-29 to 2024-03-31" in fig.layout.title.subtitle.text and "1.0%" in fig.layout.title.subtitle.text
    money = charts.segment_movers_bar(movers.assign(change=[2e6, -5e5, 0.0]), "outstanding_balance",
                                      dt.date(2024, 3, 31), dt.date(2024, 2, 29), "CNY", 3, 0.01)
    assert money.layout.xaxis.title.text == "Change (CNY million)"
    assert list(money.data[0].marker.color) == [charts.MUTED, charts.WORSE, charts.BETTER]   # balance up is better


def test_trend_grid_titles_carry_units(march):
    fig = charts.kpi_trend_grid(march.trend, "CNY", "en")
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:4] == ["Open loans (loans)", "Outstanding balance (CNY thousand)", "New disbursements (CNY)",
                          "Collections (CNY)"]
    assert "30+ DPD balance rate (%)" in titles and len(fig.data) == 2 * 13       # a line and its last point each
    assert list(fig.data[2].y) == pytest.approx([8.7, 6.35, 6.3])      # balance in thousands, Jan-Mar 2024
    assert fig.layout.title.text == "Trends over 3 month-ends"
    assert fig.layout.title.subtitle.text.startswith("Month-ends 2024-01-31 to 2024-03-31")


def test_kpi_formats():
    assert charts.kpi_value("outstanding_balance", 379_852_000.0, "CNY", "en") == "CNY 379.85M"
    assert charts.kpi_value("outstanding_balance", 379_852_000.0, "CNY", "en", short=True) == "379.85M"
    assert charts.kpi_value("coverage_ratio", None, "CNY") == "—"
    assert charts.kpi_change("dpd30_rate_balance", -0.0000001, "CNY") == "±0.00 pp"    # rounds to no change
    assert charts.displayed("dpd30_rate_balance", -0.0000001) == 0
    assert charts.kpi_change("collections", 1_760_000.0, "CNY", short=True) == "+1.76M"
    assert charts.kpi_change("open_loans", None, "CNY") is None
