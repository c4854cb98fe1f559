"""Cold-start import time of each handler module, against a bare ``import boto3`` handler.

Each measurement is a fresh interpreter importing one module the way Lambda does (the function's
folder and the layer on ``sys.path``), timed inside the process so interpreter start-up is not
counted. The baseline is measured in the same run. Target (capture issue): every handler ≤ 1.5x.

Run: ``make bench`` or ``.venv/bin/python bench/cold_start.py [--runs 15]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "common"
TARGET_RATIO = 1.5

_PROBE = """
import sys, time
sys.path[:0] = {paths!r}
start = time.perf_counter()
import {module}
print((time.perf_counter() - start) * 1000.0)
"""


def measure(paths: list[str], module: str, runs: int) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env |= {"AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true", "PYTHONDONTWRITEBYTECODE": ""}
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE.format(paths=paths, module=module)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "baseline_app.py").write_text("import boto3\n\ndef handler(event, context):\n    return {}\n")
        # Warm the bytecode caches once so every row compares imports, not compilation.
        measure([tmp], "baseline_app", 1)
        baseline = measure([tmp], "baseline_app", args.runs)

    print(f"cold-start import, median of {args.runs} fresh interpreters (Python {sys.version.split()[0]})")
    print(f"{'handler':<24}{'ms':>10}{'x boto3':>10}  target <= {TARGET_RATIO}x")
    print(f"{'bare boto3 handler':<24}{baseline:>10.1f}{1.0:>10.2f}")
    worst = 0.0
    for function_dir in sorted(p for p in (ROOT / "functions").iterdir() if (p / "app.py").exists()):
        paths = [str(function_dir), str(LAYER)]
        measure(paths, "app", 1)
        value = measure(paths, "app", args.runs)
        ratio = value / baseline
        worst = max(worst, ratio)
        print(f"{function_dir.name:<24}{value:>10.1f}{ratio:>10.2f}")
    print(f"worst ratio {worst:.2f}x ({'meets' if worst <= TARGET_RATIO else 'misses'} the {TARGET_RATIO}x target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
