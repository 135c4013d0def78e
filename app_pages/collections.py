"""Collections (admins, risk managers as collection supervisors): the performance a manager reads in a minute,
champion vs challenger, and the strategy editor (validated, audited)."""
import json

import pandas as pd
import streamlit as st

from charts import collections as charts
from collection import figures, monitor, strategy
from data import workflow
from data.errors import DataError
from ui import auth, data, downloads, shell
from ui.i18n import current, date, label, money, number, percent, signed, t

MONTHS = 12
PLOT = dict(theme=None, config={"displaylogo": False})

user = auth.require_page(__file__)
st.title(t("collections.title"))
book = shell.book()
as_of, lang, flt = shell.as_of(book), current(), shell.filters()
prev = shell.previous_month(book, as_of)
summary = data.book_summary(book, as_of, flt)
currency = summary["currency"]
st.caption(shell.context(as_of) + " · " + t("collections.caption"))
if prev is None:
    st.info(t("collections.no_previous", date=date(as_of)))
    st.stop()
shell.stop_if_empty(summary["open_loans"], as_of)
ver = monitor.stamp(as_of)                   # changes when a collector records an action: the figures follow

perf, cmp_tab, edit = st.tabs([t("collections.tab_performance"), t("collections.tab_compare"),
                               t("collections.tab_strategy")])


def pct(v) -> str:
    return "—" if v is None or pd.isna(v) else percent(float(v))


def num(v, digits: int = 0) -> str:
    return "—" if v is None or pd.isna(v) else number(float(v), digits)


def dash(v) -> str:
    return "—" if v is None or (not isinstance(v, str) and pd.isna(v)) or v == "" else str(v)


def delta(now, before) -> str | None:
    ok = not (now is None or before is None or pd.isna(now) or pd.isna(before))
    return signed(float(now) - float(before), "points") if ok else None


