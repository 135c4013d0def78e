"""Command line of collections: `collections assign|strategy|agents|compare|outbox` and `report collections|ptp`."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from data.errors import DataError, UsageError

REPORT_COLUMNS = ["loan_id", "bucket", "segment", "strategy", "arm", "next_action", "next_action_date", "agent",
                  "queue", "queue_rank", "dpd", "balance", "risk", "risk_source", "expected_recovery"]


def add_parsers(sub, month) -> None:
    """Register `collections ...` on the command line's subparsers (`month` parses YYYY-MM)."""
    parser_class = type(sub._name_parser_map["demo"])
    c = sub.add_parser("collections", help="collections: assign delinquent accounts, strategies, agents, "
                       "champion/challenger, message outbox")
    csub = c.add_subparsers(dest="action", metavar="ACTION", parser_class=parser_class)
    csub.required = True
    a = csub.add_parser("assign", help="give every delinquent open loan its segment, arm, next action and agent "
                        "(stored; running it again changes nothing)")
    a.add_argument("--as-of", type=month, help="month-end YYYY-MM (default the latest)")
    s = csub.add_parser("strategy", help="show, check or save (validated, audited) the collection strategy")
    ssub = s.add_subparsers(dest="strategy_action", metavar="WHAT", parser_class=parser_class)
    ssub.required = True
    sh = ssub.add_parser("show", help="print the active strategy (or --id N) as JSON")
    sh.add_argument("--id", type=int)
    ssub.add_parser("history", help="every saved strategy: id, name, status, saved at and by")
    for name, text in (("check", "validate a strategy JSON file without saving it"),
                       ("save", "validate a strategy JSON file and make it the active one (audited)")):
        x = ssub.add_parser(name, help=text)
        x.add_argument("path")
        if name == "save":
            x.add_argument("--note", help="why (kept with it and in the audit log)")
    g = csub.add_parser("agents", help="collectors and their capacity")
    gsub = g.add_subparsers(dest="agents_action", metavar="WHAT", parser_class=parser_class)
    gsub.required = True
    gsub.add_parser("list", help="print the active agents (seeded from the book when there are none)")
    st = gsub.add_parser("set", help="add or change an agent (audited)")
    st.add_argument("--agent", required=True)
    st.add_argument("--capacity", type=int, required=True, help="accounts in the queue at most")
    st.add_argument("--region", help="loans of this region (default any region)")
    st.add_argument("--inactive", action="store_true", help="take the agent out of the queues")
    cmp_ = csub.add_parser("compare", help="champion vs challenger on the accounts assigned at a month-end, "
                           "outcomes at the next month-end")
    cmp_.add_argument("--as-of", type=month, required=True, help="month-end of the assignment, YYYY-MM")
    cmp_.add_argument("--segment", help="only this segment (segments' challenger shares differ: pooled arms mix "
                      "segments differently)")
    cmp_.add_argument("--format", choices=["csv", "json"], default="csv")
    o = csub.add_parser("outbox", help="write the month-end's message actions to the outbox from the templates")
    o.add_argument("--as-of", type=month, help="month-end YYYY-MM (default the latest)")


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _cursor():
    from data import store
    try:
        return store.reader().cursor()
    except store.StoreError as exc:
        raise DataError(str(exc))


def _read_json(path: str) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UsageError(f"no file {path}")
    except json.JSONDecodeError as exc:
        raise DataError(f"strategy refused: {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                        f"{exc.msg})")


def _strategy(args: argparse.Namespace) -> int:
    from collection import strategy
    if args.strategy_action == "show":
        s = strategy.get(args.id) if args.id else strategy.active()
        print(json.dumps(s["body"], indent=2, ensure_ascii=False))
    elif args.strategy_action == "history":
        for s in strategy.history():
            print(f"{s['strategy_id']}\t{s['name']}\t{s['status']}\t{s['created_at']:%Y-%m-%d %H:%M}\t"
                  f"{s['created_by']}\t{s['note'] or ''}")
    elif args.strategy_action == "check":
        body = strategy.validate(_read_json(args.path))
        print(f"strategy {body['name']!r} is valid: {len(body['segments'])} segments, {len(body['paths'])} paths",
              file=sys.stderr)
    else:
        sid = strategy.save(_read_json(args.path), note=args.note)
        print(f"strategy {sid} saved and active", file=sys.stderr)
    return 0


def _agents(args: argparse.Namespace) -> int:
    from collection import daily
    if args.agents_action == "set":
        daily.set_agent(args.agent, args.capacity, args.region, not args.inactive)
        print(f"agent {args.agent}: capacity {args.capacity}, region {args.region or 'any'}"
              + (" (inactive)" if args.inactive else ""), file=sys.stderr)
        return 0
    df = daily.agents(_cursor())
    print(df.to_csv(index=False, lineterminator="\n"), end="")
    return 0


def cmd_collections(args: argparse.Namespace) -> int:
    if args.action == "strategy":
        return _strategy(args)
    if args.action == "agents":
        return _agents(args)
    con = _cursor()
    if args.action == "assign":
        from collection.daily import assign
        print(json.dumps(assign(con, args.as_of, progress=_progress), indent=2, default=str))
    elif args.action == "compare":
        from collection.compare import arm_outcomes, compare_arms
        df = compare_arms(arm_outcomes(con, args.as_of), args.segment)
        if args.format == "json":
            print(df.to_json(orient="records", double_precision=6))
        else:
            print(df.to_csv(index=False, lineterminator="\n"), end="")
    else:
        from collection.messages import write_outbox
        print(json.dumps(write_outbox(con, args.as_of), indent=2, default=str))
    return 0


def cmd_report_collections(args: argparse.Namespace, print_frame) -> int:
    """collections: loan_id,bucket,segment,strategy,arm,next_action,next_action_date,agent (then queue, queue_rank,
    dpd, balance, risk, risk_source, expected_recovery), one row per delinquent open loan at the month-end;
    ptp: promises, kept, broken, pending, kept_rate, promised_amount, paid_amount for promises made in the month
    (--detail: one row per promise)."""
    con = _cursor()
    try:
        if args.name == "collections":
            from collection.daily import assignments
            df, was_stored = assignments(con, args.as_of)
            if not was_stored:
                print("note: no stored assignment for this month-end (the daily run makes it); computed now with "
                      "the active strategy, not stored", file=sys.stderr)
            print_frame(df[REPORT_COLUMNS], args.format)
            return 0
        from collection.daily import resolve_month
        from collection.ptp import promises, ptp_summary
        df = promises(con, resolve_month(con, args.as_of))
    except ValueError as exc:
        raise DataError(str(exc))
    if args.detail:
        print_frame(df, args.format)
    elif args.format == "json":
        print(json.dumps(ptp_summary(df)))
    else:
        import pandas as pd
        print_frame(pd.DataFrame([ptp_summary(df)]), "csv")
    return 0


COMMANDS = {"collections": cmd_collections}
