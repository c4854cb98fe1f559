"""Leads → LeadHasher → AudienceQueue → AudienceUploader → Meta, under bulk load on the local stack.

Stored leads are written straight into LeadsTable (as the capture path would), so the figures
measure the audience half only. The local stack enforces Lambda's 6 MB invoke payload on both
pollers, as AWS does, so what one uploader invocation can carry is what it would carry on AWS.

The run has two stages, as an operator's bulk load on AWS would with the uploader's event source
disabled while the hasher fills the queue:

1. hashing: the uploader's poller is paused; the hasher packs each stream batch's rows into
   AudienceQueue messages (their count, sizes and rows per message are printed);
2. uploading: the poller resumes; every row reaches the simulator's audience. Printed: ``/users``
   calls and rows per call (target: at least 8,000 on average for 50,000 leads), uploader
   invocations, rows per second for the stage, and the bound the simulator's latency sets
   (rows ÷ (calls × latency), one call in flight per poller).

On the local stack every AWS call goes through moto in one process, so the hashing stage is bound by
moto's stream reads and table writes, not by the hasher.

Run: ``.venv/bin/python bench/upload_efficiency.py [--leads 50000] [--latency-ms 500] [--window 30]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TARGET_ROWS_PER_CALL = 8_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=50_000)
    parser.add_argument("--latency-ms", type=int, default=500, help="simulated latency of each /users call")
    parser.add_argument("--window", type=int, default=30, help="AudienceUploadWindowSeconds for the run")
    args = parser.parse_args()

    from leadloop_cli.devstack import LocalStack
    from leadloop_cli.stackclient import StackClient, wait_until

    log_dir = Path(tempfile.mkdtemp(prefix="leadloop-bench-"))
    params = {"AudienceUploadWindowSeconds": str(args.window)}
    with LocalStack(parameter_overrides=params, write_state_file=False, log_file=log_dir / "functions.log") as local:
        uploader = next(p for p in local.sqs_pollers if p.source.function == "AudienceUploaderFunction")
        uploader.pause()
        stack = StackClient(local.describe())
        audience_id = stack.seed["audience_id"]
        stack.add_fault(path=rf"/{audience_id}/users$", latency_ms=args.latency_ms)
        queue_url = stack.resources["AudienceQueue"]
        sqs = stack.aws("sqs")

        started = time.monotonic()
        load_leads(stack, args.leads)
        loaded = time.monotonic() - started
        sizes: list[tuple[int, int]] = []

        def all_rows_queued() -> bool:
            sizes[:] = queued_messages(sqs, queue_url)
            return sum(rows for _, rows in sizes) >= int(args.leads)

        wait_until(all_rows_queued, timeout=3600, what="every row on AudienceQueue", interval=5)
        hashed = time.monotonic() - started

        def rows_at_meta() -> int:
            return len(stack.sim("GET", f"/_sim/audiences/{audience_id}").get("members", []))

        upload_started = time.monotonic()
        uploader.resume()
        wait_until(lambda: rows_at_meta() >= args.leads, timeout=3600, what="every row to reach Meta", interval=1)
        uploading = time.monotonic() - upload_started
        # rows show at Meta before the invocation returns and its messages are deleted
        wait_until(lambda: queue_empty(sqs, queue_url), timeout=600, what="AudienceQueue to drain", interval=0.5)
        calls = [c for c in stack.calls() if str(c.get("path", "")).endswith(f"/{audience_id}/users")]
        invocations = uploader.batches

    report(args, Run(loaded, hashed, uploading, sizes, [int(c.get("rows") or 0) for c in calls], invocations))
    return 0


@dataclass(frozen=True)
class Run:
    loaded: float
    hashed: float
    uploading: float
    #: (body bytes, rows) of each AudienceQueue message once every row was queued
    messages: list[tuple[int, int]]
    #: rows of each /users call
    calls: list[int]
    invocations: int


def report(args: argparse.Namespace, run: Run) -> None:
    bodies = [size for size, _ in run.messages]
    per_message = [rows for _, rows in run.messages]
    rows_sent = sum(run.calls)
    per_call = rows_sent / max(1, len(run.calls))
    bound = rows_sent / (len(run.calls) * args.latency_ms / 1000.0) if run.calls else 0.0
    rate = args.leads / run.uploading
    print(f"{args.leads:,} leads through hasher → uploader on the local stack (/users latency {args.latency_ms} ms)")
    print(f"  loading LeadsTable           {run.loaded:8.1f} s")
    print(f"  until every row is queued    {run.hashed:8.1f} s   {args.leads / run.hashed:,.0f} rows/s (moto-bound)")
    print(
        f"  AudienceQueue messages       {len(bodies):8d}     {statistics.mean(per_message):,.0f} rows a message"
        f" (max {max(per_message):,}), body {statistics.mean(bodies) / 1024:,.0f} KiB on average"
        f" (max {max(bodies) / 1024:,.0f} KiB), {sum(bodies) / sum(per_message):,.0f} bytes a row"
    )
    print(f"  uploading, queue to Meta     {run.uploading:8.1f} s   {rate:,.0f} rows/s ({run.invocations} invocations)")
    print(f"  /users calls                 {len(run.calls):8d}     {per_call:,.0f} rows a call: {run.calls}")
    print(f"  latency bound                {bound:10,.0f} rows/s   ratio {rate / bound if bound else 0:.3f}")
    if args.leads >= 50_000:
        verdict = "met" if per_call >= TARGET_ROWS_PER_CALL else "missed"
    else:
        verdict = "not judged (the target is for 50,000 leads)"
    print(f"  target >= {TARGET_ROWS_PER_CALL:,} rows a call on average: {verdict}")


FIRST_NAMES = ("Mary", "Jorge", "Aiko", "Chidi", "Sofie", "Liam", "Priya")
CITIES = ("Menlo Park", "Austin", "Denver", "Boston", "Seattle", "Chicago", "Miami", "Portland")


def bulk_person(n: int) -> list[dict[str, Any]]:
    """Answers as real leads give them: email, phone and last name unique, first name and city shared.

    (Rows that differ only in one column would pack far tighter than real ones and flatter the figures.)
    """
    last, rest = "", n
    while True:  # letters only: Meta's LN normalization drops digits
        last, rest = chr(97 + rest % 26) + last, rest // 26
        if rest == 0:
            break
    return [
        {"name": "full_name", "values": [f"{FIRST_NAMES[n % 7]} Demo{last}"]},
        {"name": "email", "values": [f"bulk{n}@example.com"]},
        {"name": "phone_number", "values": [f"+1 650 {200 + n // 10_000:03d} {n % 10_000:04d}"]},
        {"name": "city", "values": [CITIES[n % len(CITIES)]]},
    ]


def load_leads(stack: Any, count: int) -> None:
    """``count`` FETCHED leads written to LeadsTable, 25 a BatchWriteItem."""
    ddb = stack.aws("dynamodb")
    table = stack.resources["LeadsTable"]
    now = int(time.time())
    for start in range(0, count, 25):
        items = []
        for n in range(start, min(start + 25, count)):
            answers = bulk_person(n)
            field_data = [{"M": {"name": {"S": a["name"]}, "values": {"L": [{"S": a["values"][0]}]}}} for a in answers]
            item = {
                "leadgen_id": {"S": str(10**17 + n)},
                "status": {"S": "FETCHED"},
                "form_id": {"S": stack.seed["form_id"]},
                "page_id": {"S": stack.seed["page_id"]},
                "created_time": {"N": str(now)},
                "field_data": {"L": field_data},
            }
            items.append({"PutRequest": {"Item": item}})
        ddb.batch_write_item(RequestItems={table: items})


def queue_empty(sqs: Any, queue_url: str) -> bool:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return all(attributes[name] == "0" for name in names)


def queued_messages(sqs: Any, queue_url: str) -> list[tuple[int, int]]:
    """(body bytes, rows) of every message on the queue; each is made visible again at once."""
    from leadloop.rows.messages import AudienceRowsMessage

    seen: list[tuple[int, int]] = []
    handles: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=120)
        messages = got.get("Messages", [])
        if not messages:
            break
        for m in messages:
            seen.append((len(m["Body"].encode()), len(AudienceRowsMessage.from_body(m["Body"]).rows)))
            handles.append(m["ReceiptHandle"])
    for start in range(0, len(handles), 10):
        entries = [
            {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
            for i, h in enumerate(handles[start : start + 10])
        ]
        sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
    return seen


if __name__ == "__main__":
    raise SystemExit(main())
