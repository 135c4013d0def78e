"""Upsert checked import rows into a new generation: compare with the published data, write only what changed.

Rows are matched by the table's key; a row identical to the published one is left alone ('same'), a changed
one is deleted and inserted again, a new one inserted. Borrowers' plain personal data is encrypted here, in
memory, before it leaves the staging database; identical rows are found by decrypting the published tokens.
"""
from __future__ import annotations

from typing import Callable, Iterable

import pyarrow as pa

import config
from data import pii, store, validate
from data.errors import DataError
from data.staging import Staging
from data.validate import TableSpec

Progress = Callable[[str], None] | None


def _say(progress: Progress, message: str) -> None:
    if progress is not None:
        progress(message)


# ---------------------------------------------------------------------------------------------- deltas
def _same_sql(columns: Iterable[str]) -> str:
    return " AND ".join(f"t.{c} IS NOT DISTINCT FROM p.{c}" for c in columns) or "TRUE"


def _key_join(key: tuple[str, ...], a: str = "t", b: str = "p") -> str:
    return " AND ".join(f"{a}.{k} = {b}.{k}" for k in key)


def compute_delta(stg: Staging, spec: TableSpec) -> dict[str, int]:
    """delta_<table>: each typed row with _status new / changed / same against the published data."""
    if spec.name == "borrowers":
        return _borrowers_delta(stg, spec)
    cols = spec.column_names
    stg.con.execute(
        f"CREATE OR REPLACE TABLE delta_{spec.name} AS SELECT {', '.join('t.' + c for c in cols)}, "
        f"CASE WHEN p.{spec.key[0]} IS NULL THEN 'new' WHEN {_same_sql(cols)} THEN 'same' ELSE 'changed' END "
        f"AS _status FROM typed_{spec.name} t LEFT JOIN pub.{spec.name} p ON {_key_join(spec.key)}")
    drop_typed(stg, spec.name)
    return _counts(stg, spec.name)


def drop_typed(stg: Staging, table: str) -> None:
    stg.con.execute(f"DROP VIEW typed_{table}")
    stg.con.execute(f"DROP TABLE typed_{table}_data")


def _counts(stg: Staging, table: str) -> dict[str, int]:
    got = dict(stg.con.execute(f"SELECT _status, count(*) FROM delta_{table} GROUP BY 1").fetchall())
    return {"rows_inserted": got.get("new", 0), "rows_updated": got.get("changed", 0),
            "rows_unchanged": got.get("same", 0)}


def _crypt(fn: Callable[[list], list], values: list) -> list:
    """fn(values) with the key made sure of; no key needed when there is nothing to encrypt or decrypt."""
    if all(v is None for v in values):
        return [None] * len(values)
    pii.ensure_secrets()
    return fn(values)


