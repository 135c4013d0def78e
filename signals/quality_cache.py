"""The signal-quality backtest kept per published generation: it scans every month-end, so it is computed once
(on demand, or by a batch) and read back with the time it was computed, instead of on every page view."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd

import config
from signals.quality import signal_quality


def _path(generation: str, horizon: int) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(generation).name)
    return config.home() / "signal_quality" / f"{safe}-h{horizon}.json"


def stored(generation: str, horizon: int = 3) -> tuple[pd.DataFrame, dt.datetime] | None:
    """(table, computed_at UTC) of the backtest kept for this generation, or None when none was computed."""
    p = _path(generation, horizon)
    if not p.exists():
        return None
    doc = json.loads(p.read_text())
    return pd.DataFrame(doc["rows"], columns=doc["columns"]), dt.datetime.fromisoformat(doc["computed_at"])


def compute(con: duckdb.DuckDBPyConnection, generation: str, horizon: int = 3) -> tuple[pd.DataFrame, dt.datetime]:
    """Run the backtest (signals.quality.signal_quality) over the generation and keep it; returns what stored gives."""
    df = signal_quality(con, horizon)
    at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    p = _path(generation, horizon)
    p.parent.mkdir(parents=True, exist_ok=True)
    rows = json.loads(df.to_json(orient="values", double_precision=10))
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps({"computed_at": at.isoformat(), "columns": list(df.columns), "rows": rows}))
    tmp.replace(p)
    return stored(generation, horizon)
