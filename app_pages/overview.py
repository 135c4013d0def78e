"""Executive overview: every KPI at the chosen month-end against a month and a year before, with its 24-month trend,
the segments that moved most, and the same as a one-page PDF or HTML report (home of executives and admins)."""
import streamlit as st

from analytics import kpis
from charts import portfolio as charts
from reports import overview as report
from ui import auth, data, shell
from ui.i18n import current, date, month, t

auth.require_page(__file__)
st.title(t("overview.title"))

book = shell.book()
as_of, flt, lang = shell.as_of(book), shell.filters(), current()
k = data.get(kpis.kpis, book, as_of, flt)
shell.stop_if_empty(k["open_loans"], as_of)
currency = k["currency"]
trend = data.get(kpis.kpi_trend, book, as_of, report.TREND_MONTHS, flt)
prev, year = kpis.add_months(as_of, -1), kpis.add_months(as_of, -12)
st.caption(shell.context(as_of) + " · " + t("overview.caption", currency=currency))
st.caption(t("overview.how_to_read", month=month(prev), year=month(year), n=len(trend)))
exports = st.container()
span = t("overview.sparkline", n=len(trend), first=month(trend["as_of"].iloc[0]), last=month(as_of))
COLOUR = {1: "green", -1: "red", 0: "gray"}


def year_line(name: str) -> str:
    """The change against the same month last year, coloured for better or worse (or why there is none)."""
    if k["change_year"] is None:
        return t("overview.no_year")
    change = charts.displayed(name, k["change_year"][name])
    text = charts.kpi_change(name, change, currency, lang, short=True)
    if text is None:
        return t("overview.no_npl") if name == "coverage_ratio" else "—"
    arrow = "▲ " if change > 0 else "▼ " if change < 0 else ""
    return f":{COLOUR[kpis.better(name, change)]}[{arrow}{text}] {t('overview.vs_month', month=month(year))}"


def card(name: str) -> None:
    """A KPI: its value, the change against the previous month (delta) and a year before, and its trend."""
    change = charts.displayed(name, k["change_month"] and k["change_month"][name])
    way = kpis.better(name, change)
    series = [float(v) for v in trend[name] if v is not None and v == v]
    with st.container(border=True):
        st.metric(t(f"overview.{name}"), charts.kpi_value(name, k[name], currency, lang, short=True),
                  charts.kpi_change(name, change, currency, lang, short=True),
                  delta_color="off" if not way else "normal" if name in kpis.BETTER_UP else "inverse",
                  delta_arrow="off" if not change else "auto",
                  chart_data=series if len(series) > 1 else None, chart_type="line",
                  help=t(f"overview.help_{name}") + " " + span)
        missing = t("overview.no_month") + " · " if k["change_month"] is None else ""
        st.caption(missing + year_line(name))


for group, names in charts.KPI_GROUPS:
    unit = f" :gray[· {t('overview.money_in', currency=currency)}]" if set(names) & charts.MONEY_KPIS else ""
    st.markdown(f"##### {t('overview.' + group)}{unit}")
    for col, name in zip(st.columns(5), names):
        with col:
            card(name)

st.subheader(t("overview.movers"))
left, right = st.columns(2)
# labels bound to the language (AppTest formats outside the run); keys per language, since the browser keeps a
# choice as its label
measure = left.radio(t("overview.movers_measure"), ("dpd30_rate_balance", "dpd90_rate_balance", "outstanding_balance"),
                     format_func=lambda m, lang=lang: t(f"overview.{m}", lang), horizontal=True,
                     key=f"overview_measure_{lang}")
compare = right.radio(t("overview.movers_compare"), ("month", "year"), horizontal=True, key=f"overview_compare_{lang}",
                      format_func=lambda c, lang=lang: t(f"overview.compare_{c}", lang))
then = prev if compare == "month" else year
movers = data.get(kpis.segment_movers, book, as_of, measure, compare, report.MOVERS_TOP, report.MOVERS_MIN_SHARE, flt)
if movers.empty and k["previous_month" if compare == "month" else "last_year"] is None:
    st.info(t("overview.movers_none", date=date(then)))
elif movers.empty:
    st.info(t("overview.movers_empty", share=f"{report.MOVERS_MIN_SHARE:.0%}"))
else:
    st.plotly_chart(charts.segment_movers_bar(movers, measure, as_of, then, currency, report.MOVERS_TOP,
                                              report.MOVERS_MIN_SHARE, lang),
                    theme=None, config={"displaylogo": False})

with st.expander(t("overview.trend_expander", n=len(trend))):
    st.plotly_chart(charts.kpi_trend_grid(trend, currency, lang), theme=None, config={"displaylogo": False})

user = auth.current_user()
username, origin = (user.username if user else None), auth.origin()   # read here: downloads run outside the run
ov = report.Overview(k, trend, movers, measure, compare)
with exports.container(horizontal=True):
    stem = f"loanwatch-overview-{as_of:%Y-%m}"
    for fmt, icon, mime in (("pdf", "picture_as_pdf", "application/pdf"), ("html", "html", "text/html")):
        st.download_button(t(f"overview.export_{fmt}"), lambda f=fmt: report.export(ov, f, flt, lang, username, origin),
                           file_name=f"{stem}.{fmt}", mime=mime, on_click="ignore", icon=f":material/{icon}:",
                           help=t("overview.export_help"), key=f"overview_{fmt}")
