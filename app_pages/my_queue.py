"""My queue: a collector's delinquent loans at the month-end (by agent code, else branch), worst first."""
import streamlit as st

from ui import auth, data, shell, tables
from ui.i18n import current, date, money, number, t

user = auth.require_page(__file__)
st.title(t("queue.title"))

book = shell.book()
as_of, flt = shell.as_of(book), shell.filters()
scope = data.staff_scope(user, "collector")
if scope is None:
    st.warning(t("queue.no_scope"))
    st.stop()
whose = t("queue.scope_agent", code=scope.agent) if scope.agent else t("queue.scope_branch", branch=scope.branch)
st.caption(shell.context(as_of) + " · " + whose)

queue = data.delinquent_loans(book, scope, as_of, flt)
if queue.empty:
    st.success(t("queue.empty", date=date(as_of)))
    st.stop()
summary = data.queue_summary(queue)
currency = data.book_summary(book, as_of, flt)["currency"]

cols = st.columns(4)
cols[0].metric(t("queue.loans"), number(summary["loans"]), border=True)
cols[1].metric(t("queue.balance"), money(summary["balance"], currency), border=True,
               help=f"{number(summary['balance'], 2)} {currency}")
cols[2].metric(t("queue.overdue"), money(summary["overdue_amount"], currency), border=True,
               help=t("queue.overdue_help"))
cols[3].metric(t("queue.dpd90_loans"), number(summary["dpd90_loans"]), border=True, help=t("queue.dpd90_help"))

st.caption(t("queue.order"))
tables.delinquent_loans(queue, currency, hide=("last_agent",) if scope.agent else ("branch",))
