"""Figures to SVG through one long-lived kaleido server, and HTML to PDF through WeasyPrint (TECH-NOTES "Exports").

kaleido drives a headless Chromium: starting it costs about 2.5 s, each figure after that about 0.25 s, so one
server is started on first use and kept for the process. It is shared by every Streamlit session in the process,
and its sync API hands results back through one queue, so calls are serialised by a lock.
"""
from __future__ import annotations

import base64
import logging
import os
import threading

import plotly.graph_objects as go

CHROMIUM = os.environ.get("LOANWATCH_CHROMIUM", "/usr/bin/chromium")
log = logging.getLogger("loanwatch.reports")
_lock = threading.Lock()
_state = {"started": False, "broken": None}


class ChartsUnavailable(RuntimeError):
    """kaleido (or the Chromium it drives) cannot draw figures here."""


def svg(fig: go.Figure, width: int, height: int) -> str:
    """The figure as SVG markup at width x height pixels; ChartsUnavailable when no browser can draw it."""
    import kaleido
    with _lock:
        if _state["broken"]:
            raise ChartsUnavailable(_state["broken"])
        try:
            if not _state["started"]:
                kaleido.start_sync_server(mathjax=False, path=CHROMIUM, silence_warnings=True)
                _state["started"] = True
            out = kaleido.calc_fig_sync(fig, opts=dict(format="svg", width=width, height=height))
        except Exception as e:              # no Chromium, a crashed browser: the report goes on without charts
            log.exception("kaleido could not draw a figure")
            _state["broken"] = f"{type(e).__name__}: {e}"
            raise ChartsUnavailable(_state["broken"]) from e
    text = out.decode("utf-8") if isinstance(out, bytes) else str(out)
    return text[text.find("<svg"):]


def svg_img(markup: str, css_class: str = "chart") -> str:
    """An <img> holding the SVG as a data URI: self-contained, scaled by CSS, kept as vectors by WeasyPrint."""
    data = base64.b64encode(markup.encode("utf-8")).decode("ascii")
    return f'<img class="{css_class}" alt="" src="data:image/svg+xml;base64,{data}">'


def pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML page (WeasyPrint runs no JavaScript: charts must be SVG or PNG)."""
    import weasyprint
    return weasyprint.HTML(string=html).write_pdf()
