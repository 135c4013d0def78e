"""Data (admin): import a file or a query (map columns, check, import with progress), import history, backups."""
import hashlib

import pandas as pd
import streamlit as st

from data import backup, importers, intake, workflow
from data.errors import DataError, UsageError
from ui import auth
from ui.i18n import t

admin = auth.require_page(__file__)
FLASH, CHECKED = "data_flash", "data_checked"


def flash() -> None:
    if FLASH in st.session_state:
        kind, text = st.session_state.pop(FLASH)
        getattr(st, kind)(text)


def size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 1e5 else f"{n / 1e3:,.1f} kB"


# ---- import ------------------------------------------------------------------------------------------------

def source_input() -> tuple[dict, str] | None:
    """What to import ({'file': (name, bytes)} or {'url', 'query'}) and a fingerprint of it; None until given."""
    kind = st.radio(t("admin_data.source"), ["file", "sql"], horizontal=True, key="data_source",
                    format_func=lambda k: t(f"admin_data.source_{k}"))
    if kind == "file":
        up = st.file_uploader(t("admin_data.file"), type=["csv", "gz", "parquet", "xlsx"], key="data_upload",
                              help=t("admin_data.file_help"))
        if up is None:
            st.info(t("admin_data.upload_first"))
            return None
        payload = up.getvalue()
        return {"file": (up.name, payload)}, f"file:{up.name}:{hashlib.sha256(payload).hexdigest()}"
    url = st.text_input(t("admin_data.url"), key="data_url", help=t("admin_data.url_help"))
    query = st.text_area(t("admin_data.query"), key="data_query", height=110)
    if not url.strip() or not query.strip():
        st.info(t("admin_data.query_first"))
        return None
    return {"url": url.strip(), "query": query.strip()}, f"sql:{url.strip()}:{query.strip()}"


def on_file(source: dict, work):
    """work(path) on the uploaded bytes in a private temp folder outside the workspace, removed afterwards."""
    name, payload = source["file"]
    with intake.staged_upload(name, payload) as path:
        return work(path)


def columns_of(source: dict) -> list[str]:
    if "file" in source:
        return on_file(source, intake.file_columns)
    return intake.query_columns(source["url"], source["query"])


def mapping_input(columns: list[str], table: str, fingerprint: str) -> dict[str, str | None]:
    st.markdown(f"**{t('admin_data.mapping')}**", help=t("admin_data.mapping_help"))
    targets = intake.table_columns(table)
    defaults = intake.default_mapping(columns, table)
    chosen, grid = {}, st.columns(4)
    for i, col in enumerate(columns):
        options = [None] + targets
        chosen[col] = grid[i % 4].selectbox(
            col, options, index=options.index(defaults[col]), key=f"data_map_{fingerprint[:40]}_{table}_{i}",
            format_func=lambda v: t("admin_data.as_is") if v is None else v)
    return chosen


def show_check(result: intake.CheckResult) -> None:
    if result.ok:
        st.success(t("admin_data.checked_ok", rows=f"{result.rows_read:,}"), icon=":material/task_alt:")
        return
    st.error(t("admin_data.checked_bad", rows=f"{result.rows_read:,}", problems=f"{result.problems_total:,}"))
    labels = {c: t(f"admin_data.{c}") for c in intake.PROBLEM_COLUMNS}
    st.dataframe(pd.DataFrame(result.problems, columns=list(labels)).rename(columns=labels), hide_index=True,
                 width="stretch")
    if result.problems_total > len(result.problems):
        st.caption(t("admin_data.problems_more", shown=len(result.problems), total=f"{result.problems_total:,}"))


def run_import(source: dict, table: str, renames: dict[str, str]) -> None:
    bar = st.progress(0.0, text=t("admin_data.importing"))
    done = [0.0]

    def progress(message: str) -> None:
        done[0] = intake.progress_fraction(message, done[0])
        bar.progress(done[0], text=message)
    try:
        with workflow.acting_as(admin.username, auth.origin()):
            if "file" in source:
                summary = on_file(source, lambda p: importers.import_file(p, table, renames, progress=progress))
            else:
                summary = importers.import_sql(source["url"], source["query"], table, renames, progress=progress)
    except DataError as exc:
        bar.empty()
        st.error(t("admin_data.rejected", error=exc))
        if exc.report:
            st.code(exc.report, language=None)
        return
    except UsageError as exc:
        bar.empty()
        st.error(t("admin_data.failed", error=exc))
        return
    bar.progress(1.0, text=t("admin_data.importing"))
    key = "imported" if summary["rows_inserted"] or summary["rows_updated"] else "nothing_changed"
    st.success(t(f"admin_data.{key}", inserted=f"{summary['rows_inserted']:,}", import_id=summary["import_id"],
                 updated=f"{summary['rows_updated']:,}", unchanged=f"{summary['rows_unchanged']:,}"))
    st.session_state.pop(CHECKED, None)


