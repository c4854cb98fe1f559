"""Rows per second of ``leadloop.audience.hash_record`` against Meta's SDK and a hashlib-only floor.

The same 200,000 synthetic six-key rows (EMAIL, PHONE, FN, LN, CT, COUNTRY; mixed case, padding,
national and international phone formats, country names and codes; generated from a fixed seed)
go through:

* ``hash_record`` (Meta-exact normalization + SHA-256), its cell cache cleared before each run;
* the official ``facebook-business`` SDK's multi-key ``CustomAudience.format_params(schema, rows,
  is_raw=True)``, the baseline (target: ours ≥ 2x its rate);
* a floor: ``sha256(cell.strip().lower())`` for every cell, i.e. no real normalization at all.

Each figure is the best of ``--repeat`` runs in this same invocation. The script also counts the
cells where the SDK's output differs from ours (the SDK is not Meta-exact: country names, national
phones, accents, empty cells) and, of those, how many we leave blank because the value is invalid.

The SDK is not a project dependency. If this interpreter cannot import it, the script creates
``.venv-bench`` next to ``.venv`` with facebook-business==26.0.3 (once; pip, a few seconds) and runs
the SDK half there as a subprocess on the same generated rows.

Run: ``make bench`` or ``.venv/bin/python bench/hash_throughput.py [--rows 200000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / ".venv-bench"
SDK_REQUIREMENT = "facebook-business==26.0.3"
SCHEMA = ["EMAIL", "PHONE", "FN", "LN", "CT", "COUNTRY"]
TARGET_RATIO = 2.0
SEED = 20260409

FIRST = [
    "Mary",
    "John",
    "José",
    "Zoë",
    "Anne-Marie",
    "Li",
    "Mohammed",
    "Sofía",
    "Chloé",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Lukas",
    "Léa",
    "Hannah",
    "Jürgen",
    "Amélie",
    "Ethan",
    "Mia",
    "Jack",
    "Isla",
    "Oliver",
    "Ava",
    "Lucas",
    "Charlotte",
    "Mateo",
    "Ana",
    "Björn",
    "Saoirse",
    "Nguyễn",
    "Priya",
    "Kenji",
    "Fatima",
    "Ola",
]
LAST = [
    "Smith",
    "O'Brien",
    "García",
    "Müller",
    "Nguyen",
    "Dubois",
    "Johnson",
    "Brown",
    "Williams",
    "Jones",
    "Martin",
    "Bernard",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Thomas",
    "López",
    "Martínez",
    "Rossi",
    "Kowalski",
    "Van der Berg",
    "Smith-Jones",
    "Øvergaard",
    "Lefèvre",
    "Kim",
]
DOMAINS = [
    "gmail.com",
    "Yahoo.com",
    "outlook.com",
    "hotmail.co.uk",
    "web.de",
    "orange.fr",
    "icloud.com",
    "example.org",
    "company.com.au",
    "mail.example.ca",
]
COUNTRIES: list[tuple[str, int, list[str], list[str]]] = [
    (
        "us",
        55,
        ["US", "us", "USA", "United States", " united states ", "U.S.A.", "United States of America"],
        ["New York", "Los Angeles", "Chicago", "Menlo Park", "San Francisco", "Austin", "Boston", "Seattle"],
    ),
    ("gb", 15, ["GB", "UK", "United Kingdom", "gb", "England"], ["London", "Manchester", "Leeds", "Bristol"]),
    ("de", 9, ["DE", "Germany", "Deutschland", "de"], ["Berlin", "München", "Köln", "Hamburg"]),
    ("fr", 8, ["FR", "France", "fr"], ["Paris", "Lyon", "Marseille", "Saint-Étienne"]),
    ("ca", 7, ["CA", "Canada", "CAN"], ["Toronto", "Montréal", "Vancouver"]),
    ("au", 6, ["AU", "Australia", "AUS"], ["Sydney", "Melbourne", "Brisbane"]),
]
US_AREAS = [
    "212",
    "213",
    "310",
    "312",
    "415",
    "617",
    "646",
    "650",
    "702",
    "713",
    "718",
    "805",
    "818",
    "917",
    "202",
    "305",
    "404",
    "503",
    "206",
    "512",
    "303",
    "614",
    "615",
    "704",
    "973",
]
CA_AREAS = ["416", "514", "604", "613", "403", "780"]


def _case(rng: random.Random, text: str) -> str:
    pick = rng.random()
    if pick < 0.2:
        text = text.upper()
    elif pick < 0.35:
        text = text.lower()
    if rng.random() < 0.15:
        text = f" {text} "
    return text


def _phone(rng: random.Random, country: str) -> str:
    def d(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    if rng.random() < 0.01:  # the junk every CRM export has
        return rng.choice(["12345", "000-000-0000", "n/a", "+1 555 0100", "call me", d(6)])

    if country in ("us", "ca"):
        area = rng.choice(US_AREAS if country == "us" else CA_AREAS)
        exchange, line = rng.choice("23456789") + d(2), d(4)
        return rng.choice(
            [
                f"({area}) {exchange}-{line}",
                f"{area}-{exchange}-{line}",
                f"+1 {area} {exchange} {line}",
                f"1-{area}-{exchange}-{line}",
                f"{area}.{exchange}.{line}",
                f"{area}{exchange}{line}",
                f"+1{area}{exchange}{line}",
            ]
        )
    if country == "gb":
        prefix, digits = rng.choice(
            [
                ("7911 1", 5),
                ("7400 1", 5),
                ("7500 2", 5),
                ("7890 1", 5),
                ("20 7946 0", 3),
                ("161 496 0", 3),
                ("20 8", 7),
            ]
        )
        rest = prefix + d(digits)
        return rng.choice([f"0{rest}", f"+44 {rest}", f"0044 {rest}", f"+44 (0){rest}"])
    if country == "de":
        prefix, digits = rng.choice([("30 ", 7), ("89 ", 7), ("151 ", 8), ("170 ", 7), ("176 ", 8)])
        number = prefix + d(digits)
        return rng.choice([f"0{number}", f"+49 {number}", f"0049 {number}"])
    if country == "fr":
        number = rng.choice(["6", "6", "1"]) + " " + " ".join(d(2) for _ in range(4))
        return rng.choice([f"0{number}", f"+33 {number}"])
    number = rng.choice(["4", "2"]) + d(2) + " " + d(3) + " " + d(3)
    return rng.choice([f"0{number}", f"+61 {number}"])


def synthetic_rows(count: int, seed: int = SEED) -> list[list[str]]:
    """``count`` rows of SCHEMA cells, identical for the same seed on any Python 3."""
    rng = random.Random(seed)
    weights = [c[1] for c in COUNTRIES]
    rows = []
    for i in range(count):
        code, _, spellings, cities = rng.choices(COUNTRIES, weights)[0]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        local = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
        local = local.replace(" ", "").replace("'", "")
        email = _case(rng, f"{local}{i}@{rng.choice(DOMAINS)}")
        rows.append(
            [
                email,
                _phone(rng, code),
                _case(rng, first),
                _case(rng, last),
                _case(rng, rng.choice(cities)),
                rng.choice(spellings),
            ]
        )
    return rows


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def run_sdk(rows: list[list[str]], repeat: int) -> tuple[float, list[list[str]]]:
    custom_audience = importlib.import_module("facebook_business.adobjects.customaudience").CustomAudience

    seconds, params = best_of(repeat, lambda: custom_audience.format_params(SCHEMA, rows, is_raw=True))
    return seconds, params["payload"]["data"]


def sdk_worker(args: argparse.Namespace) -> int:
    """The SDK half, run inside .venv-bench: time it, write its cells for the comparison."""
    sdk = importlib.import_module("facebook_business")
    rows = synthetic_rows(args.rows, args.seed)
    seconds, data = run_sdk(rows, args.repeat)
    with open(args.sdk_worker, "w", encoding="utf-8") as out:
        out.write(json.dumps({"seconds": seconds, "version": sdk.__version__}) + "\n")
        for cells in data:
            out.write("\t".join(cells) + "\n")
    return 0


def _bench_python() -> Path:
    return BENCH_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_bench_venv() -> Path:
    python = _bench_python()
    probe = [str(python), "-c", "import facebook_business"]
    if python.exists() and subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return python
    print(f"setting up {BENCH_VENV.name} with {SDK_REQUIREMENT} (once) ...", flush=True)
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(BENCH_VENV)],
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q", SDK_REQUIREMENT],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"could not set up {BENCH_VENV.name}: {' '.join(step[:4])} ...\n{done.stdout}{done.stderr}")
    return python


def sdk_in_subprocess(rows_count: int, seed: int, repeat: int) -> tuple[float, str, list[list[str]]]:
    python = ensure_bench_venv()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sdk.tsv"
        command = [
            str(python),
            str(Path(__file__).resolve()),
            "--sdk-worker",
            str(out),
            "--rows",
            str(rows_count),
            "--seed",
            str(seed),
            "--repeat",
            str(repeat),
        ]
        subprocess.run(command, check=True)
        with out.open(encoding="utf-8") as lines:
            meta = json.loads(next(lines))
            data = [line.rstrip("\n").split("\t") for line in lines]
    return meta["seconds"], meta["version"], data


def floor(rows: list[list[str]]) -> list[list[str]]:
    sha = hashlib.sha256
    return [[sha(cell.strip().lower().encode()).hexdigest() for cell in row] for row in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--sdk-worker", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sdk_worker:
        return sdk_worker(args)

    sys.path.insert(0, str(ROOT / "layers" / "common"))
    from leadloop.audience import clear_caches, hash_record

    rows = synthetic_rows(args.rows, args.seed)
    records = [dict(zip(SCHEMA, row, strict=True)) for row in rows]

    def ours() -> list[list[str]]:
        clear_caches()
        return [hash_record(record, SCHEMA) for record in records]

    first_start = time.perf_counter()
    ours()
    first = time.perf_counter() - first_start
    our_seconds, our_cells = best_of(args.repeat, ours)
    floor_seconds, _ = best_of(args.repeat, lambda: floor(rows))
    try:
        sdk_version = importlib.import_module("facebook_business").__version__
        sdk_seconds, sdk_cells = run_sdk(rows, args.repeat)
        sdk_where = "in process"
    except ImportError:
        sdk_seconds, sdk_version, sdk_cells = sdk_in_subprocess(args.rows, args.seed, args.repeat)
        sdk_where = f"subprocess in {BENCH_VENV.name}"

    n = len(rows)
    print(
        f"hash_record throughput: {n:,} six-key rows {SCHEMA}, best of {args.repeat} (Python {sys.version.split()[0]})"
    )
    print(f"  {'leadloop hash_record':<40} {our_seconds:7.3f} s  {n / our_seconds:>10,.0f} rows/s")
    print(f"  {'  (first run, cold caches)':<40} {first:7.3f} s  {n / first:>10,.0f} rows/s")
    print(
        f"  {'facebook-business ' + sdk_version + ' format_params':<40} {sdk_seconds:7.3f} s  "
        f"{n / sdk_seconds:>10,.0f} rows/s   ({sdk_where})"
    )
    print(f"  {'hashlib floor (strip+lower+sha256)':<40} {floor_seconds:7.3f} s  {n / floor_seconds:>10,.0f} rows/s")
    ratio = sdk_seconds / our_seconds
    verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
    print(
        f"  ours vs SDK: {ratio:.2f}x ({verdict} the {TARGET_RATIO:.0f}x target); "
        f"ours vs floor: {floor_seconds / our_seconds:.2f}x"
    )

    differ = dict.fromkeys(SCHEMA, 0)
    blank = dict.fromkeys(SCHEMA, 0)
    for mine, theirs in zip(our_cells, sdk_cells, strict=True):
        for key, a, b in zip(SCHEMA, mine, theirs, strict=True):
            if a != b:
                differ[key] += 1
                blank[key] += a == ""
    total = sum(differ.values())
    print(f"cells where the SDK differs from Meta's rules as we apply them: {total:,} of {n * len(SCHEMA):,}")
    for key in SCHEMA:
        print(f"  {key:<8} {differ[key]:>8,} differ   ({blank[key]:,} of them invalid here, sent blank)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
