"""Collections (admins, risk managers as collection supervisors): the performance a manager reads in a minute,
champion vs challenger, and the strategy editor (validated, audited)."""
import json

import pandas as pd
import streamlit as st

from charts import collections as charts
from collection import monitor, strategy
from data import workflow
from data.errors import DataError
from ui import auth, data, downloads, shell
from ui.i18n import current, date, label, money, number, percent, signed, t

MONTHS = 12
PLOT = dict(theme=None, config={"displaylogo": False})

user = auth.require_page(__file__)
st.title(t("collections.title"))
book = shell.book()
as_of, lang = shell.as_of(book), current()
prev = shell.previous_month(book, as_of)
currency = data.book_summary(book, as_of)["currency"]
st.caption(shell.context(as_of) + " · " + t("collections.caption"))
if prev is None:
    st.info(t("collections.no_previous", date=date(as_of)))
    st.stop()

perf, cmp_tab, edit = st.tabs([t("collections.tab_performance"), t("collections.tab_compare"),
                               t("collections.tab_strategy")])


def pct(v) -> str:
    return "—" if v is None or pd.isna(v) else percent(float(v))


def delta(now, before) -> str | None:
    ok = not (now is None or before is None or pd.isna(now) or pd.isna(before))
    return signed(float(now) - float(before), "points") if ok else None


