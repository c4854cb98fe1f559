"""Rows per second of ``leadloop.audience.hash_record`` against Meta's SDK and a hashlib-only floor.

Two files of synthetic six-key rows (EMAIL, PHONE, FN, LN, CT, COUNTRY; mixed case, padding,
national and international phone formats, country names and codes; a fixed seed):

* **realistic**: first names, last names, cities and countries repeat as in a real CRM export;
* **unique names**: the same, but every first and last name is different, so the cell cache
  (which keeps finished FN/LN/CT/COUNTRY cells) cannot help with them: the gain it shows is the
  rest of the work.

Each goes through:

* ``hash_record`` (Meta-exact normalization + SHA-256), its cell caches cleared before each run;
* the official ``facebook-business`` SDK's multi-key ``CustomAudience.format_params(schema, rows,
  is_raw=True)``, the baseline (target: ours >= 2x its rate on the realistic file);
* a floor: ``sha256(cell.strip().lower())`` for every cell, i.e. no real normalization at all.

The contenders take turns, round after round (``--repeat``), and each figure is the best of its
rounds: on a shared machine the load changes during a run, and taking turns gives every contender
the same conditions. Times are the process's CPU time (``time.process_time``), which a busy
neighbour inflates far less than wall-clock time; everything timed runs on one thread. The script
also counts the cells where the SDK's output differs from ours on the realistic file (the SDK is
not Meta-exact: country names, national phones, accents, empty cells) and, of those, how many we
leave blank because the value is invalid.

The SDK is not a runtime dependency. If this interpreter cannot import it, the script creates
``.venv-bench`` next to ``.venv`` with facebook-business==26.0.3 (once; pip, a few seconds) and runs
the SDK's turns there as subprocesses on the same generated rows (each times itself).

Run: ``make bench`` or ``.venv/bin/python bench/hash_throughput.py [--rows 200000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib
import json
import math
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


def _letters(number: int, width: int) -> str:
    """``number`` as ``width`` lower-case letters (base 26): a different tag for every row."""
    tag = []
    for _ in range(width):
        number, digit = divmod(number, 26)
        tag.append(chr(ord("a") + digit))
    return "".join(reversed(tag))


def synthetic_rows(count: int, seed: int = SEED, *, unique_names: bool = False) -> list[list[str]]:
    """``count`` rows of SCHEMA cells, identical for the same seed on any Python 3.

    With ``unique_names`` every first and last name gets a tag of its own ("Mary" + "bxq"), which
    takes nothing from the random sequence: the rows are otherwise those of the realistic file.
    """
    rng = random.Random(seed)
    weights = [c[1] for c in COUNTRIES]
    width = max(3, math.ceil(math.log(max(count, 2), 26)))
    rows = []
    for i in range(count):
        code, _, spellings, cities = rng.choices(COUNTRIES, weights)[0]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if unique_names:
            first, last = first + _letters(i, width), last + _letters(i, width)
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


FILES = {"realistic": False, "unique names": True}


def file_rows(name: str, count: int, seed: int) -> list[list[str]]:
    return synthetic_rows(count, seed, unique_names=FILES[name])


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    """CPU seconds of ``run`` in this process (not wall clock: on a shared machine that times the neighbours)."""
    start = time.process_time()
    result = run()
    return time.process_time() - start, result


def sdk_format(rows: list[list[str]]) -> list[list[str]]:
    custom_audience = importlib.import_module("facebook_business.adobjects.customaudience").CustomAudience
    data: list[list[str]] = custom_audience.format_params(SCHEMA, rows, is_raw=True)["payload"]["data"]
    return data


def sdk_worker(args: argparse.Namespace) -> int:
    """One SDK turn, run inside .venv-bench: time it on one file; write its cells when asked."""
    sdk = importlib.import_module("facebook_business")
    rows = file_rows(args.file, args.rows, args.seed)
    seconds, data = timed(lambda: sdk_format(rows))
    with open(args.sdk_worker, "w", encoding="utf-8") as out:
        out.write(json.dumps({"seconds": seconds, "version": sdk.__version__}) + "\n")
        if args.cells:
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


class Sdk:
    """The baseline's turns: in this process when it can import the SDK, else one subprocess per turn."""

    def __init__(self, rows: dict[str, list[list[str]]], count: int, seed: int) -> None:
        self._rows, self._count, self._seed = rows, count, seed
        try:
            self.version = importlib.import_module("facebook_business").__version__
            self.python: Path | None = None
            self.where = "in process"
        except ImportError:
            self.python = ensure_bench_venv()
            self.version = "?"
            self.where = f"subprocess in {BENCH_VENV.name}"

    def turn(self, name: str, *, cells: bool = False) -> tuple[float, list[list[str]]]:
        if self.python is None:
            seconds, data = timed(lambda: sdk_format(self._rows[name]))
            return seconds, data if cells else []
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "sdk.tsv"
            command = [str(self.python), str(Path(__file__).resolve()), "--sdk-worker", str(out), "--file", name]
            command += ["--rows", str(self._count), "--seed", str(self._seed)] + (["--cells"] if cells else [])
            subprocess.run(command, check=True)
            with out.open(encoding="utf-8") as lines:
                meta = json.loads(next(lines))
                data = [line.rstrip("\n").split("\t") for line in lines]
        self.version = meta["version"]
        return meta["seconds"], data


