"""Audit log (admin): the chain's status, a search by who, action, dates and text, and an audited CSV export."""
import pandas as pd
import streamlit as st

from data import workflow
from ui import auth
from ui.i18n import t

admin = auth.require_page(__file__)
LIMIT = 1000

st.title(t("audit.title"))
st.caption(t("audit.caption"))

intact, broken, checked = workflow.verify_audit()
if intact:
    st.success(t("audit.intact", n=f"{checked:,}"), icon=":material/verified:")
else:
    st.error(t("audit.broken", seq=broken, n=f"{checked:,}"), icon=":material/gpp_bad:")

facets = workflow.audit_facets()
cols = st.columns([2, 2, 1.4, 1.4, 3])
everyone = t("audit.all")
actor = cols[0].selectbox(t("audit.actor"), [everyone] + facets["actor"], key="audit_actor")
action = cols[1].selectbox(t("audit.action"), [everyone] + facets["action"], key="audit_action")
since = cols[2].date_input(t("audit.since"), value=None, key="audit_since")
until = cols[3].date_input(t("audit.until"), value=None, key="audit_until")
text = cols[4].text_input(t("audit.text"), key="audit_text", help=t("audit.text_help"))
query = {"actor": None if actor == everyone else actor, "action": None if action == everyone else action,
         "since": since, "until": until, "text": text.strip() or None}

entries = workflow.audit_entries(**query, limit=LIMIT)
if not entries:
    st.info(t("audit.none"))
    st.stop()
st.caption(t("audit.shown", n=f"{len(entries):,}", limit=f"{LIMIT:,}"))
labels = {c: t(f"audit.{c}") for c in ("seq", "at", "actor", "action", "target", "details", "origin")}
shown = pd.DataFrame(entries)[list(labels)].fillna("")
shown["at"] = shown["at"].str[:19].str.replace("T", " ")            # ISO-8601 UTC to the second
st.dataframe(shown.rename(columns=labels), hide_index=True, width="stretch",
             height=min(520, 35 * (len(shown) + 1) + 3))

origin = auth.origin()             # read here: the export runs on another thread, outside this script run
st.download_button(t("audit.export"), lambda: workflow.export_audit(query, by=admin.username, origin=origin),
                   file_name="loanwatch-audit.csv", mime="text/csv", on_click="ignore", icon=":material/download:",
                   key="audit_export", help=t("audit.export_help"))
