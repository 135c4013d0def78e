"""Portfolio overview: size and delinquency of the book at the chosen month-end (home of executives and admins)."""
import streamlit as st

from charts import portfolio as charts
from ui import auth, data, shell
from ui.i18n import current, date, money, number, percent, signed, t

auth.require_page(__file__)
st.title(t("overview.title"))

book = shell.book()
as_of, flt, lang = shell.as_of(book), shell.filters(), current()
summary = data.book_summary(book, as_of, flt)
shell.stop_if_empty(summary["open_loans"], as_of)
currency = summary["currency"]
prev = shell.previous_month(book, as_of)
before = data.book_summary(book, prev, flt) if prev else None
st.caption(shell.context(as_of) + " · " + t("overview.caption", currency=currency))


def delta(key: str, kind: str = "number"):
    return signed(summary[key] - before[key], kind, currency=currency) if before else None


def colour(key: str, worse_when_up: bool = False) -> str:
    """Red for a change for the worse, green for the better, grey for none."""
    if not before or summary[key] == before[key]:
        return "off"
    return "inverse" if worse_when_up else "normal"


since = t("common.vs_month_end", date=date(prev)) if prev else t("common.no_previous")
cols = st.columns(4)
cols[0].metric(t("overview.open_loans"), number(summary["open_loans"]), delta("open_loans"),
               delta_color=colour("open_loans"), border=True, help=since)
cols[1].metric(t("overview.balance"), money(summary["outstanding_balance"], currency),
               delta("outstanding_balance", "money"), delta_color=colour("outstanding_balance"), border=True,
               help=f"{number(summary['outstanding_balance'], 2)} {currency}. {since}")
cols[2].metric(t("overview.dpd30"), percent(summary["dpd30_rate_balance"]),
               delta("dpd30_rate_balance", "points"), delta_color=colour("dpd30_rate_balance", worse_when_up=True),
               border=True, help=t("overview.dpd30_help") + " " + since)
cols[3].metric(t("overview.dpd90"), percent(summary["dpd90_rate_balance"]),
               delta("dpd90_rate_balance", "points"), delta_color=colour("dpd90_rate_balance", worse_when_up=True),
               border=True, help=t("overview.dpd90_help") + " " + since)

left, right = st.columns([3, 2])
left.plotly_chart(charts.bucket_balance_bar(data.bucket_distribution(book, as_of, flt), as_of, currency, lang),
                  theme=None, config={"displaylogo": False})
right.plotly_chart(charts.product_balance_bar(data.balance_by_product(book, as_of, flt), as_of, currency, lang),
                   theme=None, config={"displaylogo": False})