def floor(rows: list[list[str]]) -> list[list[str]]:
    sha = hashlib.sha256
    return [[sha(cell.strip().lower().encode()).hexdigest() for cell in row] for row in rows]


class Results:
    """Best CPU seconds per (file, contender), the first (cold) run of ours, and both sides' cells."""

    def __init__(self) -> None:
        self.best: dict[tuple[str, str], float] = {}
        self.cold = 0.0
        self.ours: list[list[str]] = []
        self.sdk: list[list[str]] = []

    def add(self, name: str, who: str, seconds: float) -> None:
        self.best[name, who] = min(self.best.get((name, who), seconds), seconds)


def take_turns(args: argparse.Namespace, rows: dict[str, list[list[str]]], sdk: Sdk) -> Results:
    """Every contender once a round, ``--repeat`` rounds; ours with its caches cleared each time."""
    from leadloop.audience import clear_caches, hash_record

    records = {name: [dict(zip(SCHEMA, row, strict=True)) for row in rows[name]] for name in FILES}
    # The generated input is not part of anyone's work: keep the collector from walking it in every turn.
    gc.collect()
    gc.freeze()
    results = Results()
    for turn in range(args.repeat):
        for name in FILES:
            clear_caches()
            batch = records[name]
            seconds, cells = timed(lambda: [hash_record(record, SCHEMA) for record in batch])  # noqa: B023
            if turn == 0 and name == "realistic":
                results.cold, results.ours = seconds, cells
            results.add(name, "ours", seconds)
            seconds, data = sdk.turn(name, cells=turn == args.repeat - 1 and name == "realistic")
            results.add(name, "sdk", seconds)
            results.sdk = data or results.sdk
        seconds, _ = timed(lambda: floor(rows["realistic"]))
        results.add("realistic", "floor", seconds)
    return results


def print_rates(args: argparse.Namespace, results: Results, sdk: Sdk) -> None:
    n, names, best = args.rows, list(FILES), results.best
    print(
        f"hash_record throughput: {n:,} six-key rows {SCHEMA} per file, best of {args.repeat} rounds "
        f"taking turns (CPU time; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the end)"
    )
    print(f"  {'':<44}" + "".join(f"{name:>24}" for name in names))

    def line(label: str, cells: list[str]) -> None:
        print(f"  {label:<44}" + "".join(f"{cell:>24}" for cell in cells))

    def rate(name: str, who: str) -> str:
        seconds = best.get((name, who))
        return "" if seconds is None else f"{n / seconds:,.0f} rows/s"

    line("leadloop hash_record", [rate(name, "ours") for name in names])
    line(f"facebook-business {sdk.version} format_params", [rate(name, "sdk") for name in names])
    line("hashlib floor (strip+lower+sha256)", [rate("realistic", "floor"), ""])
    line("leadloop, first run (cold caches)", [f"{n / results.cold:,.0f} rows/s", ""])
    ratios = {name: best[name, "sdk"] / best[name, "ours"] for name in names}
    line("ours vs SDK", [f"{ratios[name]:.2f}x" for name in names])
    verdict = "meets" if ratios["realistic"] >= TARGET_RATIO else "BELOW"
    print(
        f"  realistic file: {ratios['realistic']:.2f}x the SDK ({verdict} the {TARGET_RATIO:.0f}x target); "
        f"unique names: {ratios['unique names']:.2f}x; SDK {sdk.where}"
    )


def print_differences(results: Results) -> None:
    differ = dict.fromkeys(SCHEMA, 0)
    blank = dict.fromkeys(SCHEMA, 0)
    for mine, theirs in zip(results.ours, results.sdk, strict=True):
        for key, a, b in zip(SCHEMA, mine, theirs, strict=True):
            if a != b:
                differ[key] += 1
                blank[key] += a == ""
    total, cells = sum(differ.values()), len(results.ours) * len(SCHEMA)
    print(f"cells where the SDK differs from Meta's rules as we apply them (realistic file): {total:,} of {cells:,}")
    for key in SCHEMA:
        print(f"  {key:<8} {differ[key]:>8,} differ   ({blank[key]:,} of them invalid here, sent blank)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5, help="rounds; every contender runs once a round")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--sdk-worker", metavar="OUT", help=argparse.SUPPRESS)
    parser.add_argument("--file", choices=sorted(FILES), default="realistic", help=argparse.SUPPRESS)
    parser.add_argument("--cells", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sdk_worker:
        return sdk_worker(args)

    sys.path.insert(0, str(ROOT / "layers" / "common"))
    rows = {name: file_rows(name, args.rows, args.seed) for name in FILES}
    sdk = Sdk(rows, args.rows, args.seed)
    results = take_turns(args, rows, sdk)
    print_rates(args, results, sdk)
    print_differences(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
