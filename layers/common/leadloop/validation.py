"""Validation pieces every capability shares: Meta's numeric id type and how problems are told.

Meta's ids (leads, forms, Pages, ads, audiences, ad accounts without ``act_``) are ASCII digits;
beyond 2^53 they stay exact as decimal strings. Problems are told by field path and pydantic's
message, never by value, so an exception cannot carry an answer or a secret into a log line.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from pydantic import Field, ValidationError

#: 1-30 ASCII digits.
META_ID_PATTERN: Final = r"^[0-9]{1,30}$"
MetaId = Annotated[str, Field(pattern=META_ID_PATTERN)]

_META_ID = re.compile(META_ID_PATTERN)


def is_meta_id(value: str) -> bool:
    """Whether ``value`` is a Meta id (1-30 ASCII digits)."""
    return _META_ID.fullmatch(value) is not None


def problem_path(error: Any, root: str) -> str:
    """Where one pydantic error sits (``a.b.0``), or ``root`` for the whole document."""
    return ".".join(str(part) for part in error["loc"]) or root


def describe_problems(exc: ValidationError, *, root: str = "input") -> str:
    """``path: message; ...`` for every problem in ``exc`` (never the value)."""
    return "; ".join(f"{problem_path(e, root)}: {e['msg']}" for e in exc.errors())


def problem_paths(exc: ValidationError, *, root: str) -> str:
    """``path, ...`` for every problem in ``exc``: where, without even the message."""
    return ", ".join(problem_path(e, root) for e in exc.errors())
