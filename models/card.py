"""The model card of a registered version: purpose, data, target, features, metrics, limitations, version,
approvals, as one self-contained HTML page (charts inline as SVG) that is also the source of the PDF.

The figures come from the stored version (report, out-of-time predictions, monitoring), the approvals from the
audit log (model_promote entries of the version). Text is in the catalog (ui/locales/models.toml, card_*), so a
card can be written in English or Chinese. Rendering a page to PDF is one function (`pdf`) so the shared export
module can take it over.
"""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from models import catalog, monitor, registry
from models.validation import Evaluation, version_evaluation
from ui.i18n import t

TOP_FEATURES = 15


@dataclass(frozen=True)
class Card:
    target: str
    version: str
    champion: bool
    report: dict
    params: dict
    evaluation: Evaluation
    importance: pd.DataFrame            # feature, en, zh, mean_abs_shap, gain
    approvals: list[dict]               # at, actor, reason, previous (model_promote audit entries)
    monitoring: monitor.Monitoring | None


def approvals(target: str, version: str) -> list[dict]:
    """Who promoted this version to champion, when and why (the audit log), oldest first."""
    import json
    from data import workflow
    out = []
    for e in workflow.audit_entries(action="model_promote", text=f"{target}/{version}", limit=None):
        if e.get("target") == f"{target}/{version}":
            d = json.loads(e["details"]) if e.get("details") else {}
            out.append({"at": e["at"], "actor": e["actor"], "reason": d.get("reason"), "previous": d.get("previous")})
    return sorted(out, key=lambda a: a["at"])


def build(target: str, version: str, home: Path | None = None) -> Card:
    """Everything a card shows, read from the registry and the audit log."""
    import json
    folder = registry.version_dir(target, version, home)
    report = registry.read_report(target, version, home)
    params = json.loads((folder / "params.json").read_text())
    return Card(target, version, registry.champion(target, home) == version, report, params,
                version_evaluation(target, version, home), pd.DataFrame(report.get("importance", [])),
                approvals(target, version), monitor.read_monitoring(target, version, home))


def limitations(card: Card, lang: str = "en") -> list[str]:
    """Fixed caveats of the method, then the ones this version's own figures raise."""
    r, ev = card.report, card.evaluation
    out = [t("models.card_lim_demo", lang), t("models.card_lim_oot", lang, months=len(r["data"]["oot_months"])),
           t("models.card_lim_drift", lang)]
    low = ev.grades[ev.grades["pd_too_low"]]
    if len(low):
        out.append(t("models.card_lim_grades", lang, grades=", ".join(low["grade"])))
    if ev.bads < 100:
        out.append(t("models.card_lim_few_bads", lang, bads=ev.bads))
    if ev.hl_p_value < 0.05:
        out.append(t("models.card_lim_hl", lang, p=f"{ev.hl_p_value:.3g}"))
    psi = r.get("psi") or 0
    if psi >= 0.10:
        out.append(t("models.card_lim_psi", lang, psi=f"{psi:.3f}"))
    m = card.monitoring
    if m is not None and len(m.psi) and (m.psi["band"] != "stable").any():
        months = ", ".join(f"{x:%Y-%m}" for x in m.psi.loc[m.psi["band"] != "stable", "month"])
        out.append(t("models.card_lim_drift_seen", lang, months=months))
    return out


def _table(df: pd.DataFrame, headers: list[str], formats: list) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(f(v))}</td>" for f, v in zip(formats, row)) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pct(v) -> str:
    return "—" if v is None or pd.isna(v) else f"{v:.2%}"


def _num(digits: int):
    return lambda v: "—" if v is None or pd.isna(v) else f"{v:,.{digits}f}"


def _kv(rows: list[tuple[str, str]]) -> str:
    return "<table class='kv'>" + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                                          for k, v in rows) + "</table>"


CSS = """
body { font-family: 'Source Sans Pro', 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif; font-size: 10.5pt;
       color: #222; margin: 0 auto; max-width: 1000px; padding: 16px; }
h1 { font-size: 19pt; margin-bottom: 2px; } h2 { font-size: 13.5pt; border-bottom: 1px solid #ccc; margin-top: 18px; }
.sub { color: #555; margin-top: 0; } table { border-collapse: collapse; margin: 6px 0 10px; font-size: 9.5pt; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; } th { background: #f3f5f8; }
td:first-child, th:first-child { text-align: left; } table.kv th { text-align: left; width: 32%; }
table.kv td { text-align: left; } .fig svg { width: 100%; height: auto; } .fig { page-break-inside: avoid; }
ul { margin-top: 4px; } @page { size: A4; margin: 14mm; }
"""


