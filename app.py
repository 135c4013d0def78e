"""Loanwatch dashboard: the router and login gate. Run with `make run` (or `streamlit run app.py`)."""
import streamlit as st

from data import pii
from ui import auth, nav, shell
from ui.i18n import t

st.set_page_config(page_title="Loanwatch", page_icon=":material/account_balance:", layout="wide")
pii.ensure_secrets()


def _signed_out() -> None:
    """The only page a visitor who has not logged in can reach: the form above is all there is."""


user = auth.gate()
if user is None:
    with st.sidebar:
        shell.language_picker()
    st.navigation([st.Page(_signed_out, title=t("auth.login"), url_path="login")], position="hidden").run()
else:
    page = nav.navigation(user.roles)
    shell.sidebar(user)
    shell.run(page)
