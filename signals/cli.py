"""Command line of the early-warning work: `daily`, `event add`, `report alerts|reviews|signal-quality`."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time

from data.errors import DataError, UsageError


def add_parsers(sub, month) -> None:
    """Register `daily` and `event` on the command line's subparsers (`month` parses YYYY-MM)."""
    d = sub.add_parser("daily", help="evaluate every open loan at a month-end: raise alerts, schedule reviews "
                       "(running it again changes nothing)")
    d.add_argument("--as-of", type=month, help="month-end YYYY-MM (default the latest)")
    e = sub.add_parser("event", help="an event between daily runs, evaluated on arrival by the signals it feeds")
    esub = e.add_subparsers(dest="action", metavar="ACTION", parser_class=sub._parser_class)
    esub.required = True
    a = esub.add_parser("add", help="record a payment, reversal, bureau update or flag for a loan")
    a.add_argument("--loan", required=True, help="loan id")
    a.add_argument("--kind", required=True, choices=["payment", "reversal", "bureau", "flag"])
    a.add_argument("--date", type=_date, help="event date YYYY-MM-DD (default today)")
    a.add_argument("--amount", type=float, help="payment, reversal: amount in yuan (positive)")
    a.add_argument("--score", type=int, help="bureau: new score (300-950)")
    a.add_argument("--inquiries", type=int, help="bureau: credit inquiries in the last 30 days")
    a.add_argument("--delinquencies", type=int, help="bureau: delinquencies at other lenders")
    a.add_argument("--flag", choices=["litigation", "negative_news", "phone_unreachable", "address_changed"],
                   help="flag: what was reported")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}")


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cmd_daily(args: argparse.Namespace) -> int:
    from signals.daily import daily_run
    summary = daily_run(args.as_of, progress=_progress)
    print(json.dumps(summary, indent=2, default=str))
    return 0


def cmd_event(args: argparse.Namespace) -> int:
    from signals.events import add_event
    result = add_event(args.loan, args.kind, args.date, amount=args.amount, score=args.score,
                       inquiries=args.inquiries, delinquencies=args.delinquencies, flag=args.flag)
    print(json.dumps(result, indent=2))
    return 0


def cmd_report_early_warning(args: argparse.Namespace, print_frame) -> int:
    """alerts: alert_id,loan_id,signal,severity,status,raised_at,owner (raised in the --as-of month, default all);
    reviews: review_id,loan_id,kind,due_date,status,reviewer (due in the --as-of month, default all);
    signal-quality: signal,severity,hits,bad_hits,precision,population,bad,base_rate,lift."""
    from analytics.sql import month_end
    month = month_end(args.as_of) if args.as_of else None
    if args.name == "alerts":
        from data import alerts
        df = alerts.alerts_frame(month)[alerts.REPORT_COLUMNS]
    elif args.name == "reviews":
        from data import reviews
        df = reviews.reviews_frame(month)[reviews.REPORT_COLUMNS]
    else:
        from analytics.filters import Filters
        from data import store
        from signals.quality import signal_quality
        try:
            con = store.reader().cursor()
        except store.StoreError as exc:
            raise DataError(str(exc))
        if month is not None:
            raise UsageError("signal-quality backtests every month-end with three later ones observed: "
                             "leave out --as-of")
        df = signal_quality(con, filters=Filters(tuple(args.product), tuple(args.region), tuple(args.branch)),
                            progress=_progress)
    print_frame(df, args.format)
    return 0


COMMANDS = {"daily": cmd_daily, "event": cmd_event}
