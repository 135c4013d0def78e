"""Vintage curves: cumulative ever-30+/60+/90+/charged-off by months on book per origination cohort, every cohort on
one chart, the cohorts side by side at one age, and the cohort x MOB table, as known at the chosen month-end."""
import streamlit as st

from analytics import vintage
from charts import vintage as charts
from ui import auth, data, downloads, shell
from ui.i18n import current, date, percent, t

PLOT = dict(theme=None, config={"displaylogo": False})

auth.require_page(__file__)
st.title(t("vintage.title"))

book = shell.book()
as_of, flt, lang = shell.as_of(book), shell.filters(), current()
currency = data.book_summary(book, as_of, flt)["currency"]
st.caption(shell.context(as_of) + " · " + t("vintage.caption"))

c1, c2, c3 = st.columns([2, 1.3, 1])
metric = c1.radio(t("vintage.metric"), list(vintage.METRICS), key=f"vi_metric_{lang}", horizontal=True,
                  format_func=lambda m: t(f"vintage.metric_{m}", lang))
weight = c2.radio(t("vintage.weight"), ["count", "balance"], key=f"vi_weight_{lang}", horizontal=True,
                  format_func=lambda w: t(f"vintage.weight_{w}", lang))
by = c3.radio(t("vintage.by"), ["month", "quarter"], key=f"vi_by_{lang}", horizontal=True,
              format_func=lambda b: t(f"vintage.by_{b}", lang))

curves = data.get(vintage.vintage_curves, book, metric, weight, by, flt, as_of=as_of)
if curves.empty:
    st.info(t("vintage.no_cohorts", date=date(as_of)))
    st.stop()
cohorts = sorted(curves["cohort"].unique())
oldest = int(curves["mob"].max())
c1, c2 = st.columns([3, 1.2])
chosen = f"vi_highlight_{by}_{lang}"
if chosen in st.session_state:           # cohorts not drawn at this month-end (or under these filters) drop out
    st.session_state[chosen] = [c for c in st.session_state[chosen] if c in cohorts]
highlight = tuple(c1.multiselect(t("vintage.highlight"), cohorts, key=chosen, help=t("vintage.highlight_help"),
                                 placeholder=t("vintage.highlight_none")))
mob = c2.select_slider(t("vintage.at_mob"), list(range(oldest + 1)), value=min(12, oldest // 2),
                       key=f"vi_mob_{oldest}_{lang}", help=t("vintage.at_mob_help"))

st.plotly_chart(charts.vintage_chart(curves, metric, weight, by, as_of, lang, currency, highlight), **PLOT)
st.plotly_chart(charts.vintage_at_mob(curves, mob, metric, weight, by, as_of, lang, currency, highlight), **PLOT)

st.subheader(t("vintage.table_title"))
table = vintage.vintage_table(curves)
mobs = [c for c in table.columns if c.startswith("mob_")]
shown = table.assign(**{c: table[c].map(lambda v: "" if v != v else percent(v)) for c in mobs})   # blank = not reached
st.dataframe(shown, hide_index=True, width="stretch", column_config={
    "cohort": st.column_config.TextColumn(t("vintage.col_cohort"), pinned=True),
    "loans": st.column_config.NumberColumn(t("vintage.col_loans"), format="localized"),
    "principal": st.column_config.NumberColumn(t("vintage.col_principal", currency=currency), format="localized"),
    **{c: st.column_config.TextColumn(t("vintage.col_mob", n=c[4:])) for c in mobs}})
st.caption(t("vintage.table_caption", unit=t(f"vintage.unit_{weight}", currency=currency),
             desc=t(f"vintage.desc_{metric}"), date=date(as_of)))
downloads.buttons(table, f"vintage-{metric}-{weight}-{by}",
                  details={"as_of": as_of, "metric": metric, "weight": weight, "by": by, "filters": flt})
