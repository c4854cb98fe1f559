"""``leadloop forget``: remove a person from every routed audience and from our lead store.

The person is given by email and/or phone on the command line; only their hashes travel to Meta
and nothing identifying is printed. Leads whose answers match become FORGOTTEN tombstones: the
answers are deleted and no later webhook, retry or backfill can bring them back (or re-add the
person to an audience). ``--everywhere`` also removes them from every customer-file audience of
the ad account (``usersofanyaudience``), which Meta requires when a person opts out.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from typing import Any

from leadloop.audience import hash_record
from leadloop.graph import GraphError
from leadloop.rows.mapping import lead_record
from leadloop_cli.commands import CommandError
from leadloop_cli.stackconfig import StackConfig
from leadloop_cli.target import TargetError, add_target_arguments, resolve_target

SCHEMA = ["EMAIL", "PHONE"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "forget", help="remove a person from every routed audience and delete their leads"
    )
    parser.add_argument("--email", action="append", default=[], help="the person's email (repeatable)")
    parser.add_argument("--phone", action="append", default=[], help="the person's phone (repeatable)")
    parser.add_argument("--country", help="alpha-2 country for phones without a country code")
    parser.add_argument("--everywhere", action="store_true", help="also remove from every audience of --account")
    parser.add_argument("--account", help="ad account id for --everywhere (act_123)")
    add_target_arguments(parser)
    parser.set_defaults(handler=run)


def _rows(emails: list[str], phones: list[str], country: str | None) -> list[list[str]]:
    rows = [hash_record({"EMAIL": e}, SCHEMA) for e in emails] + [
        hash_record({"PHONE": p}, SCHEMA, default_country=country) for p in phones
    ]
    return [row for row in rows if any(row)]


@dataclass
class ForgetReport:
    audiences: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    leads_forgotten: int = 0


def run(args: argparse.Namespace) -> int:
    if not args.email and not args.phone:
        raise CommandError("forget: give --email and/or --phone")
    if args.everywhere and not _ascii_digits((args.account or "").removeprefix("act_")):
        raise CommandError("forget: --everywhere needs --account act_ID")
    try:
        config = StackConfig.load(resolve_target(args))
    except TargetError as exc:
        raise CommandError(f"forget: {exc}") from None
    report = forget_person(
        config, args.email, args.phone, country=args.country, account=args.account if args.everywhere else None
    )
    for audience_id in report.audiences:
        print(f"{audience_id}: removal sent")
    print(f"leads forgotten: {report.leads_forgotten}")
    if report.failures:
        raise CommandError("forget: some removals failed: " + "; ".join(report.failures))
    return 0


def forget_person(
    config: StackConfig, emails: list[str], phones: list[str], *, country: str | None, account: str | None
) -> ForgetReport:
    """Send the removals, then tombstone the person's leads; identifiers never leave as text."""
    rows = _rows(emails, phones, country)
    if len(rows) != len(emails) + len(phones):
        raise CommandError("forget: an email or phone is not valid after normalization (nothing was sent)")
    routing = config.routing()
    graph = config.graph()
    payload = json.dumps({"schema": SCHEMA, "data": rows, "is_raw": True})
    report = ForgetReport()
    targets = [f"{a}/users" for a in sorted({a for route in routing.forms for a in route.audience_ids})]
    if account:
        targets.append(f"{account if account.startswith('act_') else 'act_' + account}/usersofanyaudience")
    for path in targets:
        try:
            graph.delete(path, {"payload": payload})
            report.audiences.append(path.split("/")[0])
        except GraphError as exc:
            report.failures.append(f"{path.split('/')[0]}: {exc.describe()}")

    wanted = {cell for row in rows for cell in row if cell}
    store = config.lead_store()
    for lead in store.scan_fetched():
        route = routing.form(str(lead.get("form_id") or ""))
        record = lead_record(lead.get("field_data") or [], route.field_map if route else None)
        hint = country or (route.default_country if route else None)
        if set(hash_record(record, SCHEMA, default_country=hint)) & wanted:
            store.forget(str(lead["leadgen_id"]), now=int(time.time()))
            report.leads_forgotten += 1
    return report


def _ascii_digits(text: str) -> bool:
    """Meta's ids are ASCII digits; ``str.isdigit`` alone also takes Arabic-Indic or full-width ones."""
    return text.isascii() and text.isdigit()
