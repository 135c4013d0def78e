"""My portfolio: a credit officer's own loans (by staff code, else branch) and the delinquent ones among them."""
import streamlit as st

from charts import portfolio as charts
from ui import auth, data, shell, tables
from ui.i18n import current, date, money, number, percent, t

user = auth.require_page(__file__)
st.title(t("mine.title"))

book = shell.book()
as_of, flt, lang = shell.as_of(book), shell.filters(), current()
scope = data.staff_scope(user, "credit_officer")
if scope is None:
    st.warning(t("mine.no_scope"))
    st.stop()
whose = t("mine.scope_officer", code=scope.officer) if scope.officer else t("mine.scope_branch", branch=scope.branch)
st.caption(shell.context(as_of) + " · " + whose)

buckets = data.scope_buckets(book, scope, as_of, flt)
summary = data.scope_summary(buckets)
if not summary["open_loans"]:
    st.info(t("mine.empty", date=date(as_of)))
    st.stop()
currency = data.book_summary(book, as_of, flt)["currency"]

cols = st.columns(4)
cols[0].metric(t("mine.open_loans"), number(summary["open_loans"]), border=True)
cols[1].metric(t("mine.balance"), money(summary["balance"], currency), border=True,
               help=f"{number(summary['balance'], 2)} {currency}")
cols[2].metric(t("mine.delinquent_loans"), number(summary["delinquent_loans"]), border=True,
               help=t("mine.delinquent_help"))
cols[3].metric(t("mine.dpd30"), percent(summary["dpd30_rate_balance"]), border=True, help=t("mine.dpd30_help"))

st.plotly_chart(charts.bucket_balance_bar(buckets, as_of, currency, lang, note=t("mine.chart_note")), theme=None,
                config={"displaylogo": False})

st.subheader(t("mine.delinquent_heading", date=date(as_of)))
late = data.delinquent_loans(book, scope, as_of, flt)
if late.empty:
    st.success(t("mine.none_delinquent", date=date(as_of)))
else:
    st.caption(t("mine.delinquent_caption"))
    tables.delinquent_loans(late, currency, hide=("officer",) if scope.officer else ("branch",))
