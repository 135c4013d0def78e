"""Loanwatch dashboard: the router and login gate. Run with `make run` (or `streamlit run app.py`)."""
import streamlit as st

from data import pii
from ui import auth, nav, shell
from ui.i18n import t

st.set_page_config(page_title="Loanwatch", page_icon=":material/account_balance:", layout="wide")
pii.ensure_secrets()


def _signed_out() -> None:
    """The only page a visitor who has not logged in can reach: the form above is all there is."""


def _signed_out_pages() -> list:
    """The login page, and a stand-in at every page's URL (the same form): a link such as /borrower?loan=L1
    opened signed out keeps its page and query in the address bar, so once logged in the real page of that URL
    runs with them. Only the pages the user's roles allow are registered then: any other stays refused."""
    stand_ins = {st.Page(p.path).url_path for p in nav.PAGES}
    return [st.Page(_signed_out, title=t("auth.login"), url_path="login")] + [
        st.Page(_signed_out, title=t("auth.login"), url_path=path) for path in sorted(stand_ins)]


user = auth.gate()
if user is None:
    with st.sidebar:
        shell.language_picker()
    st.navigation(_signed_out_pages(), position="hidden").run()
else:
    page = nav.navigation(user.roles)
    shell.sidebar(user)
    shell.run(page)
