"""Loanwatch command line: batch jobs and administration for schedulers and operators.

Exit codes: 0 done, 1 a data problem (the report says which file, row and column), 2 a usage problem.
"""
from __future__ import annotations

import argparse
import sys


from data.errors import DataError, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, exit 2, instead of argparse's usage dump
        raise UsageError(f"{self.prog}: {message} (see `{self.prog} --help`)")


def _month(text: str) -> str:
    import re
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"expected a month as YYYY-MM, got {text!r}")
    return text


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python cli.py", description="Loanwatch post-loan management: batch jobs and admin.")
    p.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    d = sub.add_parser("demo", help="build the demo workspace (replaces the published data)")
    d.add_argument("--loans", type=int, default=50_000, help="loans in the book (default 50,000)")
    d.add_argument("--months", type=int, default=36, help="month-ends of history (default 36)")
    d.add_argument("--seed", type=int, default=7, help="random seed: same seed, same data (default 7)")
    d.add_argument("--end", type=_month, default=None, help="last month-end, YYYY-MM (default from settings)")

    imp = sub.add_parser("import", help="import a portfolio into the analytical store (all or nothing)")
    isub = imp.add_subparsers(dest="kind", metavar="KIND", parser_class=_Parser)
    isub.required = True
    f = isub.add_parser("file", help="CSV, Parquet or Excel file into one canonical table")
    f.add_argument("path")
    f.add_argument("--table", required=True)
    f.add_argument("--map", action="append", default=[], metavar="SRC:DST", help="rename a source column")
    s = isub.add_parser("sql", help="rows of a query on any SQLAlchemy database URL, read in chunks")
    s.add_argument("url")
    s.add_argument("--query", required=True)
    s.add_argument("--table", required=True)
    s.add_argument("--map", action="append", default=[], metavar="SRC:DST")
    for name, text in (("taiwan", "UCI Taiwan credit-card panel (UCI_Credit_Card.csv[.gz])"),
                       ("lendingclub", "LendingClub loans (accepted sample or OpenIntro loans_full_schema)")):
        a = isub.add_parser(name, help=text)
        a.add_argument("path")

    e = sub.add_parser("export", help="write a canonical table as CSV or Parquet (by the file's extension)")
    e.add_argument("table")
    e.add_argument("--out", required=True)
    e.add_argument("--reveal", action="store_true", help="write personal data in clear (audited)")

    r = sub.add_parser("report", help="print a report as CSV or JSON to standard output")
    r.add_argument("name", choices=["kpis", "buckets", "roll-rates", "vintage", "classification", "stages", "ecl",
                                    "alerts", "reviews", "signal-quality", "collections", "ptp"])
    r.add_argument("--as-of", type=_month,
                   help="month-end YYYY-MM (kpis, buckets, classification, stages, ecl; default the latest)")
    r.add_argument("--from", dest="from_month", type=_month, help="first month-end of the range (roll-rates)")
    r.add_argument("--to", dest="to_month", type=_month, help="last month-end of the range (roll-rates)")
    r.add_argument("--weight", choices=["count", "balance"], default="count", help="roll-rates, vintage")
    r.add_argument("--metric", choices=["ever30", "ever60", "ever90", "charged_off"], default="ever30",
                   help="vintage: ever more than 30/60/90 DPD, or charged off")
    r.add_argument("--by", choices=["month", "quarter"], default="month", help="vintage: origination cohorts")
    r.add_argument("--detail", action="store_true", help="classification, stages, ecl: one row per loan; ptp: one row per promise")
    r.add_argument("--product", action="append", default=[], help="only this product (repeatable)")
    r.add_argument("--region", action="append", default=[], help="only this region (repeatable)")
    r.add_argument("--branch", action="append", default=[], help="only this branch (repeatable)")
    r.add_argument("--format", choices=["csv", "json"], default="csv")

    a = sub.add_parser("audit", help="the audit log")
    a.add_argument("action", choices=["verify"])
    _users_parser(sub)
    _models_parser(sub)
    from signals.cli import add_parsers as _early_warning_parsers
    _early_warning_parsers(sub, _month)
    from collection.cli import add_parsers as _collections_parsers
    _collections_parsers(sub, _month)

    b = sub.add_parser("backup", help="back up the published data and the workflow store to a .tar.gz")
    b.add_argument("--out", help="the backup file (default LOANWATCH_HOME/backups/loanwatch-backup-<time>.tar.gz)")
    rs = sub.add_parser("restore", help="verify a backup and publish its data as a new generation")
    rs.add_argument("path")
    rs.add_argument("--workflow", action="store_true",
                    help="also restore users, import history and audit log (SQLite workflow store only)")
    return p


