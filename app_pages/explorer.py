"""Portfolio explorer: balance and 30+ delinquency by a dimension; click a bar for its loans, a loan for its history;
and the largest borrower exposures. Borrowers appear by id only (no personal data)."""
import re

import streamlit as st

from analytics import explorer
from charts import borrower as borrower_charts
from charts import explorer as charts
from ui import auth, data, downloads, i18n, shell
from ui.i18n import current, date, number, percent, t

auth.require_page(__file__)
st.title(t("explorer.title"))

book = shell.book()
as_of, flt, lang = shell.as_of(book), shell.filters(), current()
summary = data.book_summary(book, as_of, flt)
shell.stop_if_empty(summary["open_loans"], as_of)
currency = summary["currency"]
st.caption(shell.context(as_of) + " · " + t("explorer.caption", currency=currency))
NONCE, LOAN_NONCE = "explorer_nonce", "explorer_loan_nonce"          # bumped to clear a selection ("back")
CHART = dict(theme=None, config={"displaylogo": False})
money, day = st.column_config.NumberColumn, st.column_config.DateColumn


def picker(name: str, options: tuple, fmt, default):
    """A horizontal radio whose choice outlives a language switch (one widget key per language, seeded from the
    lasting `explorer_<name>`); `fmt` binds the language (AppTest formats options outside the run)."""
    key = f"explorer_{name}_{lang}"
    if st.session_state.get(key) not in options:
        lasting = st.session_state.get(f"explorer_{name}")
        st.session_state[key] = lasting if lasting in options else default
    value = st.radio(t(f"explorer.{name}"), options, key=key, format_func=fmt, horizontal=True)
    st.session_state[f"explorer_{name}"] = value
    return value


def bump(key: str) -> None:
    st.session_state[key] = st.session_state.get(key, 0) + 1