def _borrowers_delta(stg: Staging, spec: TableSpec) -> dict[str, int]:
    """Encrypt the plain personal data in chunks; a row whose decrypted published values all match is 'same'."""
    cols = spec.column_names
    plain = list(pii.PII_FIELDS)
    rest = [c for c in cols if c not in validate.COMPUTED_BORROWER_COLUMNS]
    stg.con.execute(f"CREATE OR REPLACE TABLE delta_borrowers AS SELECT {', '.join(cols)}, "
                    f"'' AS _status FROM pub.borrowers LIMIT 0")
    rcur, cur = stg.con.cursor(), stg.con.cursor()
    reader = rcur.sql(
        f"SELECT {', '.join('t.' + c for c in rest)}, {', '.join('t.' + f for f in plain)}, "
        f"p.borrower_id IS NOT NULL AS _exists, {_same_sql(rest)} AS _rest_same, "
        f"{', '.join(f'p.{f}_enc AS _old_{f}' for f in plain)} "
        f"FROM typed_borrowers t LEFT JOIN pub.borrowers p ON t.borrower_id = p.borrower_id"
    ).to_arrow_reader(config.setting("import_chunk_rows"))
    for batch in reader:
        data = {c: batch.column(c).to_pylist() for c in ("_exists", "_rest_same", *plain,
                                                         *(f"_old_{f}" for f in plain))}
        compare = [e and r for e, r in zip(data["_exists"], data["_rest_same"])]
        same = list(compare)
        for f in plain:                      # published values decrypted in memory only, to compare
            old = _crypt(pii.decrypt_many, [t if c else None for t, c in zip(data[f"_old_{f}"], compare)])
            same = [s and o == v for s, o, v in zip(same, old, data[f])]
        status = ["same" if s else ("changed" if e else "new") for s, e in zip(same, data["_exists"])]
        for f in plain:                      # rows left unchanged are not written: no need to encrypt them
            data[f] = [None if s else v for s, v in zip(same, data[f])]
        arrays = {c: batch.column(c) for c in rest}
        for f in plain:
            arrays[f"{f}_enc"] = pa.array(_crypt(pii.encrypt_many, data[f]), pa.string())
        arrays["national_id_hash"] = pa.array(_crypt(pii.blind_index_many, data["national_id"]), pa.string())
        arrays["_status"] = pa.array(status, pa.string())
        table = pa.table({c: arrays[c] for c in (*cols, "_status")})
        cur.register("lw_enc", table)
        cur.execute(f"INSERT INTO delta_borrowers SELECT {', '.join(cols)}, _status FROM lw_enc")
        cur.unregister("lw_enc")
        del data, arrays, table
    rcur.close()
    cur.close()
    drop_typed(stg, "borrowers")
    return _counts(stg, "borrowers")


# ---------------------------------------------------------------------------------------------- writing
def write_deltas(stg: Staging, specs: list[TableSpec], progress: Progress) -> str | None:
    """Upsert every new or changed row in one new generation; None when nothing changes."""
    changes = {s.name: _counts(stg, s.name) for s in specs}
    if not any(c["rows_inserted"] or c["rows_updated"] for c in changes.values()):
        _say(progress, "nothing changed: no new generation published")
        return stg.published.name if stg.published else None
    chunk = config.setting("import_chunk_rows")
    try:
        with store.new_generation() as gcon:
            if store.current_path() != stg.published:
                raise DataError("the published data changed while this import was being checked "
                                "(another import or job finished); nothing was written, run the import again")
            for spec in validate.parent_first([s.name for s in specs]):
                spec = validate.table_spec(spec)
                c = changes[spec.name]
                cols = ", ".join(spec.column_names)
                cur = stg.con.cursor()
                if c["rows_updated"]:
                    keys = cur.sql(f"SELECT {', '.join(spec.key)} FROM delta_{spec.name} "
                                   f"WHERE _status = 'changed'").to_arrow_reader(chunk)
                    gcon.register("lw_keys", keys)
                    gcon.execute(f"DELETE FROM {spec.name} USING lw_keys k WHERE "
                                 f"{_key_join(spec.key, spec.name, 'k')}")
                    gcon.unregister("lw_keys")
                if c["rows_inserted"] or c["rows_updated"]:
                    _say(progress, f"writing {c['rows_inserted']:,} new and {c['rows_updated']:,} changed rows "
                                   f"to {spec.name}")
                    rows = cur.sql(f"SELECT {cols} FROM delta_{spec.name} "
                                   f"WHERE _status <> 'same'").to_arrow_reader(chunk)
                    gcon.register("lw_rows", rows)
                    gcon.execute(f"INSERT INTO {spec.name} ({cols}) SELECT {cols} FROM lw_rows")
                    gcon.unregister("lw_rows")
                cur.close()
            from models.features_scored import forget_changed     # scored months' feature rows now stale
            forget_changed(gcon, [n for n, c in changes.items() if c["rows_inserted"] or c["rows_updated"]])
            from analytics.summaries import build as build_summaries  # monthly summaries the pages read
            build_summaries(gcon, lambda m: _say(progress, m))
            _say(progress, "checking data contracts of the new generation")
    except store.ContractError as exc:
        raise DataError(f"rejected at publish: {exc}", problems=len(exc.violations)) from None
    except store.StoreError as exc:
        raise DataError(str(exc)) from None
    path = store.current_path()
    return path.name if path else None
