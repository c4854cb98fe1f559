"""``leadloop routing show | validate FILE | set FILE | backup FILE | restore FILE``.

The routing document (which forms are captured, which audiences each feeds) lives in the SSM
parameter ``RoutingParameter``; the functions re-read it within a minute of a change. ``set``
validates against the functions' own model before writing, so a typo is refused here with the
form and field named, never discovered by a failing LeadHasher. ``backup``/``restore`` are what
``make deploy`` wraps around ``sam deploy``: a CloudFormation update (or rollback) that touches the
parameter's properties rewrites its value, and ``restore`` puts the live document back.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadloop_cli.commands import CommandError, subcommand_group
from leadloop_cli.routingdoc import RoutingDocument, RoutingDocumentError, parse
from leadloop_cli.routingstore import RoutingStore, RoutingTooLarge
from leadloop_cli.statefile import NoLocalStackError
from leadloop_cli.target import TargetError, add_target_arguments, resolve_target


def register(subparsers: Any) -> None:
    group = subcommand_group(subparsers, "routing", "Show, validate and change the routing document.")
    show = group.add_parser("show", help="print the live routing document")
    show.add_argument("--raw", action="store_true", help="print the stored text as it is (no pretty-printing)")
    add_target_arguments(show)
    show.set_defaults(handler=run_show)

    validate = group.add_parser("validate", help="check a routing file against the routing model (no AWS calls)")
    validate.add_argument("file", help="the routing JSON file ('-' for stdin)")
    validate.set_defaults(handler=run_validate)

    put = group.add_parser("set", help="validate a routing file, then make it the live routing")
    put.add_argument("file", help="the routing JSON file ('-' for stdin)")
    add_target_arguments(put)
    put.set_defaults(handler=run_set)

    backup = group.add_parser("backup", help="save the live routing verbatim (nothing when the stack is new)")
    backup.add_argument("file", help="where to save it")
    add_target_arguments(backup)
    backup.set_defaults(handler=run_backup)

    restore = group.add_parser("restore", help="write a backup back if the live routing differs from it")
    restore.add_argument("file", help="a file written by `leadloop routing backup` (absent: nothing to do)")
    add_target_arguments(restore)
    restore.set_defaults(handler=run_restore)


def run_show(args: argparse.Namespace) -> int:
    stored = _read(args)
    if args.raw:
        print(stored)
        return 0
    try:
        print(json.dumps(json.loads(stored), indent=2, ensure_ascii=False))
    except ValueError:
        print(stored)
    try:
        parse(stored)
    except RoutingDocumentError as exc:
        print(f"warning: the live routing does not validate: {'; '.join(exc.problems)}", file=sys.stderr)
    return 0


def run_validate(args: argparse.Namespace) -> int:
    document = _validated(args.file)
    print(f"{args.file}: valid: {document.summary()}")
    for note in document.notes():
        print(f"note: {note}")
    return 0


def run_set(args: argparse.Namespace) -> int:
    document = _validated(args.file)
    for note in document.notes():
        print(f"note: {note}")
    store = _store(args)
    try:
        current = store.read()
        if current.text == document.text:
            print(f"routing unchanged: {document.summary()} ({current.name}, version {current.version})")
            return 0
        written = store.write(document.text)
    except RoutingTooLarge as exc:
        raise CommandError(f"routing: {exc}") from None
    except (ClientError, BotoCoreError) as exc:
        raise CommandError(f"routing: cannot write {store.name}: {_aws_error(exc)}") from None
    print(
        f"routing set: {document.summary()} → {written.name} (version {written.version}, {written.tier} tier; "
        f"previous version {current.version})"
    )
    return 0


def run_backup(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not args.local and not _stack_exists(args):
        path.unlink(missing_ok=True)
        print(f"routing backup: stack {args.stack_name} does not exist yet: nothing to keep")
        return 0
    text = _read(args)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"routing backup: {len(text.encode('utf-8'))} bytes saved to {path}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.exists():
        print(f"routing restore: no backup at {path}: nothing to restore")
        return 0
    saved = path.read_text(encoding="utf-8")
    store = _store(args)
    try:
        live = store.read()
        if live.text == saved:
            print(f"routing restore: the live routing is unchanged ({live.name}, version {live.version})")
            return 0
        written = store.write(saved)
    except RoutingTooLarge as exc:
        raise CommandError(f"routing: {exc}") from None
    except (ClientError, BotoCoreError) as exc:
        raise CommandError(
            f"routing: the live routing differs from {path} and cannot be restored ({_aws_error(exc)}); "
            f"run `leadloop routing restore {path}` again"
        ) from None
    print(
        f"routing restore: the live routing had been rewritten (version {live.version}); "
        f"{path} is live again as version {written.version}"
    )
    _note_unrouted_window(saved, since=path.stat().st_mtime)
    return 0


def _note_unrouted_window(saved: str, *, since: float) -> None:
    """Leads stored while the routing was rewritten reached no audience: say how to resend them."""
    try:
        audiences = sorted({a for f in parse(saved).routing.forms for a in f.audience_ids})
    except RoutingDocumentError:
        return
    if not audiences:
        return
    start = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"note: leads stored between {start} and now may have reached no audience; to resend one in full:")
    for audience_id in audiences:
        print(f"  leadloop replace --audience-id {audience_id} --source leads")


def _validated(file: str) -> RoutingDocument:
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"routing: cannot read {file}: {exc.strerror}") from None
    try:
        return parse(text)
    except RoutingDocumentError as exc:
        for problem in exc.problems:
            print(f"{file}: {problem}")
        count = len(exc.problems)
        raise CommandError(f"routing: {file} is not valid routing ({count} problem(s), listed above)") from None


def _store(args: argparse.Namespace) -> RoutingStore:
    try:
        return RoutingStore.for_target(resolve_target(args))
    except (TargetError, NoLocalStackError) as exc:
        raise CommandError(f"routing: {exc}") from None


def _read(args: argparse.Namespace) -> str:
    store = _store(args)
    try:
        return store.read().text
    except (ClientError, BotoCoreError) as exc:
        raise CommandError(f"routing: cannot read {store.name}: {_aws_error(exc)}") from None


def _stack_exists(args: argparse.Namespace) -> bool:
    try:
        resolve_target(args).client("cloudformation").describe_stacks(StackName=args.stack_name)
    except ClientError as exc:
        if "does not exist" in str(exc):
            return False
        raise CommandError(f"routing: cannot read stack {args.stack_name}: {_aws_error(exc)}") from None
    return True


def _aws_error(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or type(exc).__name__)
    return type(exc).__name__
