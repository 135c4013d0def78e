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
    if args.name in ("alerts", "reviews", "signal-quality"):
        from signals.cli import cmd_report_early_warning
        return cmd_report_early_warning(args, _print_frame)
    if args.name in ("collections", "ptp"):
        from collection.cli import cmd_report_collections
        return cmd_report_collections(args, _print_frame)
    from analytics import delinquency
    from analytics.filters import Filters
    from data import store
    try:
        con = store.reader().cursor()
    except store.StoreError as exc:
        raise DataError(str(exc))
    f = Filters(tuple(args.product), tuple(args.region), tuple(args.branch))
    try:
        if args.name == "kpis":
            return _report_kpis(con, args, f)
        if args.name == "buckets":
            df = delinquency.bucket_distribution(con, args.as_of, f)
        elif args.name == "roll-rates":
            df = delinquency.roll_rates_long(con, args.from_month, args.to_month, args.weight, f)
        else:
            df = _report_frame(con, args, f)
    except ValueError as exc:                      # no data for that month, an empty range, ...
        raise DataError(str(exc))
    _print_frame(df, args.format)
    return 0


def _report_kpis(con, args: argparse.Namespace, f) -> int:
    """JSON: the kpis object; CSV: kpi,value,previous_month,change_month,last_year,change_year."""
    from analytics import kpis
    if args.format == "json":
        print(json.dumps(kpis.kpis(con, args.as_of, f), default=str))
    else:
        _print_frame(kpis.kpi_changes(con, args.as_of, f), "csv")
    return 0


def _report_frame(con, args: argparse.Namespace, f):
    """vintage: cohort,mob,loans,balance,share; classification: tier,loans,balance (--detail:
    loan_id,dpd,tier,rule); stages: stage,loans,balance,ead,ecl,coverage (--detail: loan_id,dpd,tier,stage);
    ecl: product,stage,loans,balance,ead,ecl,coverage (--detail: loan_id,stage,pd,lgd,ead,ecl)."""
    from analytics import classification, ecl, vintage
    if args.name == "vintage":
        df = vintage.vintage_curves(con, args.metric, args.weight, args.by, f)
        return df[["cohort", "mob", "loans", "balance", "share"]]
    from analytics import summaries
    from data import overrides       # officers' stored overrides and watch list in force at the month-end
    ovr, watch = overrides.inputs_at(summaries.resolve(con, args.as_of))
    if args.detail:
        df = classification.loan_classification(con, args.as_of, f, overrides=ovr, watch_list=watch)
        cols = {"classification": ["loan_id", "dpd", "tier", "rule"], "stages": ["loan_id", "dpd", "tier", "stage"],
                "ecl": ["loan_id", "stage", "pd", "lgd", "ead", "ecl"]}[args.name]
        return df[cols]
    if args.name == "classification":
        return classification.tier_summary(con, args.as_of, f, ovr, watch)[["tier", "loans", "balance"]]
    if args.name == "stages":
        return ecl.stage_summary(con, args.as_of, f, ovr, watch)
    return ecl.ecl_summary(con, args.as_of, "product", f, ovr, watch)


def cmd_audit(args: argparse.Namespace) -> int:
    from data import workflow
    ok, broken, n = workflow.verify_audit()
    if ok:
        print(f"audit log intact: {n:,} entries")
        return 0
    print(f"audit log broken at entry {broken} (checked {n:,} entries)")
    return 1


def _password(args: argparse.Namespace) -> str:
    """The new password: one line of standard input with --password-stdin, else asked twice at the terminal."""
    import getpass
    if args.password is not None:
        raise UsageError("a password is never taken as an argument (shell history and process lists keep it): "
                         "leave it out to be asked for it, or pipe it in with --password-stdin")
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for the password: pipe it in with --password-stdin")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise DataError("the two passwords differ; nothing was changed")
    return first


def _user_table(rows: list[dict]) -> str:
    cols = (("username", "username"), ("name", "name"), ("roles", "roles"), ("branch", "branch"),
            ("staff_code", "staff code"), ("status", "status"), ("failed_logins", "failed"),
            ("locked_until", "locked until"), ("last_seen_at", "last seen"))

    def cell(row, key):
        v = row.get(key)
        return "" if v is None else f"{v:%Y-%m-%d %H:%M}" if hasattr(v, "strftime") else str(v)
    table = [[h for _, h in cols]] + [[cell(r, k) for k, _ in cols] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(cols))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip() for line in table)


