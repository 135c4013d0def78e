"""The target and version choice shared by the Models and Model monitoring pages; the choice lasts across them."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from models import registry
from models.targets import TARGETS
from ui.i18n import t

CHOICE = "model_choice"           # lasting (target, version)


def target_label(name: str, lang: str | None = None) -> str:
    return t(f"models.target_{name}", lang) if name in TARGETS else name


def pick(table: pd.DataFrame, key: str, lang: str) -> tuple[str, str]:
    """Target and version selectboxes over the registry `table` (registry.list_models), defaulting to the last
    choice, else the target's champion, else its newest version; widget keys start with `key`."""
    targets = list(dict.fromkeys(table["target"]))
    chosen = st.session_state.get(CHOICE)
    c1, c2 = st.columns(2)
    target = c1.selectbox(t("models.pick_target"), targets,
                          index=targets.index(chosen[0]) if chosen and chosen[0] in targets else 0,
                          format_func=lambda n: target_label(n, lang), key=f"{key}_target_{lang}")
    versions = table.loc[table["target"] == target, "version"].tolist()[::-1]          # newest first
    champ = registry.champion(target)
    default = chosen[1] if chosen and chosen[0] == target and chosen[1] in versions else (champ or versions[0])
    version = c2.selectbox(t("models.pick_version"), versions, index=versions.index(default),
                           format_func=lambda v: v + (f" · {t('models.champion_mark', lang)}" if v == champ else ""),
                           key=f"{key}_version_{target}_{lang}")
    st.session_state[CHOICE] = (target, version)
    return target, version
