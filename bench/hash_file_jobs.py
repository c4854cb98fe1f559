"""Rows per second of ``leadloop hash`` on 1 process and on N (``--jobs``), on a 1,000,000-row CRM file.

The file is :mod:`hash_file_memory`'s (six keys in mixed real-world formats, a few broken rows).
Each job count runs in a fresh interpreter, taking turns round after round (``--repeat``) so a
busy neighbour costs every contender alike; each figure is the best round. The baseline is the
same command with ``--jobs 1`` in the same run. It also checks what makes parallel hashing
usable: the output files are byte-identical and the reports equal, and it prints the reader
process's peak RSS for each job count (workers hold one batch each, so the reader is what grows
with a file if anything does).

On N cores the reader (CSV parsing, row checks, writing) stays on one of them, so the speedup is
below N; the figure says how far below.

Run: ``make bench`` or ``.venv/bin/python bench/hash_file_jobs.py [--rows 1000000] [--jobs N] [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hash_file_memory import _RUNNER, SCHEMA, make_csv, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=os.process_cpu_count() or 1, help="N (default: the cores)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    counts = sorted({1, max(1, args.jobs)})

    with tempfile.TemporaryDirectory(prefix="leadloop-hash-jobs-") as tmp:
        work = Path(tmp)
        source = work / "crm.csv"
        started = time.perf_counter()
        make_csv(source, args.rows)
        size_mb = source.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size_mb:.1f} MB) in {time.perf_counter() - started:.1f}s")
        command = [sys.executable, "-c", _RUNNER, "hash", str(source), "--schema", SCHEMA, "--default-country", "US"]
        best: dict[int, float] = {}
        peak: dict[int, float] = {}
        reports: dict[int, dict[str, object]] = {}
        for _ in range(max(1, args.repeat)):
            for jobs in counts:
                out, report_path = work / f"out{jobs}.jsonl", work / f"report{jobs}.json"
                argv = [*command, "--jobs", str(jobs), "--out", str(out), "--report", str(report_path), "--quiet"]
                code, rss_mb, _ = run(argv)
                if code != 0:
                    print(f"leadloop hash --jobs {jobs} failed (exit {code})", file=sys.stderr)
                    return 1
                report = json.loads(report_path.read_text())
                seconds = float(report.pop("elapsed_seconds"))
                report.pop("output")
                best[jobs] = min(best.get(jobs, seconds), seconds)
                peak[jobs] = max(peak.get(jobs, 0.0), rss_mb)
                reports[jobs] = report
        identical = all((work / f"out{j}.jsonl").read_bytes() == (work / "out1.jsonl").read_bytes() for j in counts)
        same_report = all(reports[j] == reports[1] for j in counts)

    rows = int(str(reports[1]["rows_read"]))
    where = f"Python {sys.version.split()[0]}, {os.cpu_count()} cores"
    print(f"\nleadloop hash, {rows:,} rows, best of {args.repeat} ({where})")
    print(f"{'jobs':>6}{'seconds':>10}{'rows/s':>12}{'x --jobs 1':>12}{'reader peak RSS MB':>20}")
    for jobs in counts:
        print(
            f"{jobs:>6}{best[jobs]:>10.2f}{rows / best[jobs]:>12,.0f}{best[1] / best[jobs]:>12.2f}{peak[jobs]:>20.1f}"
        )
    print(f"output byte-identical across job counts: {identical}; reports equal: {same_report}")
    return 0 if identical and same_report else 1


if __name__ == "__main__":
    raise SystemExit(main())