def cmd_users(args: argparse.Namespace) -> int:
    from data import accounts
    if args.action == "list":
        rows = accounts.list_users()
        print(_user_table(rows) if rows else "no user accounts yet: add one with `python cli.py users add`")
        return 0
    if args.action == "add":
        accounts.check_username(args.username)
        accounts.check_roles(args.roles)
        u = accounts.add_user(args.username, args.name, args.roles, _password(args), branch=args.branch,
                              staff_code=args.staff_code, email=args.email)
        print(f"added user {u['username']} ({u['roles']})", file=sys.stderr)
    elif args.action == "reset-password":
        accounts.get_user(args.username)
        u = accounts.reset_password(args.username, _password(args))
        print(f"new password set for {u['username']}; the account is unlocked", file=sys.stderr)
    elif args.action == "set-roles":
        u = accounts.update_user(args.username, roles=args.roles)
        print(f"{u['username']} now has roles {u['roles']}", file=sys.stderr)
    else:
        u = accounts.set_disabled(args.username, args.action == "disable")
        print(f"{u['username']} {'disabled' if u['disabled'] else 'enabled and unlocked'}", file=sys.stderr)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from data import backup
    result = backup.create_backup(args.out)
    for note in result["notes"]:
        print(f"note: {note}", file=sys.stderr)
    print(json.dumps({k: result[k] for k in ("path", "bytes", "generation", "workflow", "created_at")}, indent=2))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from data import backup
    print(json.dumps(backup.restore_backup(args.path, restore_workflow=args.workflow), indent=2))
    return 0


def _out_path(path: str | None, option: str):
    """The Path of an output file, checked before a long run: its folder must exist."""
    from pathlib import Path
    if path is None:
        return None
    out = Path(path)
    if not out.parent.is_dir():
        raise UsageError(f"{option}: folder {out.parent} does not exist")
    return out


def cmd_train(args: argparse.Namespace) -> int:
    from data import store
    from models.registry import to_json
    from models.targets import resolve_target
    from models.train import train_model
    target = resolve_target(args.target, args.horizon, args.bad_dpd)
    report_out, predictions_out = _out_path(args.report_out, "--report-out"), \
        _out_path(args.predictions_out, "--predictions-out")
    try:
        reader = store.reader()
        con = reader.cursor()
    except store.StoreError as exc:
        raise DataError(str(exc))
    result = train_model(con, target, args.obs_from, args.obs_to, args.oot_from, seed=args.seed,
                         progress=_progress, source=reader.path.name)
    text = to_json(result.report)
    if report_out:
        report_out.write_text(text + "\n")
    if predictions_out:
        result.predictions.to_csv(predictions_out, index=False, lineterminator="\n")
    print(text)
    _progress(f"version {result.version} of {target.name} registered; make it the champion with "
              f"`python cli.py models promote {target.name} {result.version}`")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from data import store
    from models.score import score_book
    try:
        summary = score_book(args.as_of, args.target, progress=_progress)
    except store.StoreError as exc:
        raise DataError(str(exc))
    print(json.dumps(summary, indent=2, default=str))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from models import registry
    if args.action == "promote":
        previous = registry.promote(args.target, args.version, reason=args.reason)
        print(f"{args.version} is now the champion of {args.target}"
              + (f" (was {previous})" if previous else ""), file=sys.stderr)
        return 0
    df = registry.list_models()
    if args.format == "json":
        print(df.to_json(orient="records", double_precision=6))
    elif df.empty:
        print("no models yet: train one with `python cli.py train --target behaviour ...`")
    else:
        df["champion"] = df["champion"].map({True: "*", False: ""})
        print(df.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


COMMANDS = {"demo": cmd_demo, "import": cmd_import, "export": cmd_export, "report": cmd_report,
            "audit": cmd_audit, "users": cmd_users, "backup": cmd_backup, "restore": cmd_restore}
COMMANDS.update(train=cmd_train, score=cmd_score, models=cmd_models)
from signals.cli import COMMANDS as _EARLY_WARNING  # noqa: E402  daily, event
COMMANDS.update(_EARLY_WARNING)
from collection.cli import COMMANDS as _COLLECTIONS  # noqa: E402  collections
COMMANDS.update(_COLLECTIONS)


def dispatch(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)
