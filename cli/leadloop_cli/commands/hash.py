"""``leadloop hash``: normalize and hash a CRM CSV into Meta Custom Audience payload rows (JSONL).

Reads any size in constant memory, writes one JSON array per line in ``--schema`` order, and
reports rejected rows and cells by reason with row numbers (never values). ``--jobs N`` hashes on N
processes (default: the usable cores for a file of a few MB, else one); the output and the report
do not depend on N. Exit status: 0 when the
run completed, even with rejected rows or cells; 1 with a one-line reason when the input or the
arguments are unusable (missing or empty file, unknown key, a schema key without a column, a quote
that swallowed more lines than :mod:`leadloop_cli.hashfile.swallow` allows, an OUT that exists and
is not a regular file, ...) or when no row produced a payload row, in which case ``OUT`` is left as
it was. See :mod:`leadloop_cli.hashfile` for how the work is split.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Collection
from typing import Any

from leadloop_cli.commands import CommandError
from leadloop_cli.hashfile import HashFileError, HashOptions, OutputClosed, Progress, hash_file
from leadloop_cli.hashfile.mapping import parse_key_list, parse_map_argument, parse_schema
from leadloop_cli.hashfile.writer import check_output_path, write_text_atomic

_DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_ALPHA2 = re.compile(r"[A-Za-z]{2}")
_MAX_JOBS = 64


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "hash",
        help="normalize and hash a CRM CSV into Meta audience payload rows (JSONL)",
        description=(
            "Stream INPUT.csv (header row required) into Meta Custom Audience payload rows: one JSON "
            'array per line, cells in --schema order, SHA-256 for hashed keys, "" for missing or invalid '
            "cells. Columns map to keys by name (email, phone_number, first_name, zip_code, ...) unless "
            "--map says otherwise. A report of rejected rows and cells (reasons, counts, row numbers; "
            "never values) goes to stderr. Exit 0 when the run completed; 1 when the input is unusable "
            "(e.g. a quote that swallows more than 3 lines), OUT exists and is not a regular file, or no "
            "row could be hashed (OUT is then left untouched)."
        ),
    )
    parser.add_argument("input", metavar="INPUT.csv", help="CSV file with a header row ('-' reads stdin)")
    parser.add_argument(
        "--schema", required=True, metavar="KEY,...", help="Meta schema keys in payload order, e.g. EMAIL,PHONE,FN"
    )
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=KEY",
        help=(
            "take KEY from COLUMN (repeatable; overrides matching by column name). COLUMN=COUNTRY with "
            "COUNTRY not in --schema uses that column only as the per-row country hint"
        ),
    )
    parser.add_argument(
        "--default-country",
        metavar="CC",
        type=_alpha2,
        help="ISO alpha-2 country for PHONE/ST/ZIP when a row has no COUNTRY, e.g. US",
    )
    parser.add_argument(
        "--prehashed",
        default="",
        metavar="KEY,...",
        help="keys whose columns already hold SHA-256 hex (passed through)",
    )
    parser.add_argument("--out", required=True, metavar="OUT.jsonl", help="payload rows ('-' writes stdout)")
    parser.add_argument("--report", metavar="FILE.json", help="also write the report as JSON to FILE")
    parser.add_argument(
        "--encoding",
        help=(
            "input encoding, e.g. cp1252 (default: UTF-8 with or without a BOM, or UTF-16/UTF-32 when the "
            "file starts with their byte-order mark)"
        ),
    )
    parser.add_argument(
        "--delimiter", default=",", type=_delimiter, help="field separator: one character, or tab/semicolon/pipe"
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        metavar="N",
        help=(
            "processes that normalize and hash (default: the usable cores for a file of 4 MB or more, "
            "else 1); rows stay in input order and the report is the same for any N"
        ),
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress and no report on stderr")
    parser.set_defaults(handler=run)


def _alpha2(text: str) -> str:
    if not _ALPHA2.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"not an ISO alpha-2 country code: {text!r}")
    return text.strip().upper()


def _jobs(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= _MAX_JOBS:
        raise argparse.ArgumentTypeError(f"--jobs takes a whole number from 1 to {_MAX_JOBS}: {text!r}")
    return int(text)


def _delimiter(text: str) -> str:
    value = _DELIMITERS.get(text.lower(), text)
    if len(value) != 1 or value in '"\r\n':
        raise argparse.ArgumentTypeError(f"not a one-character delimiter: {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    # Imported here, not at module level: every `leadloop` command builds this parser, and the
    # phone-number and country tables behind hash_row are only worth loading for `leadloop hash`.
    from leadloop.audience import SCHEMA_KEYS, UNHASHED_KEYS, hash_row, normalize

    try:
        if args.report is not None:
            if args.report == "-" and args.out == "-":
                raise HashFileError("--report - and --out - cannot both use stdout")
            check_output_path(args.report, input_path=args.input)
        if args.default_country is not None and normalize("COUNTRY", args.default_country) is None:
            raise HashFileError(f"--default-country {args.default_country} is not an ISO 3166-1 country code")
        schema = parse_schema(args.schema, SCHEMA_KEYS)
        prehashed = parse_key_list(args.prehashed, "--prehashed")
        _check_prehashed(prehashed, schema, UNHASHED_KEYS)
        options = HashOptions(
            input=args.input,
            out=args.out,
            schema=schema,
            overrides=tuple(parse_map_argument(text) for text in args.map),
            default_country=args.default_country,
            prehashed=frozenset(prehashed),
            encoding=args.encoding,
            delimiter=args.delimiter,
            jobs=args.jobs,
        )
        report = hash_file(options, hasher=hash_row, progress=Progress.for_stream(sys.stderr, quiet=args.quiet))
        if not args.quiet:
            print(report.render(), file=sys.stderr)
        if args.report is not None:
            write_text_atomic(args.report, json.dumps(report.as_dict(), indent=2) + "\n")
    except OutputClosed as exc:
        _silence_stdout()
        raise CommandError(f"hash: {exc}") from None
    except HashFileError as exc:
        raise CommandError(f"hash: {exc}") from None
    if report.rows_read == 0:
        raise CommandError("hash: the input has a header but no data rows; OUT was not written")
    if not report.output_written:
        raise CommandError(
            f"hash: none of the {report.rows_read:,} row(s) produced a payload row (see the report); "
            "OUT was not written"
        )
    return 0


def _check_prehashed(prehashed: tuple[str, ...], schema: tuple[str, ...], unhashed: Collection[str]) -> None:
    """Only hashed keys in the schema can arrive pre-hashed."""

    outside = [key for key in prehashed if key not in schema]
    if outside:
        raise HashFileError(f"--prehashed key(s) {', '.join(outside)} not in --schema")
    never = [key for key in prehashed if key in unhashed]
    if never:
        raise HashFileError(f"--prehashed key(s) {', '.join(never)} are never hashed for Meta; drop them")


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's exit flush stays quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
