"""Borrower: one loan or borrower looked up by id, personal data masked unless assigned to the viewer (audited)."""
import re

import streamlit as st

from charts import borrower as charts
from data import people
from ui import auth, i18n, shell
from ui.i18n import t

user = auth.require_page(__file__)
SHOWN, LOAN, AUDITED = "borrower_shown", "borrower_loan", "borrower_audited"

st.title(t("borrower.title"))
st.caption(t("borrower.caption"))
book = shell.book()
viewer = people.Viewer(user.username, user.roles, user.staff_code)

with st.form("borrower_lookup"):
    key = st.text_input(t("borrower.key"), key="borrower_key", placeholder=t("borrower.key_placeholder"))
    if st.form_submit_button(t("borrower.look_up"), type="primary", icon=":material/search:"):
        st.session_state[SHOWN] = key.strip()
        for stale in (LOAN, AUDITED):            # a new look-up is a new view, audited again
            st.session_state.pop(stale, None)

shown = st.session_state.get(SHOWN)
if not shown:
    st.info(t("borrower.start"))
    st.stop()
view = people.borrower_view(book.con, shown, viewer, loan_id=st.session_state.get(LOAN))
if view is None:
    st.warning(t("borrower.not_found", query=shown))
    st.stop()
def plain(text: str) -> str:
    """Text shown as is in markdown: a mask's '*' must not turn into emphasis."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", text)


seen = (view.borrower_id, view.loan_id, view.revealed)
if st.session_state.get(AUDITED) != seen:       # once per view shown, not on every rerun of the same view
    people.audit_view(view, viewer, auth.origin())
    st.session_state[AUDITED] = seen

st.subheader(t("borrower.heading", borrower_id=view.borrower_id))
if view.revealed:
    st.success(t("borrower.revealed", loans=", ".join(view.assigned_loans)), icon=":material/visibility:")
elif set(people.ASSIGNMENT) & set(user.roles):
    st.info(t("borrower.masked"), icon=":material/visibility_off:")
else:
    st.info(t("borrower.masked_role"), icon=":material/visibility_off:")

with st.container(border=True, key="borrower_personal"):
    for col, field in zip(st.columns([1, 1.3, 1, 2]), ("name", "national_id", "phone", "address")):
        col.caption(t(f"borrower.{field}"))
        col.markdown(f"**{plain(view.personal[field] or '—')}**")
a = view.attributes
facts = [f"{t('borrower.' + k)}: {i18n.label(k, a[k]) if k == 'region' else a[k]}"
         for k in ("borrower_type", "gender", "birth_year", "city", "region") if a.get(k) is not None]
if a.get("monthly_income") is not None:
    facts.append(f"{t('borrower.monthly_income')}: {i18n.number(float(a['monthly_income']))}")
st.caption(" · ".join(facts))

st.markdown(f"**{t('borrower.loans')}**")
money, day = dict(format="localized"), dict(format="YYYY-MM-DD")
columns = st.column_config
loan_cols = {"loan_id": columns.TextColumn, "product": columns.TextColumn, "branch": columns.TextColumn,
             "officer": columns.TextColumn, "origination_date": lambda x: columns.DateColumn(x, **day),
             "principal": lambda x: columns.NumberColumn(x, **money), "currency": columns.TextColumn,
             "as_of": lambda x: columns.DateColumn(x, **day), "balance": lambda x: columns.NumberColumn(x, **money),
             "dpd": lambda x: columns.NumberColumn(x, format="%d"), "bucket": columns.TextColumn}
st.dataframe(i18n.localise(view.loans[list(loan_cols)], {"product": "product", "bucket": "bucket"}),
             hide_index=True, width="stretch",
             column_config={c: make(t(f"borrower.{c}")) for c, make in loan_cols.items()})
ids = list(view.loans["loan_id"])
if not ids:
    st.stop()
st.session_state.setdefault(LOAN, view.loan_id)
st.selectbox(t("borrower.loan"), ids, key=LOAN)

history = view.history
st.markdown(f"**{t('borrower.history', loan_id=view.loan_id)}**")
if history.empty:
    st.info(t("borrower.no_history"))
    st.stop()
currency = view.loans.set_index("loan_id").at[view.loan_id, "currency"]
st.plotly_chart(charts.loan_history(history, t("borrower.chart_title"), f"{view.loan_id} · {currency}",
                                    f"{t('borrower.balance')} ({currency})", t("borrower.dpd"),
                                    t("borrower.as_of")), theme=None, config={"displaylogo": False})
hist_cols = {"as_of": lambda x: columns.DateColumn(x, **day), "balance": lambda x: columns.NumberColumn(x, **money),
             "dpd": lambda x: columns.NumberColumn(x, format="%d"), "bucket": columns.TextColumn,
             "amount_due": lambda x: columns.NumberColumn(x, **money),
             "amount_paid": lambda x: columns.NumberColumn(x, **money),
             "overdue_amount": lambda x: columns.NumberColumn(x, **money), "restructured": columns.CheckboxColumn}
st.dataframe(i18n.localise(history[list(hist_cols)], {"bucket": "bucket"}), hide_index=True, width="stretch",
             column_config={c: make(t(f"borrower.{c}")) for c, make in hist_cols.items()})
