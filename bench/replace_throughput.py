"""AudienceReplaceStateMachine end to end on the local stack: staging speed and send-phase efficiency.

A CSV of ``--rows`` distinct synthetic people (Email, Phone, First Name, Last Name, Zip; derived
from the row number, no real data) is uploaded to StagingBucket and replaced into the seeded
audience, with the Graph simulator answering every ``/usersreplace`` call after ``--latency-ms``.
Printed figures (targets from the issue; nothing is asserted):

* staging rows per second: Stage (read, normalize, hash, partition) and Pack (dedupe, chunk);
* users per second in the send phase (the simulator's first ``/usersreplace`` call arriving, taken
  as its answer time less the latency, until the last one answered) as a ratio to the bound
  rows ÷ (calls × latency ÷ concurrency); target ≥ 0.8. Batch 1 and the closing batch go alone,
  so even a perfect run stays a little under 1 (100 calls at concurrency 4: 25 of the 27 latencies);
* the projected time for a 100M-row audience: staging scaled linearly, sending scaled to 10,000
  calls at the measured efficiency; target: the send part inside Meta's 90-minute window less the
  default 10-minute safety margin at the default concurrency (4);
* where a send slot's time goes: its measured cycle per call against the latency, and what one
  call costs besides the latency, timed on the idle stack after the run (the simulator serving a
  10,000-row body; the send task's S3 read, decoding, payload and JSON body encoding);
* the simulator's member count against rows_unique.

The figures include the local stack's overheads: moto (S3, Step Functions, DynamoDB) and the
simulator run in this process's threads, the function in worker processes on the same machine.
Meta's processing time after the session closes is not simulated (0 s here; hours at Meta).

Run: ``.venv/bin/python bench/replace_throughput.py [--rows 1000000] [--latency-ms 1000] [--concurrency 4]``
(the default run takes several minutes; ``--rows 20000 --latency-ms 200`` is a quick check).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

TARGET_RATIO = 0.8
PROJECTED_ROWS = 100_000_000
CHUNK_ROWS = 10_000  # Meta's maximum per call; the template's ReplaceChunkRows default
DEFAULT_CONCURRENCY = 4  # the template's ReplaceConcurrency default
WINDOW_SECONDS = 5400  # Meta's replace window
SAFETY_MARGIN_SECONDS = 600  # the template's ReplaceSafetyMarginSeconds default
PROGRESS_EVERY = 10.0

COLUMNS = ["Email", "Phone", "First Name", "Last Name", "Zip"]
MAPPING = {"Email": "EMAIL", "Phone": "PHONE", "First Name": "FN", "Last Name": "LN", "Zip": "ZIP"}
_FIRST = ["Ann", "Bob", "Cleo", "Dev", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jade", "Kai", "Lena"]
_LAST = ["Lee", "Moss", "Nash", "Ortiz", "Park", "Quinn", "Reyes", "Shaw", "Tran", "Vega", "Wu"]
_AREAS = [212, 213, 305, 312, 415, 503, 617, 702, 801, 919]  # with exchanges 200-999: valid US numbers


def person(n: int) -> list[str]:
    """Row ``n`` of the synthetic source: unique by email (and by phone below 80M), nobody real."""
    area = _AREAS[(n // 8_000_000) % len(_AREAS)]
    return [
        f"bench.person{n}@example.com",
        f"+1 ({area}) {200 + (n // 10_000) % 800:03d}-{n % 10_000:04d}",
        _FIRST[n % len(_FIRST)],
        _LAST[(n // len(_FIRST)) % len(_LAST)],
        f"{10_000 + n % 89_999:05d}",
    ]


def write_source(path: Path, rows: int) -> int:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for n in range(rows):
            writer.writerow(person(n))
    return path.stat().st_size


def history(sfn: Any, execution: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution, "maxResults": 1000}
    while True:
        answer = sfn.get_execution_history(**kwargs)
        events += answer["events"]
        if not answer.get("nextToken"):
            return events
        kwargs["nextToken"] = answer["nextToken"]


def current_state(events: list[dict[str, Any]]) -> str:
    for event in reversed(events):
        if "stateEnteredEventDetails" in event:
            return str(event["stateEnteredEventDetails"]["name"])
    return "-"


def spans(events: list[dict[str, Any]]) -> dict[str, tuple[float, float, int]]:
    """State name → (first entered, last exited, times entered), unix seconds from the history."""
    out: dict[str, tuple[float, float, int]] = {}
    for event in events:
        stamp = _unix(event["timestamp"])
        if "stateEnteredEventDetails" in event:
            name = str(event["stateEnteredEventDetails"]["name"])
            first, last, count = out.get(name, (stamp, stamp, 0))
            out[name] = (first, last, count + 1)
        elif "stateExitedEventDetails" in event:
            name = str(event["stateExitedEventDetails"]["name"])
            first, _, count = out.get(name, (stamp, stamp, 0))
            out[name] = (first, stamp, count)
    return out


def _unix(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="distinct people in the source CSV")
    parser.add_argument("--latency-ms", type=int, default=1000, help="simulated latency of each /usersreplace call")
    parser.add_argument(
        "--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="max_concurrency (and ReplaceConcurrency)"
    )
    parser.add_argument("--timeout", type=float, default=3 * 3600, help="give up on the execution after this (s)")
    args = parser.parse_args()
    if args.rows < 1 or args.latency_ms < 0 or not 1 <= args.concurrency <= 16:
        parser.error("--rows must be ≥ 1, --latency-ms ≥ 0 and --concurrency 1..16")

    from leadloop_cli.devstack import LocalStack
    from leadloop_cli.stackclient import StackClient

    work = Path(tempfile.mkdtemp(prefix="leadloop-bench-"))
    source = work / "bench.csv"
    print(f"writing {args.rows:,} synthetic rows to {source} ...", flush=True)
    size = write_source(source, args.rows)
    params = {"ReplaceConcurrency": str(args.concurrency)}
    with LocalStack(parameter_overrides=params, write_state_file=False, log_file=work / "functions.log") as local:
        stack = StackClient(local.describe())
        audience_id = stack.seed["audience_id"]
        bucket = stack.resources["StagingBucket"]
        key = "sources/bench.csv"
        began = time.monotonic()
        stack.aws("s3").upload_file(str(source), bucket, key)
        uploaded = time.monotonic() - began
        source.unlink()
        stack.add_fault(path=r"/usersreplace$", latency_ms=args.latency_ms)

        sfn = stack.aws("stepfunctions")
        document = {
            "audience_id": audience_id,
            "source": {"type": "s3_csv", "bucket": bucket, "key": key, "mapping": MAPPING, "default_country": "US"},
            "max_concurrency": args.concurrency,
        }
        execution = sfn.start_execution(
            stateMachineArn=stack.resources["AudienceReplaceStateMachine"],
            name=f"bench-{uuid.uuid4().hex[:12]}",
            input=json.dumps(document),
        )["executionArn"]
        started = time.monotonic()
        print(f"execution started ({size / 1e6:.1f} MB source uploaded in {uploaded:.1f} s)", flush=True)
        answer = wait_for(sfn, execution, started, args.timeout, stack.calls)
        events = history(sfn, execution)
        if answer["status"] != "SUCCEEDED":
            elapsed = time.monotonic() - started
            print(f"execution {answer['status']} in state {current_state(events)} after {elapsed:.0f} s")
            print(f"  error: {answer.get('error', '-')}")
            print(f"  cause: {answer.get('cause', '-')}")
            print(f"  function log: {work / 'functions.log'}")
            return 1
        outcome: dict[str, Any] = json.loads(answer["output"])
        calls = [c for c in stack.calls() if str(c.get("path", "")).endswith(f"/{audience_id}/usersreplace")]
        sim: Any = local.sim
        view = sim.audience(audience_id) if sim is not None else None
        members = len(view["members"]) if view else -1
        del view
        stack.clear_faults()
        costs = probe_costs(stack, bucket, str(outcome["run_id"]), min(2, int(outcome["chunks"])))

    report(args, outcome=outcome, events=events, calls=calls, members=members, costs=costs)
    return 0


def probe_costs(stack: Any, bucket: str, run_id: str, chunk: int) -> dict[str, float]:
    """Per-call costs besides the latency, timed on the idle stack after the run (median of 3).

    The send task's preparation of one chunk, as it does it inside each send slot: the S3 read,
    decoding, building the payload and encoding the JSON body; and the simulator serving that very body as
    batch 1 of a new session of a scratch audience (no latency fault), round trip from here.
    """
    import hashlib
    import hmac
    import statistics

    import requests

    from leadloop.replace.meta import payload_document
    from leadloop.replace.staging_bucket import StagingStore, decode_rows

    s3 = stack.aws("s3")
    key = StagingStore(s3, bucket, run_id).chunk_key(chunk)
    schema = list(dict.fromkeys(MAPPING.values()))
    token, secret = str(stack.info["page_access_token"]), str(stack.info["app_secret"])
    proof = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
    created = stack.sim("POST", "/_sim/audiences", {"account_id": stack.seed["account_id"], "name": "bench probe"})
    scratch = created["id"]
    url = f"{stack.graph_url}/v26.0/{scratch}/usersreplace"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    samples: dict[str, list[float]] = {}
    clock = [0.0]

    def lap(name: str) -> None:
        clock.append(time.perf_counter())
        samples.setdefault(name, []).append(clock[-1] - clock[-2])

    for attempt in range(3):
        clock.append(time.perf_counter())
        blob = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        lap("s3 get")
        rows = list(decode_rows(blob))
        lap("decode")
        document = payload_document(schema, rows)
        lap("payload")
        session = {"session_id": 7_000_000 + attempt, "batch_seq": 1, "last_batch_flag": True}
        body = json.dumps({"payload": document, "session": session}, separators=(",", ":")).encode()
        lap("json-encode")
        answer = requests.post(f"{url}?appsecret_proof={proof}", data=body, headers=headers, timeout=60)
        lap("simulator")
        if answer.status_code != 200:
            raise RuntimeError(f"probe call answered {answer.status_code}: {answer.text[:200]}")
    return {name: statistics.median(values) for name, values in samples.items()}


def wait_for(
    sfn: Any, execution: str, started: float, timeout: float, calls: Callable[[], list[dict[str, Any]]]
) -> dict[str, Any]:
    """Until the execution ends, a progress line every ``PROGRESS_EVERY`` seconds."""
    shown = time.monotonic()
    while True:
        answer: dict[str, Any] = sfn.describe_execution(executionArn=execution)
        if answer["status"] != "RUNNING":
            return answer
        now = time.monotonic()
        if now - started > timeout:
            sfn.stop_execution(executionArn=execution, error="Bench.Timeout", cause=f"over {timeout:.0f} s")
            return dict(answer, status="TIMED_OUT (bench)", error="Bench.Timeout", cause=f"over {timeout:.0f} s")
        if now - shown >= PROGRESS_EVERY:
            shown = now
            state = current_state(history(sfn, execution))
            sent = sum(1 for c in calls() if str(c.get("path", "")).endswith("/usersreplace"))
            print(f"  {now - started:7.0f} s  {state:<20} /usersreplace calls so far: {sent}", flush=True)
        time.sleep(1.0)


@dataclass(frozen=True)
class Figures:
    read: int
    unique: int
    chunks: int
    calls: int  # /usersreplace calls answered 200 (the outcome's replace_calls if the log has none)
    total_s: float
    stage_s: float
    pack_s: float
    staging_s: float
    stage_runs: int
    pack_runs: int
    send_s: float
    send_how: str
    machine_send_s: float


def figures(
    outcome: dict[str, Any], events: list[dict[str, Any]], calls: list[dict[str, Any]], latency: float
) -> Figures:
    """The run's durations: state spans from the execution history, the send phase from the call log."""
    times = {k: int(v) for k, v in (outcome.get("times") or {}).items()}
    by_state = spans(events)

    def span(first: str, last: str, fallback: tuple[str, str]) -> float:
        if first in by_state and last in by_state:
            return by_state[last][1] - by_state[first][0]
        return float(times.get(fallback[1], 0) - times.get(fallback[0], 0))

    answered = sorted(float(c["at"]) for c in calls if c.get("status") == 200 and c.get("at") is not None)
    if answered:
        send_s = answered[-1] - (answered[0] - latency)
        send_how = "first call in → last answered, simulator call log"
    else:
        send_s = float(times.get("session_closed", 0) - times.get("session_opened", 0))
        send_how = "session_opened → session_closed, whole seconds"
    return Figures(
        read=int(outcome["rows_read"]),
        unique=int(outcome["rows_unique"]),
        chunks=int(outcome["chunks"]),
        calls=len(answered) or int(outcome["replace_calls"]),
        total_s=span("Begin", "Finish", ("started", "finished")),
        stage_s=span("Stage", "Stage", ("started", "staged")),
        pack_s=span("Pack", "Pack", ("staged", "packed")),
        staging_s=span("Stage", "Pack", ("started", "packed")),
        stage_runs=by_state.get("Stage", (0.0, 0.0, 0))[2],
        pack_runs=by_state.get("Pack", (0.0, 0.0, 0))[2],
        send_s=send_s,
        send_how=send_how,
        machine_send_s=span("SendFirst", "Close", ("packed", "session_closed")),
    )


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def report(
    args: argparse.Namespace,
    *,
    outcome: dict[str, Any],
    events: list[dict[str, Any]],
    calls: list[dict[str, Any]],
    members: int,
    costs: dict[str, float],
) -> None:
    latency = args.latency_ms / 1000.0
    f = figures(outcome, events, calls, latency)
    print()
    print(
        f"{args.rows:,} rows replaced on the local stack "
        f"(/usersreplace latency {args.latency_ms} ms, concurrency {args.concurrency})"
    )
    print(
        f"  rows read / unique             {f.read:,} / {f.unique:,}   ({outcome.get('duplicates', 0):,} duplicates, "
        f"{outcome.get('rows_without_identifiers', 0):,} without identifiers, "
        f"{sum((outcome.get('cells_rejected') or {}).values()):,} cells rejected)"
    )
    print(
        f"  chunks / replace calls         {f.chunks} / {outcome.get('replace_calls', 0)}   "
        f"(simulator: {len(calls)} calls, {f.calls} answered 200; overflow chunks {outcome.get('overflow_chunks', 0)})"
    )
    print(f"  execution, Begin → Finish      {f.total_s:9.1f} s")
    for name, seconds, runs in (
        ("stage (read, hash, partition)", f.stage_s, f"   ({f.stage_runs} invocation(s))"),
        ("pack (dedupe, chunk)", f.pack_s, f"   ({f.pack_runs} invocation(s))"),
        ("staging, Stage → Pack", f.staging_s, ""),
    ):
        print(f"  {name:<30} {seconds:9.1f} s   {per_second(f.read, seconds):10,.0f} rows/s{runs}")
    report_send(args, f)
    report_costs(args, f, calls, costs)
    report_projection(args, f)
    match = "yes" if members == f.unique else "NO"
    print(f"  members at the simulator       {members:,}   (= rows_unique: {match})")


