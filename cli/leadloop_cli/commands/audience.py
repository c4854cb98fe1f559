"""``leadloop audience create|status``: make a customer-file audience, and see how one is doing.

``status ID`` reads the audience at Meta and its replace records in StateTable; ``status`` without an
id lists every audience the routing declares, with its last scheduled (fan-out) outcome, from
StateTable alone.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from leadloop.graph import GraphError
from leadloop_cli.commands import CommandError, subcommand_group
from leadloop_cli.stackconfig import StackConfig
from leadloop_cli.target import TargetError, add_target_arguments, resolve_target

SOURCES = ("USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY", "BOTH_USER_AND_PARTNER_PROVIDED")
STATUS_FIELDS = (
    "id,name,subtype,customer_file_source,operation_status,delivery_status,data_source,"
    "approximate_count_lower_bound,approximate_count_upper_bound,time_updated"
)


def register(subparsers: Any) -> None:
    group = subcommand_group(subparsers, "audience", "Create and inspect Meta customer-file audiences.")
    create = group.add_parser("create", help="create an empty customer-file (CUSTOM) audience")
    create.add_argument("--account", required=True, help="ad account id (act_123 or 123)")
    create.add_argument("--name", required=True)
    create.add_argument("--description", default="")
    create.add_argument("--source", choices=SOURCES, default="USER_PROVIDED_ONLY", help="customer_file_source")
    add_target_arguments(create)
    create.set_defaults(handler=run_create)

    status = group.add_parser(
        "status", help="size, operation status, recent sessions and replaces; without an id, every routed audience"
    )
    status.add_argument("audience_id", nargs="?", help="omit to list the routing's audiences and last nightly outcome")
    status.add_argument("--json", action="store_true")
    add_target_arguments(status)
    status.set_defaults(handler=run_status)


def _config(args: argparse.Namespace) -> StackConfig:
    try:
        return StackConfig.load(resolve_target(args))
    except TargetError as exc:
        raise CommandError(f"audience: {exc}") from None


def run_create(args: argparse.Namespace) -> int:
    account = args.account if args.account.startswith("act_") else f"act_{args.account}"
    if not (account[4:].isascii() and account[4:].isdigit()):
        raise CommandError("audience: --account must look like act_123")
    graph = _config(args).graph()
    form = {"name": args.name, "subtype": "CUSTOM", "customer_file_source": args.source}
    if args.description:
        form["description"] = args.description
    try:
        answer = graph.post(f"{account}/customaudiences", form)
    except GraphError as exc:
        raise CommandError(f"audience create: {exc.describe()}") from None
    print(answer.data["id"])
    return 0


def run_status(args: argparse.Namespace) -> int:
    if args.audience_id is None:
        return _run_status_all(args)
    if not (args.audience_id.isascii() and args.audience_id.isdigit()):
        raise CommandError("audience status: the audience id is a number")
    config = _config(args)
    graph = config.graph()
    try:
        audience = graph.get(args.audience_id, {"fields": STATUS_FIELDS}).data
        sessions = graph.get(f"{args.audience_id}/sessions").data.get("data", [])
    except GraphError as exc:
        raise CommandError(f"audience status: {exc.describe()}") from None
    lock, latest, scheduled = _replace_state(config, args.audience_id)
    if args.json:
        document = {
            "audience": audience,
            "sessions": sessions,
            "replace_lock": lock,
            "last_replace": latest,
            "last_scheduled_replace": scheduled,
        }
        print(json.dumps(document, indent=2, default=str))
        return 0
    status = audience.get("operation_status") or {}
    print(f"audience {audience.get('id')} {audience.get('name')!r} ({audience.get('subtype')})")
    print(
        f"  size           {audience.get('approximate_count_lower_bound')}"
        f" - {audience.get('approximate_count_upper_bound')}"
    )
    print(f"  operation      {status.get('code')} {status.get('description', '')}")
    delivery = audience.get("delivery_status") or {}
    print(f"  delivery       {delivery.get('code')} {delivery.get('description', '')}")
    for session in sessions[:5]:
        print(
            f"  session {session.get('session_id')}: {session.get('stage')}, received {session.get('num_received')},"
            f" invalid {session.get('num_invalid_entries')}, matched {session.get('num_matched')}"
        )
    if lock and int(lock.get("expires_at", 0)) > time.time():
        print(f"  replace lock   held by run {lock.get('run_id')} (uploads to this audience wait)")
    if latest:
        detail = f"{latest.get('rows_unique', 0)} rows, {latest.get('overflow_chunks', 0)} overflow chunk(s)"
        if latest.get("status") == "failed":
            detail = f"{latest.get('error')}: {latest.get('cause')}"
        print(f"  last replace   {latest.get('status')} (run {latest.get('run_id')}): {detail}")
    if scheduled:
        print(f"  last scheduled {describe_scheduled(scheduled)}")
    return 0


def describe_scheduled(record: dict[str, Any]) -> str:
    """One line for an audience's part in the last fan-out (``replace#scheduled``)."""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(int(record.get("finished") or 0)))
    head = f"{record.get('status')} {when} (run {record.get('run_id')}, execution {record.get('execution')})"
    if record.get("status") == "failed":
        return f"{head}: {record.get('error')}: {record.get('cause')}"
    rows = "?" if record.get("rows") is None else f"{int(record['rows']):,}"
    seconds = "" if record.get("seconds") is None else f" in {int(record['seconds'])} s"
    return f"{head}: {rows} rows{seconds}"


def _run_status_all(args: argparse.Namespace) -> int:
    config = _config(args)
    try:
        routing = config.routing()
    except Exception as exc:
        raise CommandError(f"audience status: cannot read the routing: {type(exc).__name__}") from None
    rows: list[dict[str, Any]] = []
    for audience_id, route in routing.audiences.items():
        _, _, scheduled = _replace_state(config, audience_id)
        source = route.replace.source if route.replace else None
        rows.append(
            {
                "audience_id": audience_id,
                "account_id": route.account_id,
                "replace": None if source is None else source.model_dump(mode="json", exclude_none=True),
                "last_scheduled_replace": scheduled,
            }
        )
    if args.json:
        print(json.dumps({"audiences": rows}, indent=2, default=str))
        return 0
    if not rows:
        print('no audience is declared in the routing\'s "audiences" section')
        return 0
    for row in rows:
        replace = row["replace"]
        what = "no nightly replace" if replace is None else f"nightly replace from {replace['type']}"
        print(f"audience {row['audience_id']} (act_{row['account_id']}): {what}")
        scheduled = row["last_scheduled_replace"]
        if replace is not None or scheduled:
            print(f"  last scheduled {describe_scheduled(scheduled) if scheduled else 'never'}")
    return 0


def _replace_state(
    config: StackConfig, audience_id: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None]:
    """The replace lock, the last replace outcome and the last scheduled one, from StateTable (counts only)."""
    from leadloop.state.replace_records import ReplaceRecords

    records = ReplaceRecords(config.target.client("dynamodb"), config.env["STATE_TABLE_NAME"])
    try:
        return records.lock(audience_id), records.latest_outcome(audience_id), records.scheduled_outcome(audience_id)
    except Exception as exc:
        raise CommandError(f"audience status: cannot read StateTable: {type(exc).__name__}") from None
