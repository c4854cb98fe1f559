"""``leadloop dlq replay QUEUE``: send dead letters back to be processed again.

* FetchRetryDLQ → FetchRetryQueue and AudienceDLQ → AudienceQueue: messages are moved back to
  the queue they came from. Fetch-retry messages get their attempt count reset, so a replayed lead
  gets every retry again.
* LeadHasherFailureDLQ: its messages hold only the stream coordinates of a batch the hasher gave
  up on, and stream records expire after 24 hours, so moving them back would do nothing a day
  later. The replay rebuilds the rows instead (``leadloop_cli.hasherreplay``): for every failed
  record in the range, the lead key (and, for a removal, the hashes) the hasher recorded in
  StateTable before it gave up, plus the range itself read from the stream while it is under 23
  hours old. Each lead's current state in LeadsTable decides: stored → its add rows, exactly as
  the hasher makes them; forgotten or deleted → removal of the recorded hashes. The rows go to
  AudienceQueue and the uploader sends them. Works for the DLQ's whole 14-day retention.
  A range nothing can be rebuilt for stays in the DLQ and the command exits 1: rebuild the
  audiences with ``leadloop replace --source leads``, then clear it with ``--discard-unrebuildable``.

* LeadEventsDLQ and LeadDeliveryDLQ: lead events go back on LeadEventsBus
  (``leadloop_cli.eventsreplay``): a parked event rebuilt from the lead's current state in
  LeadsTable, a dead stream batch from the stream while it is under 23 hours old, an undelivered
  event as it was.

A message is deleted from a DLQ only after its copy (or its rebuilt rows or events) is accepted
by its target, so an interrupted replay never loses one.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from leadloop.events.publisher import EventPublisher
from leadloop.leads.store import StoreError
from leadloop.queues import MessageQueue
from leadloop.state.errors import StateError
from leadloop.state.markers import FailureMarkers
from leadloop_cli.commands import CommandError, subcommand_group
from leadloop_cli.eventsreplay import DeliveryReplay, EventsReplay
from leadloop_cli.hasherreplay import HasherReplay, ReplayError
from leadloop_cli.stackconfig import StackConfig
from leadloop_cli.target import TargetError, add_target_arguments, resolve_target

REPLAYABLE = {
    "FetchRetryDLQ": "FetchRetryQueue",
    "AudienceDLQ": "AudienceQueue",
    "LeadHasherFailureDLQ": "AudienceQueue",
}
REBUILT = "LeadHasherFailureDLQ"
#: Dead-letter queues whose messages go back to LeadEventsBus, not to a queue.
TO_EVENTS_BUS = ("LeadEventsDLQ", "LeadDeliveryDLQ")
_RECEIVE_VISIBILITY = 120


def register(subparsers: Any) -> None:
    group = subcommand_group(subparsers, "dlq", "Inspect and replay dead-letter queues.")
    replay = group.add_parser("replay", help="move a DLQ's messages back to their source queue")
    replay.add_argument(
        "queue", choices=sorted([*REPLAYABLE, *TO_EVENTS_BUS]), help="the dead-letter queue (template logical id)"
    )
    replay.add_argument("--max", type=int, default=0, help="move at most this many messages (default: all)")
    replay.add_argument("--dry-run", action="store_true", help="only count the messages waiting")
    replay.add_argument(
        "--discard-unrebuildable",
        action="store_true",
        help=f"{REBUILT}: also delete ranges nothing can be rebuilt for (after a replace from leads)",
    )
    add_target_arguments(replay)
    replay.set_defaults(handler=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    try:
        target = resolve_target(args)
        sqs = target.client("sqs")
        dlq_url = _queue_url(target, args.queue)
        source_url = _queue_url(target, REPLAYABLE[args.queue]) if args.queue in REPLAYABLE else ""
    except TargetError as exc:
        raise CommandError(f"dlq: {exc}") from None
    if args.dry_run:
        attrs = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
        print(f"{args.queue}: {attrs['Attributes']['ApproximateNumberOfMessages']} message(s) waiting")
        return 0
    if args.queue in TO_EVENTS_BUS:
        return _replay_events(target, sqs, dlq_url, args)
    if args.queue == REBUILT:
        return _replay_hasher_failures(target, sqs, dlq_url, source_url, args)
    moved = replay(sqs, dlq_url, source_url, limit=args.max or None)
    print(f"moved {moved} message(s) from {args.queue} back to {REPLAYABLE[args.queue]}")
    return 0


def _replay_hasher_failures(target: Any, sqs: Any, dlq_url: str, queue_url: str, args: argparse.Namespace) -> int:
    try:
        config = StackConfig.load(target)
    except TargetError as exc:
        raise CommandError(f"dlq: {exc}") from None
    runner = HasherReplay(
        sqs=sqs,
        dlq_url=dlq_url,
        audience_queue=MessageQueue(sqs, queue_url),
        markers=FailureMarkers(config.client("dynamodb"), config.env["STATE_TABLE_NAME"]),
        leads=config.lead_store(),
        routing=config.routing,
        streams=config.client("dynamodbstreams"),
        discard_unrebuildable=args.discard_unrebuildable,
    )
    try:
        report = runner.run(limit=args.max or None)
    except (ReplayError, StateError, StoreError) as exc:
        raise CommandError(f"dlq: {exc}") from None
    print(
        f"rebuilt {report.ranges} range(s) of {REBUILT} ({report.records} failed record(s)): "
        f"{report.rows_added} row(s) to add and {report.rows_removed} to remove sent to AudienceQueue"
    )
    if report.discarded:
        print(f"discarded {report.discarded} range(s) nothing could be rebuilt for")
    if report.unreadable:
        raise CommandError(f"dlq: {report.unreadable} message(s) in {REBUILT} are not stream on-failure records (left)")
    if report.kept:
        raise CommandError(
            f"dlq: {report.kept} range(s) left in {REBUILT}: nothing could be rebuilt for some of their records; "
            "run `leadloop replace --source leads` for the routed audiences, then replay with --discard-unrebuildable"
        )
    return 0


def _replay_events(target: Any, sqs: Any, dlq_url: str, args: argparse.Namespace) -> int:
    try:
        config = StackConfig.load(target)
        publisher = EventPublisher(config.client("events"), str(target.physical_id("LeadEventsBus")))
    except TargetError as exc:
        raise CommandError(f"dlq: {exc}") from None
    runner: EventsReplay | DeliveryReplay
    if args.queue == "LeadEventsDLQ":
        runner = EventsReplay(
            sqs=sqs,
            dlq_url=dlq_url,
            leads=config.lead_store(),
            routing=config.routing,
            publisher=publisher,
            streams=config.client("dynamodbstreams"),
        )
    else:
        runner = DeliveryReplay(sqs=sqs, dlq_url=dlq_url, publisher=publisher)
    try:
        report = runner.run(limit=args.max or None)
    except StoreError as exc:
        raise CommandError(f"dlq: {exc}") from None
    print(
        f"{args.queue}: {report.published} event(s) put back on LeadEventsBus from {report.messages} message(s)"
        + (f"; {report.gone} for leads no longer stored (dropped)" if report.gone else "")
    )
    if report.unreadable or report.kept:
        raise CommandError(
            f"dlq: {report.kept + report.unreadable} message(s) left in {args.queue} "
            f"({report.kept} refused again or past the stream's 24 hours, {report.unreadable} unreadable)"
        )
    return 0


def replay(sqs: Any, dlq_url: str, source_url: str, *, limit: int | None = None) -> int:
    moved = 0
    while limit is None or moved < limit:
        want = 10 if limit is None else max(1, min(10, limit - moved))
        answer = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=want,
            VisibilityTimeout=_RECEIVE_VISIBILITY,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        messages = answer.get("Messages", [])
        if not messages:
            return moved
        entries = [
            {
                "Id": str(i),
                "MessageBody": _replayed_body(m["Body"]),
                "MessageAttributes": m.get("MessageAttributes") or {},
            }
            for i, m in enumerate(messages)
        ]
        sent = sqs.send_message_batch(QueueUrl=source_url, Entries=entries)
        accepted = {int(s["Id"]) for s in sent.get("Successful", [])}
        if not accepted:
            raise CommandError(f"dlq: the source queue refused {len(messages)} message(s); nothing was removed")
        sqs.delete_message_batch(
            QueueUrl=dlq_url,
            Entries=[{"Id": str(i), "ReceiptHandle": messages[i]["ReceiptHandle"]} for i in sorted(accepted)],
        )
        moved += len(accepted)
    return moved


def _replayed_body(body: str) -> str:
    """Fetch-retry messages start their attempts again; every other body is moved unchanged."""
    try:
        document = json.loads(body)
    except ValueError:
        return body
    if isinstance(document, dict) and "leadgen_id" in document and "attempts" in document:
        document["attempts"] = 0
        return json.dumps(document, separators=(",", ":"))
    return body


def _queue_url(target: Any, logical_id: str) -> str:
    physical = target.physical_id(logical_id)
    if physical.startswith("http"):
        return str(physical)
    return str(target.client("sqs").get_queue_url(QueueName=physical)["QueueUrl"])
