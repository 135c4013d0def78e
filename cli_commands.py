"""What each command-line command does: thin calls into the core, printing results."""
from __future__ import annotations

import argparse
import io
import json
import sys
import time

from data.errors import DataError, UsageError


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _mapping(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        src, sep, dst = pair.partition(":")
        if not sep or not src or not dst:
            raise UsageError(f"--map expects SRC:DST, got {pair!r}")
        out[src] = dst
    return out


def _print_frame(df, fmt: str) -> None:
    if fmt == "json":
        print(df.to_json(orient="records", date_format="iso", double_precision=10))
    else:
        buf = io.StringIO()
        df.to_csv(buf, index=False, lineterminator="\n")
        sys.stdout.write(buf.getvalue())


def cmd_demo(args: argparse.Namespace) -> int:
    from data.demo import build_demo
    if args.loans < 1 or args.months < 2:
        raise UsageError("--loans must be at least 1 and --months at least 2")
    summary = build_demo(n_loans=args.loans, months=args.months, seed=args.seed, end_month=args.end,
                         progress=_progress)
    print(json.dumps(summary, indent=2, default=str))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from data import importers
    if args.kind == "file":
        result = importers.import_file(args.path, args.table, _mapping(args.map), progress=_progress)
    elif args.kind == "sql":
        result = importers.import_sql(args.url, args.query, args.table, _mapping(args.map), progress=_progress)
    elif args.kind == "taiwan":
        from data.adapters.taiwan import import_taiwan
        result = import_taiwan(args.path, progress=_progress)
    else:
        from data.adapters.lendingclub import import_lendingclub
        result = import_lendingclub(args.path, progress=_progress)
    print(json.dumps(result, indent=2, default=str))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from data.export import export_table
    rows = export_table(args.table, args.out, reveal=args.reveal)
    print(f"wrote {rows:,} rows of {args.table} to {args.out}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from analytics import delinquency
    from data import store
    try:
        con = store.reader().cursor()
    except store.StoreError as exc:
        raise DataError(str(exc))
    if args.name == "buckets":
        df = delinquency.bucket_distribution(con, args.as_of)
    else:
        df = delinquency.roll_rates_long(con, args.from_month, args.to_month, args.weight)
    _print_frame(df, args.format)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from data import workflow
    ok, broken, n = workflow.verify_audit()
    if ok:
        print(f"audit log intact: {n:,} entries")
        return 0
    print(f"audit log broken at entry {broken} (checked {n:,} entries)")
    return 1


COMMANDS = {"demo": cmd_demo, "import": cmd_import, "export": cmd_export, "report": cmd_report,
            "audit": cmd_audit}


def dispatch(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)
