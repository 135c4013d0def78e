"""One loan's month-end history as a figure: balance as bars, days past due as a line on its own axis."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts import style


def loan_history(history: pd.DataFrame, title: str, subtitle: str, balance_label: str, dpd_label: str,
                 month_label: str) -> go.Figure:
    """`history` has as_of, balance and dpd (performance_history of data/people.py); labels come translated."""
    fig = go.Figure()
    fig.add_bar(x=history["as_of"], y=history["balance"].astype(float), name=balance_label,
                marker_color=style.NEUTRAL, yaxis="y")
    fig.add_scatter(x=history["as_of"], y=history["dpd"], name=dpd_label, mode="lines+markers",
                    line=dict(color=style.BUCKET_COLOURS[6], width=2), yaxis="y2")
    style.base_layout(fig, title, subtitle, height=380, legend=True)
    fig.update_layout(xaxis=dict(title=month_label), yaxis=dict(title=balance_label, rangemode="tozero"),
                      yaxis2=dict(title=dpd_label, overlaying="y", side="right", rangemode="tozero",
                                  showgrid=False))
    return fig
