"""``leadloop dlq replay QUEUE``: move dead letters back to the queue they came from.

Only the queues whose messages can be processed again are replayable: FetchRetryDLQ →
FetchRetryQueue and AudienceDLQ → AudienceQueue. A message is deleted from the DLQ only after its
copy is accepted by the source queue, so an interrupted replay never loses one. Fetch-retry
messages get their attempt count reset, so a replayed lead gets every retry again.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from leadloop_cli.commands import CommandError, subcommand_group
from leadloop_cli.target import TargetError, add_target_arguments, resolve_target

REPLAYABLE = {"FetchRetryDLQ": "FetchRetryQueue", "AudienceDLQ": "AudienceQueue"}
_RECEIVE_VISIBILITY = 120


def register(subparsers: Any) -> None:
    group = subcommand_group(subparsers, "dlq", "Inspect and replay dead-letter queues.")
    replay = group.add_parser("replay", help="move a DLQ's messages back to their source queue")
    replay.add_argument("queue", choices=sorted(REPLAYABLE), help="the dead-letter queue (template logical id)")
    replay.add_argument("--max", type=int, default=0, help="move at most this many messages (default: all)")
    replay.add_argument("--dry-run", action="store_true", help="only count the messages waiting")
    add_target_arguments(replay)
    replay.set_defaults(handler=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    try:
        target = resolve_target(args)
        sqs = target.client("sqs")
        dlq_url = _queue_url(target, args.queue)
        source_url = _queue_url(target, REPLAYABLE[args.queue])
    except TargetError as exc:
        raise CommandError(f"dlq: {exc}") from None
    if args.dry_run:
        attrs = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
        print(f"{args.queue}: {attrs['Attributes']['ApproximateNumberOfMessages']} message(s) waiting")
        return 0
    moved = replay(sqs, dlq_url, source_url, limit=args.max or None)
    print(f"moved {moved} message(s) from {args.queue} back to {REPLAYABLE[args.queue]}")
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
