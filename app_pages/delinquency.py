"""Delinquency: 30+/60+/90+ rates and the bucket mix over time, the transition matrix, roll/cure/flow rates by bucket
and the flow waterfall, all as the book stood at the chosen month-end (risk managers' home)."""
import streamlit as st

from analytics import delinquency, flows
from analytics.kpis import add_months
from charts import delinquency as charts
from ui import auth, data, shell
from ui.i18n import current, date, number, percent, signed, t

WATERFALL_MONTHS = 12                 # pairs of month-ends the waterfall's flow rates are pooled over
PLOT = dict(theme=None, config={"displaylogo": False})

auth.require_page(__file__)
st.title(t("delinquency.title"))

book = shell.book()
as_of, flt, lang = shell.as_of(book), shell.filters(), current()
trend = data.delinquency_trend(book, as_of, flt)
now = trend.iloc[-1]
shell.stop_if_empty(int(now["open_loans"]), as_of)
before = trend.iloc[-2] if len(trend) > 1 else None
prev = shell.previous_month(book, as_of)
mix = data.bucket_distribution(book, as_of, flt)
currency = data.book_summary(book, as_of, flt)["currency"]
st.caption(shell.context(as_of) + " · " + t("delinquency.caption"))

since = t("common.vs_month_end", date=date(prev)) if prev else t("common.no_previous")
cards = (("dpd30_rate_balance", percent, "points"), ("dpd60_rate_balance", percent, "points"),
         ("dpd90_rate_balance", percent, "points"), ("dpd30_loans", number, "number"),
         ("dpd90_loans", number, "number"))
for col, (key, fmt, kind) in zip(st.columns(len(cards)), cards):
    change = float(now[key] - before[key]) if before is not None else None
    col.metric(t(f"delinquency.{key}"), fmt(now[key]), signed(change, kind) if change is not None else None,
               delta_color="inverse" if change else "off", border=True,
               help=t(f"delinquency.{key}_help") + " " + since)

left, right = st.columns(2)
left.plotly_chart(charts.delinquency_rate_trend(trend, as_of, lang), **PLOT)
right.plotly_chart(charts.bucket_share_trend(data.bucket_trend(book, as_of, flt), as_of, lang), **PLOT)

if prev is None:
    st.info(t("delinquency.no_transition", date=date(as_of)))
    st.stop()

st.subheader(t("delinquency.section_moves"))
months = [m for m in data.months(book) if m <= as_of]
c1, c2, c3 = st.columns([1, 1.2, 2])
weight = c1.radio(t("delinquency.weight"), ["count", "balance"], key=f"dq_weight_{lang}", horizontal=True,
                  format_func=lambda w: t(f"delinquency.weight_{w}", lang), help=t("delinquency.weight_help"))
summed = c2.radio(t("delinquency.period"), [False, True], key=f"dq_period_{lang}",
                  format_func=lambda s: t("delinquency.period_range", lang) if s else
                  t("delinquency.period_month", lang, date=date(as_of, lang)))
start, end = prev, as_of
if summed:
    start, end = c3.select_slider(t("delinquency.range"), months, key=f"dq_range_{as_of}_{lang}",
                                  value=(max(months[0], add_months(as_of, -12)), as_of),
                                  format_func=lambda m: date(m, lang), help=t("delinquency.range_help"))
if start >= end:
    st.info(t("delinquency.range_too_short"))
else:
    moves = data.get(delinquency.roll_rates_long, book, start, end, weight, flt)
    if moves.empty:
        st.info(t("delinquency.no_moves", start=date(start), end=date(end)))
    else:
        st.plotly_chart(charts.transition_heatmap(moves, start, end, lang, weight, currency, summed), **PLOT)
        unit = charts.row_unit(moves, currency, lang)
        st.caption(t(f"delinquency.moves_caption_{weight}", unit=unit) + " " + t("delinquency.moves_caption"))

rates = data.get(flows.roll_cure_rates, book, None, as_of, weight, flt)
flow = data.get(flows.flow_rates, book, None, as_of, flt)
st.plotly_chart(charts.rates_by_bucket(rates, flow, as_of, lang, weight, currency), **PLOT)
st.caption(t("delinquency.rates_caption"))

pairs = min(WATERFALL_MONTHS, len(months) - 1)
fall = data.get(flows.flow_waterfall, book, as_of, WATERFALL_MONTHS, flt)
current_balance = float(mix.loc[mix.bucket == "current", "balance"].sum())
st.plotly_chart(charts.flow_waterfall(fall, current_balance, as_of, pairs, lang, currency), **PLOT)
st.caption(t("delinquency.waterfall_caption", months=pairs, date=date(as_of)))