def plain(text: str) -> str:
    """Text shown as is in markdown (ids and codes may hold * or _)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", str(text))


def columns(df, names: dict) -> dict:
    """column_config for the columns of df that `names` formats (label from explorer.col_<name>)."""
    return {c: make(t(f"explorer.col_{c}")) for c, make in names.items() if c in df.columns}


def table(df, names: dict, what: str, extra: dict | None = None, **kw):
    st.dataframe(df, hide_index=True, width="stretch", column_config=columns(df, names), **kw)
    downloads.buttons(df, what, details={"as_of": as_of, "filters": flt, **(extra or {})})


NUM = lambda x: money(x, format="localized")          # noqa: E731
INT = lambda x: money(x, format="%d")                  # noqa: E731
PCT = lambda x: money(x, format="percent")             # noqa: E731
DAY = lambda x: day(x, format="YYYY-MM-DD")            # noqa: E731
TEXT = st.column_config.TextColumn

left, right = st.columns([3, 1])
with left:
    dimension = picker("dimension", explorer.DIMENSIONS, lambda d, lang=lang: t(f"explorer.dim_{d}", lang), "product")
with right:
    cohort_by = picker("cohort_by", explorer.COHORT_BY, lambda c, lang=lang: t(f"explorer.by_{c}", lang), "month") \
        if dimension == "cohort" else "month"
grade = data.get(explorer.grade_source, book, as_of) if dimension == "grade" else None
if grade is not None:
    st.info(t(f"explorer.grade_{grade.source}", target=grade.target, date=date(as_of),
              loans=number(grade.loans)), icon=":material/info:")
source = grade.source if grade else "origination"

trail = st.container()                     # the breadcrumb, filled once the clicks below are known
seg = data.get(explorer.segment_table, book, as_of, dimension, flt, cohort_by)
fig = charts.segment_bars(seg, dimension, as_of, currency, lang, source)
key = f"explorer_chart_{dimension}_{cohort_by}_{st.session_state.get(NONCE, 0)}"
event = st.plotly_chart(fig, on_select="rerun", selection_mode="points", key=key, **CHART)
picked = None
for point in (event["selection"]["points"] if event else []):
    code = point.get("customdata")
    code = code[0] if isinstance(code, list) else code
    if code in set(seg["segment"]):
        picked = code
        break
if picked is None:
    st.caption(t("explorer.click_hint"))

dim_word = t(f"explorer.dim_{dimension}")
shown_seg = seg.assign(name=[charts.segment_name(dimension, v, source, lang) for v in seg["segment"]])
with st.expander(t("explorer.segment_table", dimension=dim_word), expanded=False):
    table(shown_seg[["name", "segment", "loans", "balance", "balance_share", "dpd30_loans", "dpd30_balance",
                     "dpd30_rate", "dpd30_rate_count"]],
          {"name": TEXT, "segment": TEXT, "loans": INT, "balance": NUM, "balance_share": PCT, "dpd30_loans": INT,
           "dpd30_balance": NUM, "dpd30_rate": PCT, "dpd30_rate_count": PCT},
          f"explorer-{dimension}", {"dimension": dimension, "cohort_by": cohort_by, "grade_source": source})

loan_id = None
if picked is not None:
    name = charts.segment_name(dimension, picked, source, lang)
    total = int(seg.loc[seg.segment == picked, "loans"].iloc[0])
    st.subheader(t("explorer.loans_heading", dimension=dim_word, segment=name))
    c1, c2 = st.columns([2, 1])
    with c1:
        order = picker("order", explorer.ORDERS, lambda o, lang=lang: t(f"explorer.order_{o}", lang), "balance")
    pages = max(1, -(-total // explorer.PAGE_SIZE))
    with c2:
        page = st.number_input(t("explorer.page", pages=number(pages)), min_value=1, max_value=pages, value=1,
                               step=1, key=f"explorer_page_{dimension}_{cohort_by}_{picked}_{order}")
    lp = data.get(explorer.loan_list, book, as_of, dimension, picked, flt, cohort_by, order, int(page),
                  explorer.PAGE_SIZE, total)
    st.caption(t("explorer.loans_caption", first=number(lp.first), last=number(lp.first + len(lp.rows) - 1),
                 total=number(lp.total), currency=currency))
    cols = ["loan_id", "borrower_id", "product", "region", "branch", "officer", "origination_date",
            "origination_grade"] + (["model_grade"] if source == "model" else []) + ["balance", "dpd", "bucket"]
    shown = i18n.localise(lp.rows[cols], {"product": "product", "region": "region", "bucket": "bucket"})
    loans_key = f"explorer_loans_{dimension}_{cohort_by}_{picked}_{order}_{lp.page}_{st.session_state.get(LOAN_NONCE, 0)}"
    chosen = st.dataframe(shown, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                          key=loans_key, column_config=columns(shown, {
                              "loan_id": TEXT, "borrower_id": TEXT, "product": TEXT, "region": TEXT, "branch": TEXT,
                              "officer": TEXT, "origination_date": DAY, "origination_grade": TEXT,
                              "model_grade": TEXT, "balance": NUM, "dpd": INT, "bucket": TEXT}))
    downloads.buttons(lp.rows[cols], "explorer-loans", key="dl_explorer_loans",
                      details={"as_of": as_of, "filters": flt, "dimension": dimension, "segment": picked,
                               "order": order, "page": lp.page, "loans": lp.total})
    rows = chosen["selection"]["rows"] if chosen else []
    if rows and rows[0] < len(lp.rows):
        loan_id = str(lp.rows["loan_id"].iloc[rows[0]])
    else:
        st.caption(t("explorer.row_hint"))

with trail:
    crumbs = [t("explorer.crumb_book")]
    if picked is not None:
        crumbs.append(f"{dim_word}: {charts.segment_name(dimension, picked, source, lang)}")
    if loan_id is not None:
        crumbs.append(t("explorer.crumb_loan", loan=loan_id))
    c1, c2, c3 = st.columns([4, 1, 1])
    c1.markdown(" › ".join(f"**{plain(c)}**" if i == len(crumbs) - 1 else plain(c) for i, c in enumerate(crumbs)))
    if picked is not None:
        c2.button(t("explorer.back_to_segments"), on_click=bump, args=(NONCE,), icon=":material/arrow_upward:",
                  key="explorer_back_segments")
    if loan_id is not None:
        c3.button(t("explorer.back_to_list"), on_click=bump, args=(LOAN_NONCE,), icon=":material/arrow_back:",
                  key="explorer_back_list")

if loan_id is not None:
    detail = data.get(explorer.loan_detail, book, loan_id, as_of)
    h = detail.header
    st.subheader(t("explorer.loan_heading", loan=loan_id))
    facts = [t("explorer.col_borrower_id") + f": {h['borrower_id']}",
             t("explorer.col_product") + f": {i18n.label('product', h['product'])}",
             t("explorer.col_branch") + f": {h['branch'] or '—'}", t("explorer.col_officer") + f": {h['officer'] or '—'}",
             t("explorer.col_origination_date") + f": {date(h['origination_date'])}",
             t("explorer.principal") + f": {number(h['principal'] or 0, 2)} {h['currency']}",
             t("explorer.col_origination_grade") + f": {h['grade'] or '—'}"]
    st.caption(" · ".join(facts))
    loan_currency = h["currency"]
    if detail.history.empty:
        st.info(t("explorer.no_history", date=date(as_of)))
    else:
        st.plotly_chart(borrower_charts.loan_history(
            detail.history, t("explorer.history_title"),
            t("explorer.history_note", loan=loan_id, currency=loan_currency, date=date(as_of)),
            f"{t('explorer.col_balance')} ({loan_currency})", t("explorer.col_dpd"), t("explorer.as_of_axis")),
            **CHART)
    extra = {"loan_id": loan_id}
    tabs = st.tabs([t("explorer.tab_history"), t("explorer.tab_payments"), t("explorer.tab_bureau"),
                    t("explorer.tab_actions")])
    with tabs[0]:
        table(i18n.localise(detail.history, {"bucket": "bucket"}),
              {"as_of": DAY, "balance": NUM, "dpd": INT, "bucket": TEXT, "amount_due": NUM, "amount_paid": NUM,
               "overdue_amount": NUM, "restructured": st.column_config.CheckboxColumn}, "explorer-loan-history", extra)
    with tabs[1]:
        if detail.payments.empty:
            st.info(t("explorer.no_payments", date=date(as_of)))
        table(i18n.localise(detail.payments, {"channel": "channel"}),
              {"payment_date": DAY, "amount": NUM, "channel": TEXT, "is_reversal": st.column_config.CheckboxColumn},
              "explorer-loan-payments", extra)
    with tabs[2]:
        if detail.bureau.empty:
            st.info(t("explorer.no_bureau", date=date(as_of)))
        else:
            st.plotly_chart(charts.bureau_series(detail.bureau, loan_id, h["borrower_id"], as_of, lang), **CHART)
        table(detail.bureau, {"as_of": DAY, "score": INT, "inquiries_30d": INT, "delinquencies_elsewhere": INT,
                              "total_debt": NUM}, "explorer-loan-bureau", extra)
    with tabs[3]:
        if detail.actions.empty:
            st.info(t("explorer.no_actions", date=date(as_of)))
        table(i18n.localise(detail.actions, {"channel": "channel", "outcome": "outcome"}),
              {"action_date": DAY, "channel": TEXT, "agent": TEXT, "outcome": TEXT, "promise_amount": NUM,
               "promise_date": DAY}, "explorer-loan-actions", extra)

st.divider()
st.subheader(t("explorer.concentration"))
top = data.get(explorer.top_exposures, book, as_of, flt, 20)
cols = st.columns(3)
cols[0].metric(t("explorer.top10_share"), percent(explorer.top_share(top, 10)), border=True,
               help=t("explorer.top10_help"))
cols[1].metric(t("explorer.top20_share"), percent(explorer.top_share(top, 20)), border=True,
               help=t("explorer.top20_help"))
cols[2].metric(t("explorer.largest_share"), percent(explorer.top_share(top, 1)), border=True,
               help=t("explorer.largest_help"))
st.plotly_chart(charts.exposures_bar(top, as_of, currency, lang), **CHART)
table(top.assign(borrower_type=[t(f"explorer.type_{v}") if v else "" for v in top["borrower_type"]]),
      {"rank": INT, "borrower_id": TEXT, "borrower_type": TEXT, "loans": INT, "balance": NUM, "share": PCT,
       "cum_share": PCT}, "explorer-top-exposures")
