"""``finops alerts mute | unmute | mutes``: silence a team's spend alerts for a while (recorded, not delivered)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from finops.cli._common import actor, table

KINDS = ("spend_anomaly", "budget_forecast", "budget_threshold")


def register(sub: argparse._SubParsersAction) -> None:
    alerts = sub.add_parser("alerts", help="mute or unmute a team's spend alerts")
    actions = alerts.add_subparsers(dest="action", required=True)
    put = actions.add_parser("mute", help="record a team's alerts of a kind but do not deliver them until a day")
    put.add_argument("team_id")
    put.add_argument("--until", required=True, metavar="YYYY-MM-DD", help="last UTC day muted (inclusive)")
    put.add_argument("--kind", choices=KINDS, default="spend_anomaly", help="which alerts (default spend_anomaly)")
    put.add_argument("--reason", default="", help="why, for the audit log and `finops alerts mutes`")
    put.set_defaults(func=_mute)
    rm = actions.add_parser("unmute", help="end a team's mute of a kind now")
    rm.add_argument("team_id")
    rm.add_argument("--kind", choices=KINDS, default="spend_anomaly", help="which alerts (default spend_anomaly)")
    rm.set_defaults(func=_unmute)
    lst = actions.add_parser("mutes", help="mutes in force today or later")
    lst.add_argument("team_id", nargs="?", help="only this team")
    lst.set_defaults(func=_list)


def _today():
    return datetime.now(UTC).date()


def _mute(args: argparse.Namespace) -> int:
    from finops.alerts.mutes import mute

    found = mute(args.team_id, args.until, actor(), today=_today(), kind=args.kind, reason=args.reason)
    print(f"Team {found.team_id}'s {found.kind} alerts are muted until {found.until} (inclusive): they are recorded "
          f"but not delivered; end it with `finops alerts unmute {found.team_id} --kind {found.kind}`.")
    return 0


def _unmute(args: argparse.Namespace) -> int:
    from finops.alerts.mutes import unmute

    ended = unmute(args.team_id, actor(), kind=args.kind)
    print(f"Team {args.team_id}'s {args.kind} alerts are delivered again ({len(ended)} mute(s) ended); alerts "
          "recorded while muted stay undelivered.")
    return 0


def _list(args: argparse.Namespace) -> int:
    from finops.alerts.mutes import mutes

    found = mutes(_today(), args.team_id)
    if not found:
        print("No mutes; mute a team's anomaly alerts with `finops alerts mute TEAM_ID --until YYYY-MM-DD`.")
        return 0
    print(table([[m.team_id, m.kind, str(m.until), m.reason, m.created_by] for m in found],
                ["team", "kind", "until", "reason", "set by"]))
    return 0