def report_send(args: argparse.Namespace, f: Figures) -> None:
    latency = args.latency_ms / 1000.0
    bound = f.unique / (f.calls * latency / args.concurrency) if f.calls and latency else 0.0
    rate = per_second(f.unique, f.send_s)
    ratio = rate / bound if bound else 0.0
    in_flight = f.calls * latency / f.send_s if f.send_s > 0 else 0.0
    machine = (f.calls * latency / args.concurrency) / f.machine_send_s if f.machine_send_s > 0 else 0.0
    print(f"  send phase                     {f.send_s:9.1f} s   {rate:10,.0f} users/s   ({f.send_how})")
    print(
        f"  latency bound                              {bound:10,.0f} users/s   "
        f"= {f.unique:,} ÷ ({f.calls} × {latency:g} s ÷ {args.concurrency})"
    )
    print(
        f"  ratio                          {ratio:9.3f}     target ≥ {TARGET_RATIO}: {verdict(ratio >= TARGET_RATIO)}"
    )
    print(f"  calls in flight on average     {in_flight:9.2f}     of {args.concurrency}")
    print(
        f"  state machine SendFirst→Close  {f.machine_send_s:9.1f} s   ratio {machine:.3f} "
        "(with the invocations and chunk reads around the calls)"
    )


def report_costs(args: argparse.Namespace, f: Figures, calls: list[dict[str, Any]], costs: dict[str, float]) -> None:
    """Where a send slot's time goes: the latency, the simulator's own work, the task's preparation."""
    latency = args.latency_ms / 1000.0
    answered = sorted(
        (float(c["at"]), int(c.get("batch_seq") or 0)) for c in calls if c.get("status") == 200 and "at" in c
    )
    middle = [at for at, seq in answered if 1 < seq < f.chunks]
    if answered and middle:
        cycle = (middle[-1] - answered[0][0]) * args.concurrency / len(middle)
        print(
            f"  send slot cycle (middle calls) {cycle:9.2f} s   a call: latency {latency:g} s + {cycle - latency:.2f} s"
        )
    prep = sum(v for k, v in costs.items() if k != "simulator")
    steps = ", ".join(f"{k} {v:.3f}" for k, v in costs.items() if k != "simulator")
    print("  besides the latency, one call costs (timed on the idle stack after the run):")
    print(f"    the simulator serving it       {costs.get('simulator', 0):9.3f} s")
    print(f"    the send task preparing it     {prep:9.3f} s   ({steps})")


def report_projection(args: argparse.Namespace, f: Figures) -> None:
    calls_100m = math.ceil(PROJECTED_ROWS / CHUNK_ROWS)
    staging = f.staging_s * PROJECTED_ROWS / f.read if f.read else 0.0
    send = f.send_s * calls_100m / f.calls if f.calls else 0.0
    send_default = send * args.concurrency / DEFAULT_CONCURRENCY
    budget = WINDOW_SECONDS - SAFETY_MARGIN_SECONDS
    assumed = "" if args.concurrency == DEFAULT_CONCURRENCY else ", same efficiency assumed"
    print(f"  projected for {PROJECTED_ROWS:,} rows ({calls_100m:,} calls at concurrency {args.concurrency}):")
    print(f"    staging {duration(staging)} + send {duration(send)} = {duration(staging + send)}")
    print(
        f"    send at the default concurrency {DEFAULT_CONCURRENCY}: {duration(send_default)}{assumed}; "
        f"target ≤ {duration(budget)} (window less margin): {verdict(send_default <= budget)}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
