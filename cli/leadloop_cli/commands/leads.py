"""``leadloop leads export | show``: the stored leads out of LeadsTable, for a CRM, a spreadsheet or a look.

``export`` writes a form's (or every routed form of a Page's) ``FETCHED`` leads as CSV with Meta's
lead-export columns, or as JSONL, streaming from DynamoDB in constant memory; OUT appears only when
every lead is written. ``show`` prints one stored lead whatever its status. Both reach the stack like
the other operator commands: ``--local`` for ``leadloop dev up``, else ``--stack-name`` on AWS.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadloop.leads.store import LeadStore, StoreError
from leadloop_cli.commands import CommandError, subcommand_group
from leadloop_cli.leadsexport.dates import parse_window
from leadloop_cli.leadsexport.errors import ExportError
from leadloop_cli.leadsexport.export import export_leads
from leadloop_cli.leadsexport.output import check_target
from leadloop_cli.leadsexport.pager import LeadPager
from leadloop_cli.leadsexport.show import lead_document
from leadloop_cli.routingdoc import RoutingDocumentError, parse
from leadloop_cli.routingstore import RoutingStore
from leadloop_cli.statefile import NoLocalStackError
from leadloop_cli.target import Target, TargetError, add_target_arguments, resolve_target

LEADS_TABLE = "LeadsTable"


def register(subparsers: Any) -> None:
    group = subcommand_group(subparsers, "leads", "Export stored leads, or show one.")
    export = group.add_parser(
        "export",
        help="write a form's (or a Page's forms') stored leads as CSV or JSONL",
        description="Write stored (FETCHED) leads, oldest first, with Meta's lead-export columns.",
    )
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--form-id", help="the form whose leads to export")
    which.add_argument("--page-id", help="export every form of this Page listed in the routing, one after another")
    export.add_argument("--since", help="leads created at or after: YYYY-MM-DD (UTC) or ISO 8601 with an offset")
    export.add_argument("--until", help="leads created before (exclusive): YYYY-MM-DD (UTC) or ISO 8601 with an offset")
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="output format (default csv)")
    export.add_argument("--out", default="-", help="output file, written atomically (default: stdout)")
    add_target_arguments(export)
    export.set_defaults(handler=run_export)

    show = group.add_parser("show", help="print one stored lead as JSON (status, times, ids, answers)")
    show.add_argument("lead_id", metavar="ID", help="the lead's id (leadgen_id)")
    add_target_arguments(show)
    show.set_defaults(handler=run_show)


def run_export(args: argparse.Namespace) -> int:
    chosen = args.form_id if args.form_id is not None else args.page_id
    if not _ascii_digits(chosen):
        raise CommandError(f"leads export: {'--form-id' if args.form_id is not None else '--page-id'} must be digits")
    try:
        window = parse_window(args.since, args.until)
        check_target(args.out)
    except ExportError as exc:
        raise CommandError(f"leads export: {exc}") from None
    target = _target(args, "leads export")
    form_ids = [args.form_id] if args.form_id is not None else _page_forms(target, args.page_id)
    try:
        pager = LeadPager(target.client("dynamodb"), target.physical_id(LEADS_TABLE))
        summary = export_leads(
            pager,
            form_ids,
            window,
            fmt=args.format,
            out=args.out,
            progress_stream=sys.stderr,
            show_progress=sys.stderr.isatty(),
        )
    except (ExportError, TargetError) as exc:
        raise CommandError(f"leads export: {exc}") from None
    where = "stdout" if args.out == "-" else args.out
    print(
        f"leads export: {summary.leads} lead(s) of {summary.forms} form(s) written to {where} "
        f"({summary.questions} question(s), {summary.checkboxes} check box(es))",
        file=sys.stderr,
    )
    return 0


def run_show(args: argparse.Namespace) -> int:
    if not _ascii_digits(args.lead_id):
        raise CommandError("leads show: ID must be a lead id (digits)")
    target = _target(args, "leads show")
    try:
        store = LeadStore(target.client("dynamodb"), target.physical_id(LEADS_TABLE), retention_days=0)
        item = store.get(args.lead_id)
    except (StoreError, TargetError) as exc:
        raise CommandError(f"leads show: {exc}") from None
    if item is None:
        raise CommandError(f"leads show: no lead {args.lead_id} in {LEADS_TABLE}")
    print(json.dumps(lead_document(item), indent=2, ensure_ascii=False))
    return 0


def _target(args: argparse.Namespace, command: str) -> Target:
    try:
        return resolve_target(args)
    except (TargetError, NoLocalStackError) as exc:
        raise CommandError(f"{command}: {exc}") from None


def _page_forms(target: Target, page_id: str) -> list[str]:
    """The Page's forms in routing order: the routing is where leadloop lists a Page's forms."""
    try:
        stored = RoutingStore.for_target(target).read()
        routing = parse(stored.text).routing
    except RoutingDocumentError as exc:
        raise CommandError(
            f"leads export: the live routing does not validate ({len(exc.problems)} problem(s))"
        ) from None
    except TargetError as exc:
        raise CommandError(f"leads export: {exc}") from None
    except (ClientError, BotoCoreError) as exc:
        code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else None
        raise CommandError(f"leads export: cannot read the routing: {code or type(exc).__name__}") from None
    forms = [route.form_id for route in routing.forms if route.page_id == page_id]
    if not forms:
        raise CommandError(f"leads export: the routing lists no form of Page {page_id}")
    return forms


def _ascii_digits(text: str) -> bool:
    """Meta's ids are ASCII digits; ``str.isdigit`` alone also takes Arabic-Indic or full-width ones."""
    return text.isascii() and text.isdigit()
