"""JSON for signed but untrusted bodies: one hostile value must not hide the valid changes around it.

Python's parser recurses once per nesting level (a body 10,000 levels deep raises
``RecursionError``) and refuses integers longer than 4,300 digits. Meta's leadgen bodies are six
levels deep with ids of about 20 digits, so when the plain parse fails the body is parsed again
with every container nested deeper than ``MAX_DEPTH`` replaced by ``null`` and every integer longer
than ``MAX_INT_DIGITS`` by ``OVERSIZED``, a marker no field validator accepts. Well-formed bodies
pay for one ordinary ``json.loads`` only.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

#: Containers below this depth are never read (the leadgen value sits at depth 6).
MAX_DEPTH: Final = 32
#: Longer integers are never an id (Meta's are ~20 digits) nor a timestamp.
MAX_INT_DIGITS: Final = 40

#: A JSON string (escapes included) or a bracket: strings are skipped, brackets counted.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class _Oversized:
    """Stands for a number too long to parse; fails every id and timestamp validation."""

    def __repr__(self) -> str:
        return "OVERSIZED"


OVERSIZED: Final = _Oversized()


def loads(raw: bytes) -> Any:
    """The parsed body; ``ValueError`` only when it is not JSON even after the cuts above."""
    try:
        return json.loads(raw)
    except (RecursionError, ValueError):
        pass
    try:
        text = raw.decode(json.detect_encoding(raw))
        return json.loads(cut_deep_containers(text, MAX_DEPTH), parse_int=_bounded_int)
    except (RecursionError, ValueError):
        raise ValueError("body is not JSON") from None


def cut_deep_containers(text: str, max_depth: int) -> str:
    """``text`` with each array or object opened below ``max_depth`` replaced by ``null``."""
    pieces: list[str] = []
    depth = 0
    kept_until = 0
    cut_from: int | None = None
    for token in _TOKEN.finditer(text):
        char = token.group()[0]
        if char == '"':
            continue
        if char in "[{":
            depth += 1
            if depth == max_depth + 1:
                cut_from = token.start()
            continue
        if depth == max_depth + 1 and cut_from is not None:
            pieces += (text[kept_until:cut_from], "null")
            kept_until, cut_from = token.end(), None
        depth -= 1
    pieces.append(text[kept_until:])
    return "".join(pieces)


def _bounded_int(digits: str) -> int | _Oversized:
    return OVERSIZED if len(digits.lstrip("-")) > MAX_INT_DIGITS else int(digits)