def _users_parser(sub) -> None:
    """`users add|disable|enable|reset-password|set-roles|list`: passwords are prompted for or read from stdin,
    never taken as an argument (arguments end up in shell history and process lists)."""
    u = sub.add_parser("users", help="user accounts of the dashboard")
    usub = u.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    usub.required = True
    add = usub.add_parser("add", help="create an account (asks for the password)")
    add.add_argument("--username", required=True)
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--roles", required=True, help="comma-separated: admin, risk_manager, executive, "
                     "model_validator, credit_officer, collector")
    add.add_argument("--branch")
    add.add_argument("--staff-code", help="officer code (loans.officer) or collector agent code")
    add.add_argument("--email")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--password", nargs="?", const="", help=argparse.SUPPRESS)      # refused, not echoed
    for name, text in (("disable", "disable an account (its sessions end at their next click)"),
                       ("enable", "enable an account again; also unlocks it")):
        usub.add_parser(name, help=text).add_argument("--username", required=True)
    rp = usub.add_parser("reset-password", help="set a new password (asks for it); also unlocks the account")
    rp.add_argument("--username", required=True)
    rp.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    rp.add_argument("--password", nargs="?", const="", help=argparse.SUPPRESS)
    sr = usub.add_parser("set-roles", help="replace an account's roles")
    sr.add_argument("--username", required=True)
    sr.add_argument("--roles", required=True)
    usub.add_parser("list", help="print the accounts as a table (no password hashes)")


def _models_parser(sub) -> None:
    """`train`, `score` and `models list|promote`: the risk models (models/)."""
    t = sub.add_parser("train", help="train a LightGBM risk model, validated out of time (progress on stderr)")
    t.add_argument("--target", required=True, help="behaviour (D 91, H 12), early_warning (D 31, H 3) or a "
                   "new name with --horizon and --bad-dpd")
    t.add_argument("--obs-from", required=True, type=_month, help="first observation month-end, YYYY-MM")
    t.add_argument("--obs-to", required=True, type=_month, help="last observation month-end, YYYY-MM")
    t.add_argument("--oot-from", required=True, type=_month,
                   help="first out-of-time month-end: older months train, these validate")
    t.add_argument("--horizon", type=int, help="months after the observation month-end in the target window")
    t.add_argument("--bad-dpd", type=int, help="days past due at or above which a loan is bad (or charged off)")
    t.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    t.add_argument("--predictions-out", help="write the out-of-time predictions CSV: loan_id,obs_month,pd,bad")
    t.add_argument("--report-out", help="write the validation report JSON here too")
    sc = sub.add_parser("score", help="score the book at a month-end with each target's champion model")
    sc.add_argument("--as-of", type=_month, help="month-end YYYY-MM (default the latest)")
    sc.add_argument("--target", action="append", help="only this target (repeatable; default every champion)")
    m = sub.add_parser("models", help="the model registry: list versions, promote a champion")
    msub = m.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    msub.required = True
    ml = msub.add_parser("list", help="every version of every target, with its out-of-time figures")
    ml.add_argument("--format", choices=["table", "json"], default="table")
    mp = msub.add_parser("promote", help="make a version its target's champion (audited)")
    mp.add_argument("target")
    mp.add_argument("version")
    mp.add_argument("--reason", help="why (kept in the audit log)")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        from cli_commands import dispatch
        return dispatch(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.report:
            print(exc.report, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: nothing was published", file=sys.stderr)
        return 130
    except Exception as exc:  # a failure we did not foresee: one line, the traceback only with --debug
        if debug:
            raise
        print(f"error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
