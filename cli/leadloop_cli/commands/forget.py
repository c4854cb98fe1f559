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
from typing import Any

from leadloop.audience import hash_record
from leadloop.graph import GraphError
from leadloop.hasher.mapping import lead_record
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


def run(args: argparse.Namespace) -> int:
    if not args.email and not args.phone:
        raise CommandError("forget: give --email and/or --phone")
    if args.everywhere and not (args.account or "").removeprefix("act_").isdigit():
        raise CommandError("forget: --everywhere needs --account act_ID")
    rows = _rows(args.email, args.phone, args.country)
    if len(rows) != len(args.email) + len(args.phone):
        raise CommandError("forget: an email or phone is not valid after normalization (nothing was sent)")
    try:
        config = StackConfig.load(resolve_target(args))
    except TargetError as exc:
        raise CommandError(f"forget: {exc}") from None
    routing = config.routing()
    graph = config.graph()
    payload = json.dumps({"schema": SCHEMA, "data": rows, "is_raw": True})
    failures: list[str] = []
    audiences = sorted({a for route in routing.forms for a in route.audience_ids})
    for audience_id in audiences:
        try:
            graph.delete(f"{audience_id}/users", {"payload": payload})
            print(f"audience {audience_id}: removal sent")
        except GraphError as exc:
            failures.append(f"audience {audience_id}: {exc.describe()}")
    if args.everywhere:
        account = args.account if args.account.startswith("act_") else f"act_{args.account}"
        try:
            graph.delete(f"{account}/usersofanyaudience", {"payload": payload})
            print(f"{account}: removal from every audience sent")
        except GraphError as exc:
            failures.append(f"{account}: {exc.describe()}")

    wanted = {cell for row in rows for cell in row if cell}
    store = config.lead_store()
    forgotten = 0
    for lead in store.scan_fetched():
        route = routing.form(str(lead.get("form_id") or ""))
        record = lead_record(lead.get("field_data") or [], route.field_map if route else None)
        country = args.country or (route.default_country if route else None)
        hashed = set(hash_record(record, SCHEMA, default_country=country))
        if hashed & wanted:
            store.forget(str(lead["leadgen_id"]), now=int(time.time()))
            forgotten += 1
    print(f"leads forgotten: {forgotten}")
    if failures:
        raise CommandError("forget: some removals failed: " + "; ".join(failures))
    return 0