def import_tab() -> None:
    table = st.selectbox(t("admin_data.table"), intake.tables(), key="data_table")
    given = source_input()
    if given is None:
        return
    source, fingerprint = given
    try:
        columns = columns_of(source)
    except (DataError, UsageError) as exc:
        st.error(t("admin_data.failed", error=exc))
        return
    mapping = mapping_input(columns, table, fingerprint)
    signature = (fingerprint, table, tuple(sorted((k, v or "") for k, v in mapping.items())))
    renames = intake.renames(mapping)
    left, right, _ = st.columns([1, 1, 4])
    if left.button(t("admin_data.check"), key="data_check", icon=":material/rule:"):
        try:
            result = (on_file(source, lambda p: intake.check_file(p, table, renames)) if "file" in source
                      else intake.check_query(source["url"], source["query"], table, renames))
            st.session_state[CHECKED] = (signature, result)
        except (DataError, UsageError) as exc:
            st.session_state.pop(CHECKED, None)
            st.error(t("admin_data.failed", error=exc))
    checked = st.session_state.get(CHECKED)
    ready = checked is not None and checked[0] == signature and checked[1].ok
    go = right.button(t("admin_data.import"), key="data_import", type="primary", disabled=not ready,
                      help=t("admin_data.import_help"), icon=":material/upload:")
    if checked is not None and checked[0] == signature and not go:
        show_check(checked[1])
    if go and ready:
        run_import(source, table, renames)


# ---- history and backups -----------------------------------------------------------------------------------

def history_tab() -> None:
    rows = workflow.import_history(limit=200)
    if not rows:
        st.info(t("admin_data.history_empty"))
        return
    cols = ("import_id", "started_at", "finished_at", "actor", "kind", "source", "target_table", "status",
            "rows_read", "rows_written", "problems", "message")
    labels = {c: t(f"admin_data.{'source_col' if c == 'source' else c}") for c in cols}
    when = {labels[c]: st.column_config.DatetimeColumn(labels[c], format="YYYY-MM-DD HH:mm:ss")
            for c in ("started_at", "finished_at")}
    shown = pd.DataFrame(rows)[list(cols)]
    shown[["target_table", "message"]] = shown[["target_table", "message"]].fillna("")
    st.dataframe(shown.rename(columns=labels), hide_index=True, width="stretch", column_config=when)


def _backup() -> None:
    try:
        result = backup.create_backup(actor=admin.username, origin=auth.origin())
        st.session_state[FLASH] = ("success", t("admin_data.backup_done", path=result["path"],
                                                size=size(result["bytes"])))
    except (DataError, UsageError) as exc:
        st.session_state[FLASH] = ("error", t("admin_data.failed", error=exc))


def _restore() -> None:
    s = st.session_state
    path = backup.backup_dir() / s["data_restore_choice"]
    try:
        r = backup.restore_backup(path, restore_workflow=s.get("data_restore_workflow", False),
                                  actor=admin.username, origin=auth.origin())
    except (DataError, UsageError) as exc:
        s[FLASH] = ("error", t("admin_data.failed", error=exc))
        return
    key = "restore_done_workflow" if r["workflow_restored"] else "restore_done"
    s[FLASH] = ("success", t(f"admin_data.{key}", file=path.name, generation=r["generation"],
                             kept=r["workflow_kept_at"]))
    s["data_restore_confirm"] = False


def backups_tab() -> None:
    st.caption(t("admin_data.backup_caption"))
    if workflow.engine().dialect.name != "sqlite":
        st.warning(t("admin_data.backup_pg"))
    st.button(t("admin_data.backup_now"), key="data_backup", on_click=_backup, icon=":material/backup:")
    found = backup.list_backups()
    if not found:
        st.info(t("admin_data.backups_none", folder=backup.backup_dir()))
        return
    st.dataframe(pd.DataFrame({
        t("admin_data.backup_file"): [p.name for p in found],
        t("admin_data.backup_size"): [size(p.stat().st_size) for p in found],
        t("admin_data.backup_time"): [pd.Timestamp(p.stat().st_mtime, unit="s").floor("s") for p in found]}),
        hide_index=True, width="stretch")
    st.markdown(f"**{t('admin_data.restore_title')}**")
    st.selectbox(t("admin_data.restore_choice"), [p.name for p in found], key="data_restore_choice")
    if workflow.engine().dialect.name == "sqlite":
        st.checkbox(t("admin_data.restore_workflow"), key="data_restore_workflow")
    confirmed = st.checkbox(t("admin_data.restore_confirm"), key="data_restore_confirm")
    st.button(t("admin_data.restore"), key="data_restore", on_click=_restore, disabled=not confirmed,
              icon=":material/settings_backup_restore:")


st.title(t("admin_data.title"))
st.caption(t("admin_data.caption"))
flash()
tab_import, tab_history, tab_backups = st.tabs([t("admin_data.tab_import"), t("admin_data.tab_history"),
                                                t("admin_data.tab_backups")])
with tab_import:
    import_tab()
with tab_history:
    history_tab()
with tab_backups:
    backups_tab()