with perf:
    perf_frames = data.get(monitor.performance, book, as_of)       # kept by the daily run, else computed
    trend, flows = perf_frames["contact_trend"], perf_frames["bucket_outcomes"]
    contact_m = monitor.contact_by(trend, ("month",)).set_index("month")
    kept_m = perf_frames["kept_by_month"].set_index("month")
    flow_m = monitor.outcome_rates(flows, ("month",)).set_index("month")
    before = shell.previous_month(book, prev)

    def at(frame: pd.DataFrame, month, col):
        return frame.at[month, col] if month in frame.index else None

    cards = [("contact_rate", contact_m, as_of, prev, "attempts"), ("rpc_rate", contact_m, as_of, prev, "attempts"),
             ("ptp_rate", contact_m, as_of, prev, "right_party"), ("kept_rate", kept_m, as_of, prev, "decided"),
             ("cure_rate", flow_m, prev, before, "accounts"), ("roll_forward_rate", flow_m, prev, before, "accounts"),
             ("collected_vs_due", flow_m, prev, before, "due")]
    rows = [st.columns(4), st.columns(4)]
    for i, (key, frame, month, earlier, denom) in enumerate(cards):
        v = at(frame, month, key)
        n = at(frame, month, denom)
        rows[i // 4][i % 4].metric(
            t(f"collections.{key}"), pct(v), delta(v, at(frame, earlier, key)),
            delta_color="inverse" if key == "roll_forward_rate" else "normal", border=True,
            help=t(f"collections.{key}_help", date=date(month),
                   n=money(n, currency) if denom == "due" else number(n or 0)))
    rec = perf_frames["recoveries"]
    last_rec = rec.iloc[-1] if len(rec) else None
    rows[1][3].metric(t("collections.recovery_rate"), pct(last_rec["recovery_rate"] if last_rec is not None else None),
                      border=True, help=t("collections.recovery_rate_help", date=date(as_of),
                                          n=money(last_rec["cum_charged_off"] if last_rec is not None else 0,
                                                  currency)))

    rates = contact_m.reset_index().merge(kept_m[["kept_rate", "decided"]].reset_index(), on="month", how="outer")
    left, right = st.columns(2)
    left.plotly_chart(charts.rate_trend(
        rates, [("contact_rate", "attempts"), ("rpc_rate", "attempts"), ("ptp_rate", "right_party"),
                ("kept_rate", "decided")], t("collections.contact_title"),
        t("collections.contact_sub", first=date(rates["month"].min()), last=date(as_of)), lang), **PLOT)
    right.plotly_chart(charts.rate_trend(
        flow_m.reset_index(), [("cure_rate", "accounts"), ("roll_forward_rate", "accounts")],
        t("collections.flow_title"), t("collections.flow_sub", first=date(flow_m.index.min()),
                                       last=date(flow_m.index.max())), lang), **PLOT)
    left, right = st.columns(2)
    left.plotly_chart(charts.collected_vs_due(flow_m.reset_index(), currency, lang), **PLOT)
    left.caption(t("collections.cvd_caption"))
    right.plotly_chart(charts.bucket_rates(monitor.outcome_rates(flows[flows["month"] == prev], ("bucket",)),
                                           prev, lang), **PLOT)

    st.subheader(t("collections.breakdown"))
    outcomes = perf_frames["outcomes"]
    c1, c2 = st.columns([1, 2])
    by = c1.radio(t("collections.by"), ("agent", "team", "strategy", "channel", "segment", "arm"), horizontal=True,
                  format_func=lambda b: t(f"collections.by_{b}"), key=f"cx_by_{lang}")
    table = perf_frames[f"breakdown_{by}"]
    measures = [m for m in ("rpc_rate", "contact_rate", "ptp_rate", "kept_rate", "cure_rate", "roll_forward_rate",
                            "collected_vs_due") if m in table.columns]
    denoms = {"rpc_rate": "attempts", "contact_rate": "attempts", "ptp_rate": "attempts", "kept_rate": "promises",
              "cure_rate": "accounts", "roll_forward_rate": "accounts", "collected_vs_due": "accounts"}
    measure = c2.radio(t("collections.measure"), measures, horizontal=True, key=f"cx_measure_{by}_{lang}",
                       format_func=lambda m: t(f"collections.{m}"))
    names = {v: label("channel", v) for v in table[by]} if by == "channel" else \
        {v: t(f"collections.arm_{v}") for v in table[by]} if by == "arm" else \
        {"*": t("collections.any_team")} if by == "team" else {}
    if table.empty:
        st.info(t("collections.no_breakdown"))
    else:
        st.plotly_chart(charts.breakdown(
            table, by, measure, denoms[measure], t("collections.breakdown_title", measure=t(f"collections.{measure}"),
                                                   by=t(f"collections.by_{by}")),
            t("collections.breakdown_sub", assigned=date(prev), month=date(as_of)), lang, names), **PLOT)
        shown = table.assign(**{by: [names.get(v, v) or t("collections.none") for v in table[by]]})
        cc = st.column_config

        def col(c: str):
            if c == by:
                return cc.TextColumn(t(f"collections.by_{by}"))
            if c.endswith("_rate") or c == "collected_vs_due":
                return cc.NumberColumn(t(f"collections.col_{c}"), format="percent")
            if c in ("collected", "due"):
                return cc.NumberColumn(t(f"collections.col_{c}") + f" ({currency})", format="localized")
            if c == "cost_per_unit_collected":
                return cc.NumberColumn(t(f"collections.col_{c}"), format="%.4f")
            return cc.NumberColumn(t(f"collections.col_{c}"), format="%d")

        st.dataframe(shown, hide_index=True, width="stretch", column_config={c: col(c) for c in shown.columns})
        if by in outcomes.columns:
            values = [v for v in table[by] if v in set(outcomes[by].fillna(""))]
            pick = st.selectbox(t("collections.drill"), values, key=f"cx_drill_{by}_{lang}",
                                format_func=lambda v: names.get(v, v) or t("collections.none"))
            if pick is not None:
                rows_ = monitor.drill(outcomes, by, pick)
                st.caption(t("collections.drill_caption", n=number(len(rows_)), assigned=date(prev),
                             month=date(as_of)))
                drill_cols = ["loan_id", "bucket", "segment", "arm", "strategy", "agent", "team", "cured", "rolled",
                              "collected", "due", "cost"]
                st.dataframe(rows_[drill_cols], hide_index=True, width="stretch", height=300, column_config={
                    c: (st.column_config.NumberColumn(t(f"collections.d_{c}", currency=currency), format="localized")
                        if c in ("collected", "due", "cost") else t(f"collections.d_{c}")) for c in drill_cols})
                downloads.buttons(rows_, f"collections-{by}-{pick or 'none'}-{prev:%Y-%m}",
                                  details={"by": by, "value": pick, "assigned": prev.isoformat()})

    if len(rec):
        st.plotly_chart(charts.recoveries(rec, currency, lang), **PLOT)
        st.caption(t("collections.rec_caption"))

