"""Straight-line row functions, written once per schema: the per-cell choices made before the first row.

Why generate code: a row is six or so cells, and a loop that asks of every cell which way it goes
(cache, shortcut, full rules), with its unpacking and tests, cost about as much as a cached cell
itself. The generated function has one block per schema key and keeps only the choices that
depend on the value. It is built from fixed lines: only step numbers are written into the source;
keys, caches and functions reach it as its globals, so nothing from a schema or a record ever
becomes code.

Each block does what the steps of :mod:`~.plan` say, in this order:

* a key with a cache: a string value's cell from the cache, anything else through the rules;
* a key with a shortcut: a non-empty string the shortcut reads is hashed here, anything else (and
  a shortcut that fails) goes through the full rules, which never raise;
* any other key: its cell function.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from leadloop.audience.country import HINTS

__all__ = ["HashedRow", "RecordFn", "RowFn", "StepLike", "generate"]


class HashedRow(NamedTuple):
    """The payload cells of one record, and the (key, reason) of each present cell that was refused."""

    cells: list[str]
    rejected: list[tuple[str, str]]


RecordFn = Callable[[Mapping[str, object], str | None], list[str]]
RowFn = Callable[[Mapping[str, object], str | None], HashedRow]


# (record key, cache or None, shortcut or None, cell function): a ``plan.Step``.
StepLike = tuple[str, Any, Any, Any]


_HINT = """\
    value = record.get(COUNTRY_KEY)
    hint = HINTS[value] if type(value) is str and value else None
    if hint is None and type(default_country) is str and default_country:
        hint = HINTS[default_country]"""

_CACHED = """\
    text_{i}, reason_{i} = CACHE_{i}[value_{i}] if type(value_{i}) is str else CELL_{i}(value_{i}, hint)"""

_SHORTCUT = """\
    normalized = None
    if type(value_{i}) is str and value_{i}:
        try:
            normalized = SHORTCUT_{i}(value_{i}, hint)
        except Exception:
            normalized = None
    if normalized is not None:
        text_{i}, reason_{i} = sha256(normalized.encode()).hexdigest(), None
    else:
        text_{i}, reason_{i} = CELL_{i}(value_{i}, hint)"""

_OTHER = """\
    text_{i}, reason_{i} = CELL_{i}(value_{i}, hint)"""

_REJECT = """\
    if reason_{i} is not None:
        rejected.append((KEY_{i}, reason_{i}))"""


def _values(count: int) -> list[str]:
    """The record's values: subscripts on a plain dict that has every key (the usual row), else ``get``.

    Only an exact ``dict``: a subclass's ``__missing__`` (a defaultdict) would answer, and insert,
    where ``get`` says None.
    """
    if not count:
        return []
    subscripts = [f"value_{i} = record[KEY_{i}]" for i in range(count)]
    gets = ["get = record.get", *(f"value_{i} = get(KEY_{i})" for i in range(count))]
    return [
        "    if type(record) is dict:",
        "        try:",
        *(" " * 12 + line for line in subscripts),
        "        except KeyError:",
        *(" " * 12 + line for line in gets),
        "    else:",
        *(" " * 8 + line for line in gets),
    ]


def _blocks(steps: Sequence[StepLike]) -> list[str]:
    blocks = []
    for i, (_, cache, shortcut, _) in enumerate(steps):
        template = _CACHED if cache is not None else _SHORTCUT if shortcut is not None else _OTHER
        blocks.append(template.format(i=i))
    return blocks


def generate(steps: Sequence[StepLike], country_key: str, needs_hint: bool) -> tuple[RecordFn, RowFn]:
    """The two row functions for these steps: cells only (``hash_record``) and cells with rejections."""
    names: dict[str, Any] = {"HINTS": HINTS, "COUNTRY_KEY": country_key, "sha256": hashlib.sha256}
    names["HashedRow"] = HashedRow
    for i, (key, cache, shortcut, cell) in enumerate(steps):
        names |= {f"KEY_{i}": key, f"CACHE_{i}": cache, f"SHORTCUT_{i}": shortcut, f"CELL_{i}": cell}
    head = [_HINT if needs_hint else "    hint = None", *_values(len(steps))]
    blocks = _blocks(steps)
    texts = ", ".join(f"text_{i}" for i in range(len(steps)))
    record_source = "\n".join(["def record_cells(record, default_country):", *head, *blocks, f"    return [{texts}]"])
    row_source = "\n".join(
        [
            "def row_cells(record, default_country):",
            *head,
            *blocks,
            "    rejected = []",
            *(_REJECT.format(i=i) for i in range(len(steps))),
            f"    return HashedRow([{texts}], rejected)",
        ]
    )
    exec(compile(record_source + "\n\n" + row_source, "<leadloop.audience row>", "exec"), names)
    return names["record_cells"], names["row_cells"]
