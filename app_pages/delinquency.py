"""Delinquency: 30+/90+ rates and the bucket mix over time, and the latest transition matrix (risk managers' home)."""
import streamlit as st

from charts import delinquency as charts
from ui import auth, data, shell
from ui.i18n import current, date, number, percent, signed, t

auth.require_page(__file__)
st.title(t("delinquency.title"))

book = shell.book()
as_of, flt, lang = shell.as_of(book), shell.filters(), current()
trend = data.delinquency_trend(book, as_of, flt)
now = trend.iloc[-1]
shell.stop_if_empty(int(now["open_loans"]), as_of)
before = trend.iloc[-2] if len(trend) > 1 else None
prev = shell.previous_month(book, as_of)
st.caption(shell.context(as_of) + " · " + t("delinquency.caption"))

since = t("common.vs_month_end", date=date(prev)) if prev else t("common.no_previous")
cols = st.columns(4)
for col, key, fmt, kind in ((cols[0], "dpd30_rate_balance", percent, "points"),
                            (cols[1], "dpd90_rate_balance", percent, "points"),
                            (cols[2], "dpd30_loans", number, "number"),
                            (cols[3], "dpd90_loans", number, "number")):
    change = float(now[key] - before[key]) if before is not None else None
    col.metric(t(f"delinquency.{key}"), fmt(now[key]), signed(change, kind) if change is not None else None,
               delta_color="inverse" if change else "off", border=True,
               help=t(f"delinquency.{key}_help") + " " + since)

left, right = st.columns(2)
left.plotly_chart(charts.delinquency_rate_trend(trend, as_of, lang), theme=None, config={"displaylogo": False})
right.plotly_chart(charts.bucket_share_trend(data.bucket_trend(book, as_of, flt), as_of, lang), theme=None,
                   config={"displaylogo": False})

if prev is None:
    st.info(t("delinquency.no_transition", date=date(as_of)))
else:
    moves = data.roll_rates(book, prev, as_of, flt)
    if moves.empty:
        st.info(t("delinquency.no_moves", start=date(prev), end=date(as_of)))
    else:
        st.plotly_chart(charts.transition_heatmap(moves, prev, as_of, lang), theme=None,
                        config={"displaylogo": False})
        st.caption(t("delinquency.transition_caption", start=date(prev), end=date(as_of)))
