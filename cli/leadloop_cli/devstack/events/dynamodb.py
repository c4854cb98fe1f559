"""``DynamoDB`` events: a stream poller with Lambda's semantics.

Per shard, in order: records not matching ``FilterCriteria`` are dropped; batches of up to
``BatchSize`` (within ``MaximumBatchingWindowInSeconds``, and ending before the event would pass
Lambda's 6 MB invoke payload, see ``payload``) are invoked; the checkpoint moves past a batch
only when it succeeded. With ``ReportBatchItemFailures`` the checkpoint moves to the first reported
sequence number and the rest is retried; on a function error ``BisectBatchOnFunctionError`` splits the
batch (without spending a retry). After ``MaximumRetryAttempts`` retries the batch is described to
``DestinationConfig.OnFailure`` (SQS or SNS) and skipped, as Lambda does.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..logsink import LogSink
from ..runtime import InvokeResult
from .batch import failed_item_ids
from .loop import BackgroundLoop
from .payload import MAX_EVENT_BYTES, EventBudget, limit_response, record_bytes

__all__ = ["StreamEventSource", "StreamPoller", "stream_record"]


@dataclass(frozen=True)
class StreamEventSource:
    """One ``DynamoDB`` entry of a function's ``Events``, resolved."""

    function: str
    event_name: str
    function_arn: str
    stream_arn: str
    starting_position: str = "LATEST"
    batch_size: int = 100
    batching_window: float = 0.0
    filter: Callable[[Any], bool] | None = None
    report_failures: bool = False
    bisect_on_error: bool = False
    maximum_retry_attempts: int = -1  # -1: until the record expires (forever, locally)
    on_failure_arn: str | None = None

    @property
    def tag(self) -> str:
        return f"{self.function}.{self.event_name}"