with perf:
    with st.spinner(t("collections.computing")):
        tr = data.get(monitor.trends, book, as_of, flt, ver)   # kept per month-end; computed once when not yet
    meta = tr["meta"]
    if meta.get("source") == "daily":
        st.caption(t("collections.source_daily", at=meta["computed_at"][:16].replace("T", " ")))
    else:
        last = figures.last_daily()
        st.caption(t("collections.source_view", at=meta["computed_at"][:16].replace("T", " "),
                     last=date(last) if last else t("collections.never")))
    trend, flows = tr["contact_trend"], tr["bucket_outcomes"]
    contact_m = monitor.contact_by(trend, ("month",)).set_index("month")
    kept_m = tr["kept_by_month"].set_index("month")
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
                   n=money(n or 0, currency) if denom == "due" else number(n or 0)))
    rec = tr["recoveries"]
    last_rec = rec.iloc[-1] if len(rec) else None
    rows[1][3].metric(t("collections.recovery_rate"), pct(last_rec["recovery_rate"] if last_rec is not None else None),
                      border=True, help=t("collections.recovery_rate_help", date=date(as_of),
                                          n=money(last_rec["cum_charged_off"] if last_rec is not None else 0,
                                                  currency)))

    rates = contact_m.reset_index().merge(kept_m[["kept_rate", "decided"]].reset_index(), on="month", how="outer")
    left, right = st.columns(2)
    if len(rates):
        left.plotly_chart(charts.rate_trend(
            rates, [("contact_rate", "attempts"), ("rpc_rate", "attempts"), ("ptp_rate", "right_party"),
                    ("kept_rate", "decided")], t("collections.contact_title"),
            t("collections.contact_sub", first=date(rates["month"].min()), last=date(as_of)), lang), **PLOT)
    if len(flow_m):
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
    c1, c2 = st.columns([1, 2])
    by = c1.radio(t("collections.by"), ("agent", "team", "strategy", "channel", "segment", "arm"), horizontal=True,
                  format_func=lambda b: t(f"collections.by_{b}"), key=f"cx_by_{lang}")
    table = data.get(monitor.breakdown_of, book, as_of, by, flt, ver)
    measures = [m for m in ("rpc_rate", "contact_rate", "ptp_rate", "kept_rate", "cure_rate", "roll_forward_rate",
                            "collected_vs_due") if m in table.columns]
    denoms = {"rpc_rate": "attempts", "contact_rate": "attempts", "ptp_rate": "attempts", "kept_rate": "promises",
              "cure_rate": "accounts", "roll_forward_rate": "accounts", "collected_vs_due": "accounts"}
    measure = c2.radio(t("collections.measure"), measures, horizontal=True, key=f"cx_measure_{by}_{lang}",
                       format_func=lambda m: t(f"collections.{m}"))
    names = {v: label("channel", v) for v in table[by]} if by == "channel" else \
        {v: t(f"collections.arm_{v}") for v in table[by]} if by == "arm" else \
        {"*": t("collections.any_team")} if by == "team" else {}
    if table.empty or measure is None:
        st.info(t("collections.no_breakdown"))
    else:
        st.plotly_chart(charts.breakdown(
            table, by, measure, denoms[measure], t("collections.breakdown_title", measure=t(f"collections.{measure}"),
                                                   by=t(f"collections.by_{by}")),
            t("collections.breakdown_sub", assigned=date(prev), month=date(as_of)), lang, names), **PLOT)
        show = {by: [names.get(v, v) or t("collections.none") for v in table[by]]}
        for c in table.columns:
            if c == by:
                continue
            fmt = pct if c.endswith("_rate") or c == "collected_vs_due" else \
                (lambda v: num(v, 4)) if c == "cost_per_unit_collected" else num
            show[c] = [fmt(v) for v in table[c]]
        shown = pd.DataFrame(show)

        def head(c: str) -> str:
            if c == by:
                return t(f"collections.by_{by}")
            return t(f"collections.col_{c}") + (f" ({currency})" if c in ("collected", "due") else "")

        st.dataframe(shown, hide_index=True, width="stretch",
                     column_config={c: st.column_config.TextColumn(head(c)) for c in shown.columns})
        if "accounts" in table.columns:
            values = [v for v, n in zip(table[by], table["accounts"]) if pd.notna(n) and n > 0]
            pick = st.selectbox(t("collections.drill"), values, key=f"cx_drill_{by}_{lang}",
                                format_func=lambda v: names.get(v, v) or t("collections.none"))
            if pick is not None:
                rows_ = data.get(monitor.accounts, book, as_of, by, pick, flt, ver)
                st.caption(t("collections.drill_caption", n=number(len(rows_)), assigned=date(prev),
                             month=date(as_of)))
                drill_cols = ["loan_id", "bucket", "segment", "arm", "strategy", "agent", "team", "cured", "rolled",
                              "collected", "due", "cost"]
                d = rows_[drill_cols].assign(
                    bucket=[label("bucket", b) for b in rows_["bucket"]],
                    arm=[t(f"collections.arm_{a}") for a in rows_["arm"]],
                    agent=[dash(a) for a in rows_["agent"]],
                    team=[t("collections.any_team") if v == "*" else dash(v) for v in rows_["team"]],
                    **{c: [dash(v) for v in rows_[c]] for c in ("segment", "strategy")})
                st.dataframe(d, hide_index=True, width="stretch", height=300, column_config={
                    c: (st.column_config.NumberColumn(t(f"collections.d_{c}", currency=currency), format="localized")
                        if c in ("collected", "due", "cost") else
                        st.column_config.CheckboxColumn(t(f"collections.d_{c}")) if c in ("cured", "rolled") else
                        t(f"collections.d_{c}")) for c in drill_cols})
                downloads.buttons(rows_, f"collections-{by}-{pick or 'none'}-{prev:%Y-%m}",
                                  details={"by": by, "value": pick, "assigned": prev.isoformat(),
                                           "filters": str(flt.params()) if flt.active else "whole book"})

    if len(rec):
        st.plotly_chart(charts.recoveries(rec, currency, lang), **PLOT)
        st.caption(t("collections.rec_caption"))

with cmp_tab:
    body = strategy.active()["body"]
    segs = [s["name"] for s in body["segments"] if s.get("challenger")]
    seg = st.selectbox(t("collections.segment"), [None, *segs], key=f"cx_segment_{lang}",
                       format_func=lambda s: t("collections.all_segments") if s is None else s)
    cmp = data.get(monitor.comparison, book, as_of, seg, flt, ver)
    st.caption(t("collections.cmp_caption", assigned=date(prev), month=date(as_of)))
    if cmp["champion_n"].fillna(0).min() == 0 and cmp["challenger_n"].fillna(0).min() == 0:
        st.info(t("collections.no_arms"))
    else:
        st.plotly_chart(charts.arm_intervals(cmp, prev, currency, lang), **PLOT)
        fmt = {"cure_rate": pct, "roll_forward_rate": pct, "collected_per_account": lambda v: num(v, 2),
               "cost_per_unit_collected": lambda v: num(v, 4)}
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
    if flt.active:
        st.info(t("collections.strategy_unfiltered"), icon=":material/filter_alt_off:")
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
    hist = pd.DataFrame([{k: (dash(s[k]) if k == "note" else s[k])
                          for k in ("strategy_id", "name", "status", "created_at", "created_by", "note")}
                         for s in strategy.history()])
    with st.expander(t("collections.history", n=len(hist))):
        st.dataframe(hist, hide_index=True, width="stretch",
                     column_config={c: t(f"collections.h_{c}") for c in hist.columns})
