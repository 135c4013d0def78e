"""Borrower 360: one loan or borrower looked up by id (or opened from a list with ?loan=), personal data masked
unless assigned to the viewer (audited); the loan's payments, bureau and alternative data, classification, model PD
with reasons, alerts, reviews and collection actions."""
import re

import pandas as pd
import streamlit as st

from analytics import explorer
from analytics.tiers import TIERS
from charts import borrower as charts
from data import borrower360, people
from ui import auth, data, i18n, shell
from ui.i18n import t

user = auth.require_page(__file__)
SHOWN, LOAN, AUDITED = "borrower_shown", "borrower_loan", "borrower_audited"

st.title(t("borrower.title"))
st.caption(t("borrower.caption"))
book = shell.book()
viewer = people.Viewer(user.username, user.roles, user.staff_code)
linked = st.query_params.get("loan")
if linked and st.session_state.get("borrower_linked") != linked:     # opened from a list: look the loan up
    st.session_state["borrower_linked"] = st.session_state[SHOWN] = st.session_state["borrower_key"] = linked
    for stale in (LOAN, AUDITED):
        st.session_state.pop(stale, None)

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

as_of, lang = shell.as_of(book), i18n.current()
ids_t = tuple(ids)
detail = data.get(explorer.loan_detail, book, view.loan_id, as_of)
tabs = st.tabs([t(f"borrower.tab_{k}") for k in ("payments", "bureau", "alt", "classification", "model", "alerts",
                                                 "reviews", "collections")])


def table(df: pd.DataFrame, cols: dict[str, str], kinds: dict[str, str] | None = None) -> None:
    """Columns of df with translated headers (borrower.<column>); an empty frame says so."""
    if df.empty:
        st.caption(t("borrower.none"))
        return
    shown = i18n.localise(df[list(cols)], kinds or {})
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={c: t(f"borrower.{c}") if fmt == "text" else
                                columns.DateColumn(t(f"borrower.{c}"), **day) if fmt == "date" else
                                columns.NumberColumn(t(f"borrower.{c}"), format=fmt) for c, fmt in cols.items()})


with tabs[0]:
    table(detail.payments if detail else pd.DataFrame(), {"payment_date": "date", "amount": "localized",
                                                          "channel": "text", "is_reversal": "text"})
with tabs[1]:
    bureau = detail.bureau if detail else pd.DataFrame()
    if len(bureau):
        st.plotly_chart(charts.lines(bureau, {"score": t("borrower.score")}, t("borrower.bureau_title"),
                                     t("borrower.bureau_subtitle", borrower=view.borrower_id, date=i18n.date(as_of)),
                                     t("borrower.score_axis"), t("borrower.as_of")),
                        theme=None, config={"displaylogo": False})
    table(bureau, {"as_of": "date", "score": "%d", "inquiries_30d": "%d", "delinquencies_elsewhere": "%d",
                   "total_debt": "localized"})
with tabs[2]:
    alt = data.get(borrower360.alt_series, book, view.loan_id, as_of)
    if len(alt):
        st.plotly_chart(charts.lines(alt, {"account_balance": t("borrower.account_balance"),
                                           "salary_deposit": t("borrower.salary_deposit")},
                                     t("borrower.alt_title"), t("borrower.alt_subtitle", borrower=view.borrower_id,
                                                                date=i18n.date(as_of), currency=currency),
                                     t("borrower.amount_axis", currency=currency), t("borrower.as_of")),
                        theme=None, config={"displaylogo": False})
    table(alt, {"as_of": "date", "salary_deposit": "localized", "account_balance": "localized",
                "utilisation": "percent", "litigation": "text", "negative_news": "text", "phone_reachable": "text",
                "address_changed": "text"})
with tabs[3]:
    tiers = data.get(borrower360.class_history, book, view.loan_id, as_of)
    words = {x: t(f"reviews.tier_{x}") for x in TIERS}
    if len(tiers):
        st.plotly_chart(charts.tier_history(tiers, list(TIERS), words, t("borrower.class_title"),
                                            t("borrower.class_subtitle", loan_id=view.loan_id, date=i18n.date(as_of)),
                                            t("borrower.as_of")), theme=None, config={"displaylogo": False})
        tiers = tiers.assign(tier=tiers["tier"].map(words))
    table(tiers, {"as_of": "date", "tier": "text", "rule": "text", "stage": "%d", "pd": "percent",
                  "ecl": "localized"})
with tabs[4]:
    scores = data.get(borrower360.score_series, book, view.loan_id, as_of)
    latest = borrower360.latest_reasons(scores, lang)
    if latest is None:
        st.info(t("borrower.no_scores"))
    else:
        c1, c2 = st.columns(2)
        c1.metric(t("borrower.model_pd", target=latest["target"], date=i18n.date(latest["as_of"])),
                  i18n.percent(latest["pd"]), border=True)
        c2.metric(t("borrower.grade"), latest["grade"], border=True)
        st.markdown(t("borrower.reasons"))
        for reason in latest["reasons"] or [t("borrower.no_reasons")]:
            st.markdown(f"- {reason}")
        st.plotly_chart(charts.lines(scores.pivot_table(index="as_of", columns="target", values="pd")
                                     .reset_index(), {c: c for c in sorted(scores["target"].unique())},
                                     t("borrower.pd_title"), t("borrower.pd_subtitle", loan_id=view.loan_id,
                                                               date=i18n.date(as_of)),
                                     t("borrower.pd_axis"), t("borrower.as_of"), percent=True),
                        theme=None, config={"displaylogo": False})
with tabs[5]:
    table(borrower360.loan_alerts(ids_t).assign(signal=lambda d: d["signal"].map(lambda x: t(f"alerts.signal_{x}")),
                                                severity=lambda d: d["severity"].map(
                                                    lambda x: t(f"alerts.severity_{x}")),
                                                status=lambda d: d["status"].map(lambda x: t(f"alerts.status_{x}"))),
          {"alert_id": "%d", "loan_id": "text", "signal": "text", "severity": "text", "status": "text",
           "raised_at": "date", "owner": "text"})
with tabs[6]:
    table(borrower360.loan_reviews(ids_t).assign(kind=lambda d: d["kind"].map(lambda x: t(f"reviews.kind_{x}")),
                                                 status=lambda d: d["status"].map(
                                                     lambda x: t(f"reviews.status_{x}"))),
          {"review_id": "%d", "loan_id": "text", "kind": "text", "due_date": "date", "status": "text",
           "reviewer": "text", "classification": "text", "findings": "text"})
with tabs[7]:
    table(detail.actions if detail else pd.DataFrame(), {"action_date": "date", "channel": "text", "agent": "text",
                                                         "outcome": "text", "promise_amount": "localized"},
          {"channel": "channel", "outcome": "outcome"})
