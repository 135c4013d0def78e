"""What every AppTest module shares: the app with a signed-in user, the checks that nothing failed, and readers of
what a page drew (metrics, plotly specs, numeric arrays)."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from data import store
from ui import i18n

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
UNEXPECTED = i18n.t("common.unexpected_error", "en")


def app(username: str | None = None, roles: list[str] | None = None, lang: str | None = None,
        script: str = APP) -> AppTest:
    """The app with a signed-in user in session state (skips the form, as a remembered login would)."""
    at = AppTest.from_file(script, default_timeout=30)
    if username:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.session_state["name"] = username.title()
        at.session_state["roles"] = roles
    if lang:
        at.session_state["lang"] = lang
    return at


def ok(at: AppTest) -> AppTest:
    """No exception, and no unexpected error caught by ui.shell.run either."""
    assert not at.exception, [e.value for e in at.exception]
    assert UNEXPECTED not in [e.value for e in at.error]
    return at


def shows_no_data(at: AppTest) -> bool:
    return (not at.metric and not at.get("plotly_chart") and not at.dataframe
            and "Portfolio overview" not in [t.value for t in at.title])


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def values(v) -> list:
    """A data array of a figure spec as a list (plotly sends numeric arrays base64-encoded)."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return a.reshape([int(n) for n in str(v["shape"]).split(",")]).tolist() if "shape" in v else a.tolist()
    return list(v)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def cursor(home: Path):
    return store.reader(home).cursor()
