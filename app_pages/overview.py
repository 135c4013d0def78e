"""Portfolio overview: size and delinquency of the book at the latest month-end."""
import streamlit as st

from charts import portfolio as charts
from ui import auth, data, fmt

auth.require_page(__file__)
st.title("Portfolio overview")

book = data.book()
if book is None:
    st.info("No portfolio data has been published yet. Build the demo workspace with `python cli.py demo` "
            "(or `make run`), or import a portfolio with `python cli.py import ...`, then reload this page.")
    st.stop()

as_of = data.latest_month(book)
summary = data.book_summary(book, as_of)
currency = summary["currency"]
st.caption(f"Open loans at month-end {as_of:%Y-%m-%d}; balances are outstanding principal in {currency}.")

cols = st.columns(4)
cols[0].metric("Open loans", fmt.count(summary["open_loans"]), border=True)
cols[1].metric("Outstanding balance", fmt.money(summary["outstanding_balance"], currency), border=True,
               help=f"{summary['outstanding_balance']:,.2f} {currency}")
cols[2].metric("30+ DPD balance rate", fmt.pct(summary["dpd30_rate_balance"]), border=True,
               help="Share of outstanding balance more than 30 days past due.")
cols[3].metric("90+ DPD balance rate", fmt.pct(summary["dpd90_rate_balance"]), border=True,
               help="Share of outstanding balance more than 90 days past due.")

left, right = st.columns([3, 2])
left.plotly_chart(charts.bucket_balance_bar(data.bucket_distribution(book, as_of), as_of, currency),
                  theme=None, config={"displaylogo": False})
right.plotly_chart(charts.product_balance_bar(data.balance_by_product(book, as_of), as_of, currency),
                   theme=None, config={"displaylogo": False})