with cmp_tab:
    body = strategy.active()["body"]
    segs = [s["name"] for s in body["segments"] if s.get("challenger")]
    seg = st.selectbox(t("collections.segment"), [None, *segs], key=f"cx_segment_{lang}",
                       format_func=lambda s: t("collections.all_segments") if s is None else s)
    cmp = perf_frames.get(f"compare_{seg or '*'}")
    if cmp is None:                       # a segment of a strategy saved after the daily run
        cmp = data.get(monitor.comparison, book, prev, seg)
    st.caption(t("collections.cmp_caption", assigned=date(prev), month=date(as_of)))
    if cmp["champion_n"].fillna(0).min() == 0 and cmp["challenger_n"].fillna(0).min() == 0:
        st.info(t("collections.no_arms"))
    else:
        st.plotly_chart(charts.arm_intervals(cmp, prev, currency, lang), **PLOT)
        fmt = {"cure_rate": pct, "roll_forward_rate": pct,
               "collected_per_account": lambda v: "—" if pd.isna(v) else number(float(v), 2),
               "cost_per_unit_collected": lambda v: "—" if pd.isna(v) else number(float(v), 4)}
        view = pd.DataFrame({
            "metric": [t(f"collections.m_{m}") for m in cmp["metric"]],
            "champion": [f"{fmt[m](v)} [{fmt[m](lo)}, {fmt[m](hi)}] · n={number(n or 0)}" for m, v, lo, hi, n in
                         zip(cmp["metric"], cmp["champion"], cmp["champion_lo"], cmp["champion_hi"],
                             cmp["champion_n"])],
            "challenger": [f"{fmt[m](v)} [{fmt[m](lo)}, {fmt[m](hi)}] · n={number(n or 0)}" for m, v, lo, hi, n in
                           zip(cmp["metric"], cmp["challenger"], cmp["challenger_lo"], cmp["challenger_hi"],
                               cmp["challenger_n"])],
            "p_value": ["—" if pd.isna(p) else f"{p:.3f}" for p in cmp["p_value"]],
            "verdict": [t("collections.v_" + v.replace(" ", "_")) for v in cmp["verdict"]]})
        st.dataframe(view, hide_index=True, width="stretch",
                     column_config={c: t(f"collections.cmp_{c}") for c in view.columns})
        st.caption(t("collections.cmp_rules"))

with edit:
    act = strategy.active()
    st.caption(t("collections.strategy_active", name=act["name"], id=act["strategy_id"], by=act["created_by"],
                 at=date(act["created_at"].date())))
    segs = pd.DataFrame([{"segment": s["name"], "buckets": ", ".join(label("bucket", b) for b in s["buckets"]),
                          "risk": ", ".join(s["risk"]), "balance": ", ".join(s["balance"]), "path": s["path"],
                          "challenger": (f"{s['challenger']['path']} ({s['challenger']['share']:.0%})"
                                         if s.get("challenger") else "—")} for s in act["body"]["segments"]])
    st.dataframe(segs, hide_index=True, width="stretch",
                 column_config={c: t(f"collections.seg_{c}") for c in segs.columns})
    paths = pd.DataFrame([{"path": p, "steps": " → ".join(f"D+{s['day']} {label('channel', s['channel'])}"
                                                          for s in steps)}
                          for p, steps in act["body"]["paths"].items()])
    st.dataframe(paths, hide_index=True, width="stretch",
                 column_config={"path": t("collections.seg_path"), "steps": t("collections.steps")})
    with st.form("cx_strategy"):
        text = st.text_area(t("collections.json"), json.dumps(act["body"], indent=2, ensure_ascii=False),
                            height=360, help=t("collections.json_help"))
        note = st.text_input(t("collections.note"))
        b1, b2 = st.columns(2)
        check = b1.form_submit_button(t("collections.check"), icon=":material/rule:")
        save = b2.form_submit_button(t("collections.save"), type="primary", icon=":material/save:")
    if check or save:
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            st.error(t("collections.bad_json", line=exc.lineno, col=exc.colno, msg=exc.msg))
        else:
            try:
                if save:
                    with workflow.acting_as(user.username, auth.origin()):
                        sid = strategy.save(parsed, note=note or None, actor=user.username)
                    st.success(t("collections.saved", id=sid))
                else:
                    norm = strategy.validate(parsed)
                    st.success(t("collections.valid", segments=len(norm["segments"]), paths=len(norm["paths"])))
            except strategy.StrategyError as exc:
                st.error(t("collections.refused", field=exc.field, error=str(exc).split(": ", 2)[-1]))
            except DataError as exc:
                st.error(str(exc))
    hist = pd.DataFrame([{k: s[k] for k in ("strategy_id", "name", "status", "created_at", "created_by", "note")}
                         for s in strategy.history()])
    with st.expander(t("collections.history", n=len(hist))):
        st.dataframe(hist, hide_index=True, width="stretch",
                     column_config={c: t(f"collections.h_{c}") for c in hist.columns})
