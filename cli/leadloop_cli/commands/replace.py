"""``leadloop replace``: make a Custom Audience exactly a set of people, through the AudienceReplace state machine.

The same input the Step Functions console takes (README "Replace") is built from the options; with
``--follow`` the command shows each step as the execution reaches it and prints the outcome. For an
``s3://`` CSV the column mapping comes from ``--map COLUMN=KEY``, or from the header (read from S3,
names and common aliases such as "E-mail" or "Phone Number") when no ``--map`` is given.

``--all`` starts the nightly fan-out instead (every audience the routing declares a replace for;
:mod:`leadloop_cli.replaceall`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from leadloop_cli import replaceall
from leadloop_cli.commands import CommandError
from leadloop_cli.hashfile.errors import HashFileError
from leadloop_cli.hashfile.mapping import parse_key_list, parse_map_argument, resolve_columns
from leadloop_cli.sfnhistory import events_after
from leadloop_cli.target import Target, TargetError, add_target_arguments, resolve_target

#: Keys the header is searched for when neither --map nor --schema is given.
AUTO_KEYS = ("EMAIL", "PHONE", "FN", "LN", "CT", "ST", "ZIP", "COUNTRY", "GEN", "DOBY", "DOBM", "DOBD", "MADID")
_HEADER_BYTES = 64 * 1024

STEPS = {
    "Begin": "checking the input",
    "Check": "checking the audience at Meta",
    "WaitWhileBusy": "the audience is busy at Meta: waiting",
    "Lock": "locking the audience (uploads to it wait)",
    "Stage": "staging: normalizing and hashing the source",
    "Pack": "packing: removing duplicates, cutting chunks",
    "SendFirst": "opening the replace session (batch 1)",
    "WaitBeforeFirst": "Meta is busy (1870145): waiting to open the session",
    "SendMiddle": "sending batches",
    "NewSession": "Meta lost the session (1870147): starting a new one",
    "Close": "closing the session (last batch)",
    "Poll": "Meta is processing the replace",
    "WaitWhileProcessing": "Meta is processing the replace",
    "AddOverflow": "adding the rows that missed the window (/users)",
    "Finish": "recording the outcome",
    "Cleanup": "failed: releasing the lock, recording why",
    "Reject": "refused: recording why",
}


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "replace", help="replace an audience's members with the leads or a CSV (AudienceReplace state machine)"
    )
    parser.add_argument("--audience-id", help="the Custom Audience to replace (required without --all)")
    parser.add_argument("--source", help="'leads' or s3://BUCKET/KEY.csv (required without --all)")
    parser.add_argument(
        "--all", action="store_true", help="replace every audience the routing declares a replace for (the nightly run)"
    )
    parser.add_argument("--date", help="--all: resolve dated CSV keys for this day (YYYY-MM-DD), not the run's")
    parser.add_argument("--form-id", action="append", help="leads source: only these routed forms (repeatable)")
    parser.add_argument("--since-days", type=int, help="leads source: only leads created in the last N days")
    parser.add_argument("--map", action="append", default=[], metavar="COLUMN=KEY", help="CSV column → schema key")
    parser.add_argument("--schema", help="CSV source: keys to find in the header by name/alias, e.g. EMAIL,PHONE")
    parser.add_argument("--default-country", help="CSV source: ISO alpha-2 country for phones, states, zips")
    parser.add_argument("--max-concurrency", type=int, help="replace batches in flight after batch 1 (1-16)")
    parser.add_argument("--dry-run", action="store_true", help="stage and count only; nothing is sent to Meta")
    parser.add_argument("--follow", action="store_true", help="show progress and wait for the outcome")
    parser.add_argument("--timeout", type=float, default=6 * 3600, help="--follow gives up after this many seconds")
    parser.add_argument("--json", action="store_true", help="print the outcome (or the started execution) as JSON")
    add_target_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.all:
        return run_all(args)
    if not args.audience_id or not args.source:
        raise CommandError("replace: --audience-id and --source are required (or --all for every routed replace)")
    if args.date:
        raise CommandError("replace: --date applies to --all only")
    try:
        target = resolve_target(args)
        document = build_input(args, target)
        sfn = target.client("stepfunctions")
        execution = start(target, document)
    except TargetError as exc:
        raise CommandError(f"replace: {exc}") from None
    return _report_started(
        args, execution, document, lambda: follow(sfn, execution, timeout=args.timeout, quiet=args.json)
    )


#: Options that describe one audience's replace, which --all takes from the routing instead.
_ONE_AUDIENCE = (
    "audience_id",
    "source",
    "form_id",
    "since_days",
    "map",
    "schema",
    "default_country",
    "max_concurrency",
)


def run_all(args: argparse.Namespace) -> int:
    given = [f"--{name.replace('_', '-')}" for name in _ONE_AUDIENCE if getattr(args, name)]
    if given:
        raise CommandError(f"replace: --all takes each audience's replace from the routing; drop {', '.join(given)}")
    document = replaceall.fan_out_input(dry_run=args.dry_run, day=args.date)
    try:
        target = resolve_target(args)
        sfn = target.client("stepfunctions")
        execution = replaceall.start(target, document)
    except TargetError as exc:
        raise CommandError(f"replace: {exc}") from None
    return _report_started(
        args, execution, document, lambda: replaceall.follow(sfn, execution, timeout=args.timeout, quiet=args.json)
    )


def _report_started(
    args: argparse.Namespace, execution: str, document: dict[str, Any], follow_it: Callable[[], int]
) -> int:
    """Print the started execution (and its input with --json), or follow it to its outcome."""
    if not args.follow:
        print(json.dumps({"execution_arn": execution, "input": document}) if args.json else execution)
        return 0
    if not args.json:
        print(f"started {execution}")
    return follow_it()


def start(target: Target, document: dict[str, Any]) -> str:
    """Start an AudienceReplace execution; returns its ARN."""
    name = f"cli-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:8]}"
    answer = target.client("stepfunctions").start_execution(
        stateMachineArn=target.physical_id("AudienceReplaceStateMachine"), name=name, input=json.dumps(document)
    )
    return str(answer["executionArn"])


def wait_for(target: Target, execution: str, *, timeout: float) -> dict[str, Any]:
    """The finished execution (``describe_execution``), or CommandError after ``timeout`` seconds."""
    sfn = target.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while True:
        answer: dict[str, Any] = sfn.describe_execution(executionArn=execution)
        if answer["status"] != "RUNNING":
            return answer
        if time.monotonic() > deadline:
            raise CommandError(f"replace: still running after {timeout:.0f} s: {execution}")
        time.sleep(0.5)


def build_input(args: argparse.Namespace, target: Target) -> dict[str, Any]:
    """The execution input (validated again, fully, by the state machine's first task)."""
    document: dict[str, Any] = {"audience_id": str(args.audience_id)}
    if args.source == "leads":
        if args.map or args.schema or args.default_country:
            raise CommandError("replace: --map, --schema and --default-country apply to a CSV source only")
        source: dict[str, Any] = {"type": "leads"}
        if args.form_id:
            source["form_ids"] = list(args.form_id)
        if args.since_days:
            source["since_days"] = args.since_days
    elif args.source.startswith("s3://"):
        if args.form_id or args.since_days:
            raise CommandError("replace: --form-id and --since-days apply to the leads source only")
        bucket, _, key = args.source.removeprefix("s3://").partition("/")
        if not bucket or not key:
            raise CommandError(f"replace: --source {args.source!r} is not s3://BUCKET/KEY")
        source = {"type": "s3_csv", "bucket": bucket, "key": key, "mapping": _mapping(args, target, bucket, key)}
        if args.default_country:
            source["default_country"] = args.default_country.upper()
    else:
        raise CommandError(f"replace: --source must be 'leads' or s3://BUCKET/KEY, not {args.source!r}")
    document["source"] = source
    if args.max_concurrency:
        document["max_concurrency"] = args.max_concurrency
    if args.dry_run:
        document["dry_run"] = True
    return document


def _mapping(args: argparse.Namespace, target: Target, bucket: str, key: str) -> dict[str, str]:
    try:
        overrides = [parse_map_argument(item) for item in args.map]
        if overrides and not args.schema:
            return dict(overrides)
        header = _header(target, bucket, key)
        if args.schema:
            columns = resolve_columns(header, parse_key_list(args.schema, "--schema"), overrides)
            return dict(zip(columns.columns, columns.schema, strict=True))
        found: dict[str, str] = {}
        for schema_key in AUTO_KEYS:
            try:
                columns = resolve_columns(header, [schema_key])
            except HashFileError:
                continue
            found[columns.columns[0]] = schema_key
    except HashFileError as exc:
        raise CommandError(f"replace: {exc}") from None
    if not found:
        raise CommandError(f"replace: no column of s3://{bucket}/{key} names a schema key; use --map COLUMN=KEY")
    return found


def _header(target: Target, bucket: str, key: str) -> list[str]:
    try:
        blob = target.client("s3").get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{_HEADER_BYTES - 1}")["Body"]
        text = blob.read().decode("utf-8-sig", errors="replace")
    except Exception as exc:
        raise CommandError(f"replace: cannot read the header of s3://{bucket}/{key}: {type(exc).__name__}") from None
    return next(csv.reader(io.StringIO(text)), [])


def follow(sfn: Any, execution: str, *, timeout: float, quiet: bool) -> int:
    """Print each step as the execution enters it, then the outcome; non-zero with the reason on failure."""
    deadline = time.monotonic() + timeout
    seen, shown = 0, None
    while True:
        answer = sfn.describe_execution(executionArn=execution)
        status = answer["status"]
        if not quiet:
            steps, seen = _new_steps(sfn, execution, after=seen)
            for moment, step in steps:
                text = STEPS.get(step)  # Choice, Succeed and Fail states are not steps
                if text is not None and text != shown:
                    shown = text
                    print(f"  {moment}  {text}", flush=True)
        if status != "RUNNING":
            break
        if time.monotonic() > deadline:
            raise CommandError(f"replace: still running after {timeout:.0f} s; follow it in the console: {execution}")
        time.sleep(1.0)
    result = json.loads(answer.get("output") or "null")
    if status == "SUCCEEDED":
        print(json.dumps(result, indent=2) if quiet else describe_outcome(result))
        return 0
    if quiet and result is not None:
        print(json.dumps(result, indent=2))
    raise CommandError(f"replace {status.lower()}: {answer.get('error', '')}: {answer.get('cause', '')}".strip())


def _new_steps(sfn: Any, execution: str, *, after: int) -> tuple[list[tuple[str, str]], int]:
    """States entered since event ``after`` (oldest first) and the newest event id."""
    events, newest = events_after(sfn, execution, after=after)
    steps = [
        (e["timestamp"].strftime("%H:%M:%S") if hasattr(e["timestamp"], "strftime") else "", str(details["name"]))
        for e in events
        if (details := e.get("stateEnteredEventDetails"))
    ]
    return steps, newest


def describe_outcome(outcome: dict[str, Any]) -> str:
    lines = [f"replace {outcome.get('status')}: audience {outcome.get('audience_id')} (run {outcome.get('run_id')})"]
    lines.append(
        f"  source {outcome.get('source')}: {outcome.get('rows_read', 0):,} rows read, "
        f"{outcome.get('rows_unique', 0):,} unique, {outcome.get('duplicates', 0):,} duplicates, "
        f"{outcome.get('rows_without_identifiers', 0):,} without an identifier"
    )
    rejected = outcome.get("cells_rejected") or {}
    if rejected:
        lines.append("  cells refused: " + ", ".join(f"{k} {v:,}" for k, v in sorted(rejected.items())))
    if outcome.get("status") != "dry_run":
        lines.append(
            f"  replace: {outcome.get('replace_calls', 0)} batch(es) of {outcome.get('chunks', 0)}, "
            f"Meta received {outcome.get('replace_received', 0):,}, invalid {outcome.get('replace_invalid', 0):,}"
        )
        if outcome.get("overflow_chunks"):
            lines.append(
                f"  overflow: {outcome['overflow_chunks']} chunk(s) missed the window and were added with /users "
                f"(received {outcome.get('overflow_received', 0):,})"
            )
    else:
        lines.append(f"  dry run: {outcome.get('chunks', 0)} chunk(s) staged; nothing sent to Meta")
    if "seconds_total" in outcome:
        window = f", {outcome['seconds_in_window']} s in Meta's window" if "seconds_in_window" in outcome else ""
        lines.append(f"  took {outcome['seconds_total']} s{window}")
    return "\n".join(lines)
