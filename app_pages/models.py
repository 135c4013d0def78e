"""Models: the behaviour-model population and its observed bad rate, until the models land (validators' home)."""
import streamlit as st

from analytics.population import BAD_DPD, HORIZON, maturity_month
from charts import models as charts
from ui import auth, data, i18n, shell
from ui.i18n import current, date, money, month, number, percent, t

auth.require_page(__file__)
st.title(t("models.title"))
st.info(t("models.pending"), icon=":material/info:")

book = shell.book()
as_of, flt, lang = shell.as_of(book), shell.filters(), current()
pop = data.behaviour_population(book, as_of, flt)
now = pop[pop.as_of == as_of]
shell.stop_if_empty(int(now["loans"].iloc[0]) if len(now) else 0, as_of)
currency = data.book_summary(book, as_of, flt)["currency"]
st.caption(shell.context(as_of) + " · " + t("models.caption", h=HORIZON, d=BAD_DPD - 1))

mature = pop[pop.mature]
cols = st.columns(4)
cols[0].metric(t("models.population"), number(now["loans"].iloc[0]), border=True, help=t("models.population_help"))
cols[1].metric(t("models.population_balance"), money(now["balance"].iloc[0], currency), border=True)
cols[2].metric(t("models.mature_months"), f"{number(len(mature))} / {number(len(pop))}", border=True,
               help=t("models.mature_help", h=HORIZON))
if len(mature):
    last = mature.iloc[-1]
    cols[3].metric(t("models.latest_bad_rate", date=month(last["as_of"])), percent(last["bad_rate"]), border=True,
                   help=t("models.bad_rate_help", bads=number(last["bads"]), loans=number(last["loans"]), h=HORIZON))
else:
    cols[3].metric(t("models.latest_bad_rate_none"), "—", border=True)
    st.warning(t("models.none_mature", h=HORIZON, first=date(pop["as_of"].iloc[0]),
                 ready=date(maturity_month(pop["as_of"].iloc[0], HORIZON))))

left, right = st.columns(2)
left.plotly_chart(charts.population_bar(pop, as_of, lang), theme=None, config={"displaylogo": False})
right.plotly_chart(charts.bad_rate_line(pop, as_of, HORIZON, lang), theme=None, config={"displaylogo": False})

with st.expander(t("models.table_heading")):
    st.dataframe(
        i18n.localise(pop, {"mature": "yes_no"}), hide_index=True,
        column_config={
            "as_of": st.column_config.DateColumn(t("models.col_as_of"), format="YYYY-MM-DD"),
            "loans": st.column_config.NumberColumn(t("models.col_loans"), format="localized"),
            "balance": st.column_config.NumberColumn(t("models.col_balance", currency=currency), format="localized"),
            "bads": st.column_config.NumberColumn(t("models.col_bads"), format="localized"),
            "bad_rate": st.column_config.NumberColumn(t("models.col_bad_rate"), format="percent"),
            "mature": st.column_config.TextColumn(t("models.col_mature")),
            "months_observed": st.column_config.NumberColumn(t("models.col_months_observed", h=HORIZON)),
        })