def _plain(value: Any) -> Any:
    """boto3's view of a stream record back to the JSON Lambda sends (bytes -> base64, dates -> epoch)."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | set | tuple):
        return [_plain(item) for item in value]
    return value


def _lambda_identity(identity: Any) -> Any:
    """GetRecords' ``userIdentity`` ``{"Type", "PrincipalId"}`` as Lambda's ``{"type", "principalId"}``.

    DynamoDB Streams' API names the members ``Type`` and ``PrincipalId``; the records Lambda hands a
    function spell them ``type`` and ``principalId`` (a TTL delete: ``{"type": "Service",
    "principalId": "dynamodb.amazonaws.com"}``), which is what code tells TTL expiry from a delete by.
    """
    if not isinstance(identity, dict):
        return identity
    renamed = {"Type": "type", "PrincipalId": "principalId"}
    return {renamed.get(key, key): value for key, value in identity.items()}


def stream_record(raw: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """One Lambda DynamoDB record from a GetRecords entry (boto3's shape in, Lambda's out)."""
    record: dict[str, Any] = _plain(raw)
    if "userIdentity" in record:
        record["userIdentity"] = _lambda_identity(record["userIdentity"])
    record["eventVersion"] = "1.1"
    record["eventSource"] = "aws:dynamodb"
    record["awsRegion"] = region
    record["eventSourceARN"] = stream_arn
    return record


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None
    buffer: list[dict[str, Any]]
    first_buffered_at: float | None = None
    #: Each buffered record's size in the invoke payload (parallel to ``buffer``).
    sizes: list[int] = field(default_factory=list)


class StreamPoller(BackgroundLoop):
    """Reads every shard of one stream for one function until stopped."""

    POLL_INTERVAL = 0.25  # Lambda polls a shard about four times a second

    def __init__(
        self,
        source: StreamEventSource,
        *,
        invoke: Callable[[Any], InvokeResult],
        streams: Any,
        clients: Callable[[str], Any],
        region: str,
        sink: LogSink,
        retry_delay: float = 0.2,
        queue_url: Callable[[str], str] | None = None,
    ) -> None:
        """``clients`` sign as the function's role (the destination is sent with it, as on AWS);
        ``queue_url`` turns a destination queue's ARN into its URL (Lambda needs no call for that,
        so the stack answers it as the admin), by default with ``clients("sqs")``."""
        self.source = source
        self._invoke = invoke
        self._streams = streams
        self._clients = clients
        self._queue_url = queue_url or self._url_by_lookup
        self._region = region
        self._sink = sink
        self._retry_delay = retry_delay
        super().__init__()
        self._shards: dict[str, _Shard] = {}
        self.invocations = 0

    # ------------------------------------------------------------------ lifecycle
    def open(self) -> None:
        """Take shard iterators now (LATEST means: from this moment)."""
        description = self._streams.describe_stream(StreamArn=self.source.stream_arn)["StreamDescription"]
        position = self.source.starting_position.upper()
        for shard in description.get("Shards") or []:
            iterator = self._streams.get_shard_iterator(
                StreamArn=self.source.stream_arn, ShardId=shard["ShardId"], ShardIteratorType=position
            )["ShardIterator"]
            self._shards[shard["ShardId"]] = _Shard(shard["ShardId"], iterator, [])

    def start(self) -> None:
        if not self._shards:
            self.open()
        super().start()

    def _thread_names(self) -> list[str]:
        return [f"ddb-{self.source.tag}"]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.poll_once():
                    self._stop.wait(self.POLL_INTERVAL)
            except Exception as exc:
                if self._stop.is_set():
                    return
                self._sink.write("devstack", f"stream poller {self.source.tag}: {type(exc).__name__}: {exc}")
                self._stop.wait(1.0)

    # ------------------------------------------------------------------ one cycle
    def _fill(self, shard: _Shard) -> None:
        if shard.iterator is None:
            return
        response = self._streams.get_records(ShardIterator=shard.iterator, Limit=1000)
        shard.iterator = response.get("NextShardIterator")
        for raw in response.get("Records") or []:
            record = stream_record(raw, self.source.stream_arn, self._region)
            if self.source.filter is not None and not self.source.filter(record):
                continue
            if not shard.buffer:
                shard.first_buffered_at = time.monotonic()
            shard.buffer.append(record)
            shard.sizes.append(record_bytes(record))

    def _batch_length(self, shard: _Shard) -> int:
        """How many buffered records the next batch takes: BatchSize at most, within 6 MB."""
        budget = EventBudget(MAX_EVENT_BYTES)
        for size in shard.sizes[: self.source.batch_size]:
            if not budget.fits(size):
                break
            budget.add(size)
        return budget.count

    def poll_once(self, *, flush: bool = False) -> int:
        """Read every shard once and deliver ready batches; returns records delivered.

        ``flush`` ignores the batching window (tests use it to deliver what is buffered now).
        """
        delivered = 0
        for shard in self._shards.values():
            self._fill(shard)
            while shard.buffer and not self._stop.is_set():
                length = self._batch_length(shard)
                # full: BatchSize reached, or the next record would pass the payload limit
                full = length >= self.source.batch_size or length < len(shard.buffer)
                waited = time.monotonic() - (shard.first_buffered_at or 0.0)
                if not (flush or full or waited >= self.source.batching_window):
                    break
                batch = shard.buffer[:length]
                self._process(shard, batch)
                shard.buffer = shard.buffer[length:]
                shard.sizes = shard.sizes[length:]
                shard.first_buffered_at = time.monotonic() if shard.buffer else None
                delivered += len(batch)
        return delivered

    def _process(self, shard: _Shard, batch: list[dict[str, Any]]) -> None:
        """Deliver ``batch`` until every record is checkpointed or sent to the on-failure destination."""
        pending: list[tuple[list[dict[str, Any]], int]] = [(batch, 0)]
        while pending and not self._stop.is_set():
            records, retries = pending.pop(0)
            result = limit_response(self._invoke({"Records": records}))
            self.invocations += 1
            ids = [r["dynamodb"]["SequenceNumber"] for r in records]
            if not result.errored and not self.source.report_failures:
                continue
            failed = None if result.errored else failed_item_ids(result, set(ids))
            if failed is not None and not failed:
                continue
            if failed is not None:
                first = min(ids.index(seq) for seq in failed)
                remaining = records[first:]
                self._sink.write(self.source.tag, f"partial failure: checkpoint before sequence {ids[first]}, retrying")
            elif result.errored and self.source.bisect_on_error and len(records) > 1:
                half = len(records) // 2
                self._sink.write(self.source.tag, f"function error on {len(records)} records: bisecting")
                pending[:0] = [(records[:half], retries), (records[half:], retries)]
                continue
            else:
                remaining = records
            limit = self.source.maximum_retry_attempts
            if limit >= 0 and retries >= limit:
                self._on_failure(shard, remaining, retries + 1, result)
                continue
            self._stop.wait(self._retry_delay)
            pending.insert(0, (remaining, retries + 1))

    def _on_failure(self, shard: _Shard, records: list[dict[str, Any]], invocations: int, result: InvokeResult) -> None:
        source = self.source
        self._sink.write(
            source.tag, f"{len(records)} record(s) skipped after {invocations} invocation(s) (retries exhausted)"
        )
        if not source.on_failure_arn:
            return
        first, last = records[0], records[-1]
        document = {
            "requestContext": {
                "requestId": result.request_id or str(uuid.uuid4()),
                "functionArn": source.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": invocations,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled" if result.errored else "",
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "DDBStreamBatchInfo": {
                "shardId": shard.shard_id,
                "startSequenceNumber": first["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": last["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(first["dynamodb"].get("ApproximateCreationDateTime")),
                "approximateArrivalOfLastRecord": _iso(last["dynamodb"].get("ApproximateCreationDateTime")),
                "batchSize": len(records),
                "streamArn": source.stream_arn,
            },
        }
        arn = source.on_failure_arn
        if ":sqs:" in arn:
            self._clients("sqs").send_message(QueueUrl=self._queue_url(arn), MessageBody=json.dumps(document))
        elif ":sns:" in arn:
            self._clients("sns").publish(TopicArn=arn, Message=json.dumps(document))
        else:
            self._sink.write(source.tag, f"on-failure destination {arn} is not SQS or SNS; dropped")

    def _url_by_lookup(self, arn: str) -> str:
        name, account = arn.split(":")[5], arn.split(":")[4]
        return str(self._clients("sqs").get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])


def _iso(epoch: Any) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