def html_page(card: Card, figures: dict[str, str], lang: str = "en") -> str:
    """The card as one self-contained HTML page; `figures` maps roc, calibration, deciles to SVG markup."""
    r, ev = card.report, card.evaluation
    tg, d = r["target"], r["data"]
    label = "zh" if lang == "zh" else "en"
    status = t("models.card_champion" if card.champion else "models.card_not_champion", lang)
    purpose_key = f"models.card_purpose_{card.target}"
    purpose = t(purpose_key, lang, h=tg["horizon"], d=tg["bad_dpd"] - 1)
    if purpose == purpose_key:
        purpose = t("models.card_purpose_other", lang, h=tg["horizon"], d=tg["bad_dpd"])
    dev = r.get("development", {})
    imp = card.importance.head(TOP_FEATURES).copy()
    imp["reason"] = [catalog.reason_text(catalog.BY_NAME[f].reason, lang) if f in catalog.BY_NAME else ""
                     for f in imp["feature"]]
    metrics_rows = pd.DataFrame([
        ("AUC", ev.auc, dev.get("auc")), ("Gini", ev.gini, dev.get("gini")), ("KS", ev.ks, dev.get("ks")),
        ("Brier", ev.brier, dev.get("brier")), (t("models.ece", lang), ev.ece, None),
        (t("models.hl_p", lang), ev.hl_p_value, None), ("PSI", r.get("psi"), None)])
    grades = ev.grades.assign(test=[t("models.yes" if x else "models.no", lang) for x in ev.grades["pd_too_low"]])
    approvals_html = (_table(pd.DataFrame([(a["at"][:19].replace("T", " "), a["actor"], a.get("reason") or "—",
                                            a.get("previous") or "—") for a in card.approvals]),
                             [t(f"models.card_appr_{k}", lang) for k in ("at", "actor", "reason", "previous")],
                             [str] * 4) if card.approvals
                      else f"<p>{html.escape(t('models.card_no_approval', lang))}</p>")
    fig_html = "".join(f"<div class='fig'>{figures[k]}</div>" for k in ("roc", "calibration", "deciles")
                       if k in figures)
    parts = [
        f"<h1>{html.escape(t('models.card_title', lang, target=card.target))}</h1>",
        f"<p class='sub'>{html.escape(t('models.card_subtitle', lang, version=card.version, status=status))}</p>",
        f"<h2>{html.escape(t('models.card_h_purpose', lang))}</h2><p>{html.escape(purpose)}</p>",
        f"<h2>{html.escape(t('models.card_h_version', lang))}</h2>",
        _kv([(t("models.card_version", lang), card.version), (t("models.card_status", lang), status),
             (t("models.card_created", lang), str(r.get("created_at", ""))[:19].replace("T", " ")),
             (t("models.card_method", lang), t("models.card_method_text", lang,
                                                trees=r.get("training", {}).get("best_iteration", "?"),
                                                seed=r.get("seed", "?"))),
             (t("models.card_params", lang), ", ".join(f"{k}={card.params[k]}" for k in
                                                        ("learning_rate", "num_leaves", "min_child_samples",
                                                         "feature_fraction", "lambda_l2") if k in card.params))]),
        f"<h2>{html.escape(t('models.card_h_data', lang))}</h2>",
        _kv([(t("models.card_source", lang), str(d.get("source") or "—")),
             (t("models.card_dev_months", lang), f"{d['development_months'][0]} – {d['development_months'][-1]}"),
             (t("models.card_oot_months", lang), f"{d['oot_months'][0]} – {d['oot_months'][-1]}"),
             (t("models.card_dev_rows", lang), t("models.card_rows_bads", lang,
                                                 rows=f"{dev.get('rows_total', dev.get('rows', 0)):,}",
                                                 bads=_pct(dev.get("bad_rate")))),
             (t("models.card_oot_rows", lang), t("models.card_rows_bads", lang, rows=f"{ev.rows:,}",
                                                 bads=_pct(ev.bad_rate)))]),
        f"<h2>{html.escape(t('models.card_h_target', lang))}</h2>",
        f"<p>{html.escape(t('models.card_target_text', lang, h=tg['horizon'], d=tg['bad_dpd']))}</p>",
        f"<h2>{html.escape(t('models.card_h_features', lang))}</h2>",
        f"<p>{html.escape(t('models.card_features_text', lang, n=len(catalog.NAMES), top=len(imp)))}</p>",
        _table(imp[[label, "mean_abs_shap", "reason"]], [t("models.col_feature", lang),
                                                         t("models.col_mean_abs_shap", lang),
                                                         t("models.col_reason", lang)], [str, _num(4), str]),
        f"<h2>{html.escape(t('models.card_h_metrics', lang))}</h2>",
        _table(metrics_rows, [t("models.col_metric", lang), t("models.card_oot", lang), t("models.card_dev", lang)],
               [str, _num(4), _num(4)]),
        fig_html,
        _table(ev.deciles[["decile", "loans", "bads", "bad_rate", "mean_pd", "lift"]],
               [t(f"models.col_{c}", lang) for c in ("decile", "loans", "bads", "bad_rate", "mean_pd", "lift")],
               [str, _num(0), _num(0), _pct, _pct, _num(2)]),
        _table(grades[["grade", "loans", "bads", "bad_rate", "mean_pd", "p_value", "test"]],
               [t(f"models.col_{c}", lang) for c in ("grade", "loans", "bads", "bad_rate", "mean_pd", "p_value",
                                                      "pd_too_low")],
               [str, _num(0), _num(0), _pct, _pct, _num(3), str]),
        f"<h2>{html.escape(t('models.card_h_limitations', lang))}</h2><ul>"
        + "".join(f"<li>{html.escape(x)}</li>" for x in limitations(card, lang)) + "</ul>",
        f"<h2>{html.escape(t('models.card_h_approvals', lang))}</h2>", approvals_html,
        f"<p class='sub'>{html.escape(t('models.card_generated', lang, at=f'{dt.datetime.now():%Y-%m-%d %H:%M}'))}</p>",
    ]
    return (f"<!DOCTYPE html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
            f"<title>{html.escape(t('models.card_title', lang, target=card.target))} {card.version}</title>"
            f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>")


def figure_svg(fig) -> str:
    """A plotly figure as inline SVG markup through the shared kaleido server (reports/render.py); an empty string
    when no browser can draw it here (the card then goes without that chart)."""
    from reports import render
    try:
        return render.svg(fig, 900, int(fig.layout.height or 470))
    except render.ChartsUnavailable:
        return ""


def pdf(page: str) -> bytes:
    """A self-contained HTML page as PDF (WeasyPrint through reports/render.py; the page's CSS sets A4)."""
    from reports import render
    return render.pdf(page)
