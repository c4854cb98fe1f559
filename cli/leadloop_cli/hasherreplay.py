"""Replay of LeadHasherFailureDLQ: each dead-lettered stream range becomes audience rows again.

A message on LeadHasherFailureDLQ is Lambda's on-failure record: the shard and the first and
last sequence numbers of a batch the hasher gave up on, nothing more. For each message:

1. the failed records the hasher wrote to StateTable for that range (``leadloop.state.markers``);
2. while the stream still holds the range (its first record is less than 23 hours old), the
   range's records themselves, read by their coordinates: this also covers a batch that failed
   without recording anything (a timeout);
3. the rows each lead's current state in LeadsTable asks for (``leadloop.hasher.rebuild``),
   packed and sent to AudienceQueue, where the uploader takes them as any other rows;
4. only once AudienceQueue accepted them: the DLQ message is deleted, then its StateTable records.

A range for which nothing can be rebuilt (no records in StateTable and the stream expired, or a
removal whose hashes were never recorded) stays in the DLQ, and the replay exits non-zero saying
so; rebuild the audiences from LeadsTable with ``leadloop replace --source leads``, then run the
replay with ``--discard-unrebuildable`` to clear them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from botocore.exceptions import BotoCoreError, ClientError

from leadloop.hasher.failures import change_of, describe
from leadloop.hasher.packing import pack
from leadloop.hasher.rebuild import LeadReader, rebuild
from leadloop.hasher.service import Sender, rows_for_change
from leadloop.queues import OutgoingMessage
from leadloop.routing import Routing
from leadloop.state.markers import FailedRecord

#: Stream records live 24 hours; a range older than this is not read (it may be trimmed mid-read).
STREAM_READABLE_FOR = timedelta(hours=23)
_RECEIVE_VISIBILITY = 300


class ReplayError(RuntimeError):
    """AudienceQueue refused rows: nothing of that range was removed from the DLQ."""


@dataclass(frozen=True)
class DeadRange:
    """One on-failure record: where the batch the hasher gave up on lies in the stream."""

    stream_arn: str
    shard_id: str
    first: str
    last: str
    first_arrival: datetime | None

    @classmethod
    def parse(cls, body: str) -> DeadRange | None:
        try:
            info = json.loads(body)["DDBStreamBatchInfo"]
            first, last = str(info["startSequenceNumber"]), str(info["endSequenceNumber"])
            if not (first.isdigit() and last.isdigit()):
                return None
            return cls(str(info["streamArn"]), str(info["shardId"]), first, last, _when(info))
        except (ValueError, KeyError, TypeError):
            return None

    def stream_readable(self, now: datetime) -> bool:
        return self.first_arrival is not None and now - self.first_arrival < STREAM_READABLE_FOR


@dataclass
class ReplayReport:
    messages: int = 0
    #: Ranges replayed and removed from the DLQ.
    ranges: int = 0
    records: int = 0
    rows_added: int = 0
    rows_removed: int = 0
    #: Ranges left in the DLQ: nothing could be rebuilt for some of their records.
    kept: int = 0
    discarded: int = 0
    unreadable: int = 0
    read_from_stream: int = 0


class RangeMarkers(Protocol):
    def in_range(self, first: str, last: str) -> list[FailedRecord]: ...

    def delete(self, sequences: Iterable[str]) -> None: ...


@dataclass
class HasherReplay:
    sqs: Any
    dlq_url: str
    audience_queue: Sender
    markers: RangeMarkers
    leads: LeadReader
    routing: Callable[[], Routing]
    streams: Any
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    discard_unrebuildable: bool = False

    def run(self, *, limit: int | None = None) -> ReplayReport:
        """Replay every range (or ``limit``); ranges left in the DLQ are visible again at the end."""
        report = ReplayReport()
        left: dict[str, str] = {}  # message id → receipt handle of every range not (yet) replayed
        try:
            self._run(report, left, limit)
        finally:
            for handle in left.values():
                self.sqs.change_message_visibility(QueueUrl=self.dlq_url, ReceiptHandle=handle, VisibilityTimeout=0)
        return report

    def _run(self, report: ReplayReport, left: dict[str, str], limit: int | None) -> None:
        seen: set[str] = set()
        while limit is None or report.messages < limit:
            want = 10 if limit is None else max(1, min(10, limit - report.messages))
            answer = self.sqs.receive_message(
                QueueUrl=self.dlq_url,
                MaxNumberOfMessages=want,
                VisibilityTimeout=_RECEIVE_VISIBILITY,
                WaitTimeSeconds=0,
            )
            fresh = [m for m in answer.get("Messages", []) if m["MessageId"] not in seen]
            if not fresh:
                return
            left.update({m["MessageId"]: m["ReceiptHandle"] for m in fresh})
            for message in fresh:
                seen.add(message["MessageId"])
                report.messages += 1
                if self._one(message, report):
                    del left[message["MessageId"]]

    def _one(self, message: dict[str, Any], report: ReplayReport) -> bool:
        """Replay one range; False when it stays in the DLQ."""
        dead = DeadRange.parse(message["Body"])
        if dead is None:
            report.unreadable += 1
            return False
        failed = self.markers.in_range(dead.first, dead.last)
        recorded = [f.sequence for f in failed]
        from_stream = self._stream(dead) if dead.stream_readable(self.now()) else None
        if from_stream is not None:
            report.read_from_stream += 1
            known = set(recorded)
            failed += [f for f in from_stream if f.sequence not in known]
        rebuilt = rebuild(failed, self.leads, self.routing())
        nothing_known = not failed and from_stream is None
        if (rebuilt.unrebuildable or nothing_known) and not self.discard_unrebuildable:
            self._send(rebuilt.rows)  # what can be rebuilt goes now; the range stays for a replace
            report.kept += 1
            return False
        self._send(rebuilt.rows)
        self.sqs.delete_message(QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"])
        self.markers.delete(recorded)
        if rebuilt.unrebuildable or nothing_known:
            report.discarded += 1
        else:
            report.ranges += 1
        report.records += len(failed)
        report.rows_added += rebuilt.added
        report.rows_removed += rebuilt.removed
        return True

    def _send(self, rows: list[Any]) -> None:
        result = pack(rows)
        outgoing = [OutgoingMessage(body=p.body, reason=f"replay: {p.reason}") for p in result.packed]
        accepted = self.audience_queue.send_each(outgoing)
        if result.unpackable or not all(accepted):
            raise ReplayError(f"AudienceQueue refused {accepted.count(False)} message(s); the range stays in the DLQ")

    def _stream(self, dead: DeadRange) -> list[FailedRecord] | None:
        """The range's records described as the hasher would; None when the stream no longer holds them."""
        raw = read_range(self.streams, dead)
        if raw is None:
            return None
        routing = self.routing()
        described: list[FailedRecord] = []
        for item in raw:
            record = DynamoDBRecord(item)
            change = None
            try:
                change = change_of(record)
                rows = rows_for_change(change, routing) if change is not None else []
            except Exception:
                rows = None
            if change is not None or rows is None:
                described.append(describe(record, rows))
        return described


def read_range(streams: Any, dead: DeadRange) -> list[dict[str, Any]] | None:
    """Stream records ``first``..``last`` of the shard, in order; None if the stream cannot give them."""
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=dead.stream_arn,
            ShardId=dead.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=dead.first,
        ).get("ShardIterator")
        found: list[dict[str, Any]] = []
        while iterator:
            answer = streams.get_records(ShardIterator=iterator, Limit=1000)
            page = answer.get("Records") or []
            for record in page:
                if int(record["dynamodb"]["SequenceNumber"]) > int(dead.last):
                    return found
                found.append(record)
            if not page:
                return found
            iterator = answer.get("NextShardIterator")
        return found
    except (ClientError, BotoCoreError):
        return None


def _when(info: dict[str, Any]) -> datetime | None:
    text = info.get("approximateArrivalOfFirstRecord")
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
