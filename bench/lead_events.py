"""What lead events cost: PutEvents calls per lead, Graph calls, and time per lead in the function.

Runs LeadEventsFunction's consumer (``leadloop.events.consumer.consume``) on moto with stream
batches as Lambda delivers them (100 records, the template's BatchSize), for 1,000 stored leads
and 100 forgotten ones, with and without answers. Counted, not estimated: every PutEvents call
(botocore's ``before-call`` hook) and every HTTP request the process makes outside moto (a Graph
call would be one). Targets (leads-out issue): no Graph call, at most one PutEvents call per 10
leads. The baseline in the same run is the floor of 10 entries a call: ceil(events / 10).

Run: ``make bench`` or ``.venv/bin/python bench/lead_events.py [--leads 1000]``.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import time
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.types import TypeSerializer
from moto import mock_aws

from leadloop.events.consumer import EventsDeps, consume
from leadloop.events.publisher import EventPublisher
from leadloop.queues import MessageQueue
from leadloop.routing import Routing

_serializer = TypeSerializer()
FORM, PAGE = "205000000000001", "104000000000001"


class Context(LambdaContext):
    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]  # a static stand-in in Powertools
        return 60_000


def _image(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items()}


def _lead(n: int) -> dict[str, Any]:
    return {
        "leadgen_id": str(900_000 + n),
        "status": "FETCHED",
        "form_id": FORM,
        "page_id": PAGE,
        "ad_id": "7001",
        "campaign_id": "7003",
        "created_time": 1_765_000_000 + n,
        "fetched_at": 1_765_000_005 + n,
        "source": "webhook",
        "platform": "fb",
        "is_organic": False,
        "field_data": [
            {"name": "email", "values": [f"person{n}@example.com"]},
            {"name": "full_name", "values": [f"Person {n}"]},
            {"name": "phone_number", "values": [f"+1555{n:07d}"]},
        ],
    }


def _records(leads: int, forgotten: int) -> list[dict[str, Any]]:
    records = []
    for n in range(leads):
        lead = _lead(n)
        stub = {"leadgen_id": lead["leadgen_id"], "status": "PENDING"}
        records.append(
            {
                "eventName": "MODIFY",
                "dynamodb": {"SequenceNumber": str(10 + n), "NewImage": _image(lead), "OldImage": _image(stub)},
            }
        )
    for n in range(forgotten):
        tombstone = {"leadgen_id": str(900_000 + n), "status": "FORGOTTEN", "forgotten_at": 1_765_100_000}
        old = _image(_lead(n))
        records.append(
            {
                "eventName": "MODIFY",
                "dynamodb": {"SequenceNumber": str(10 + leads + n), "NewImage": _image(tombstone), "OldImage": old},
            }
        )
    return records


def run(leads: int, forgotten: int, include_answers: bool) -> tuple[int, int, int, float]:
    """(events published, PutEvents calls, outside HTTP requests, seconds of CPU per event)."""
    with mock_aws():
        events, sqs = boto3.client("events", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        events.create_event_bus(Name="leads")
        dlq = sqs.create_queue(QueueName="lead-events-dlq")["QueueUrl"]
        calls = [0, 0]

        def count(params: dict[str, Any], **_: Any) -> None:
            calls[0] += 1
            calls[1] += len(params["Entries"])

        events.meta.events.register("before-parameter-build.events.PutEvents", count)
        routing = Routing.model_validate(
            {"forms": [{"form_id": FORM, "page_id": PAGE, "events_include_answers": include_answers}]}
        )
        deps = EventsDeps(lambda: routing, EventPublisher(events, "leads"), MessageQueue(sqs, dlq), time.time)
        outside = _count_outside_requests()
        records = _records(leads, forgotten)
        started = time.process_time()
        for start in range(0, len(records), 100):
            answer = consume({"Records": records[start : start + 100]}, Context(), deps)
            assert answer == {"batchItemFailures": []}, answer
        cpu = time.process_time() - started
        parked = int(
            sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
                "ApproximateNumberOfMessages"
            ]
        )
        assert parked == 0, f"{parked} events parked"
        return calls[1], calls[0], outside(), cpu / max(1, calls[1])


def _count_outside_requests() -> Any:
    """Counts HTTP requests that do not go to moto (requests' transport; the Graph client uses it)."""
    import requests

    sent = [0]
    original = requests.Session.send

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        sent[0] += 1
        return original(self, request, **kwargs)

    requests.Session.send = send  # type: ignore[method-assign]
    return lambda: sent[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--forgotten", type=int, default=100)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "leadloop")
    logging.getLogger("leadloop").setLevel(logging.WARNING)  # the consumer logs a line per batch
    ok = True
    print(f"lead events: {args.leads:,} stored + {args.forgotten:,} forgotten leads, stream batches of 100")
    head = ("answers", "events", "PutEvents", "floor", "per 10 leads", "Graph/HTTP", "CPU us/event")
    widths = (10, 8, 11, 7, 14, 12, 14)
    print("".join(f"{h:<{w}}" if i == 0 else f"{h:>{w}}" for i, (h, w) in enumerate(zip(head, widths, strict=True))))
    for include in (False, True):
        published, calls, outside, cpu = run(args.leads, args.forgotten, include)
        floor = math.ceil(published / 10)
        label = "included" if include else "left out"
        per_ten = calls * 10 / published
        print(f"{label:<10}{published:>8,}{calls:>11,}{floor:>7,}{per_ten:>14.2f}{outside:>12}{cpu * 1e6:>14.0f}")
        ok = ok and outside == 0 and calls * 10 <= published + 9 * math.ceil(published / 100)
    print("targets: no Graph call, at most one PutEvents call per 10 leads: " + ("met" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
