"""Dated CSV keys: ``exports/crm-{yyyy}-{mm}-{dd}.csv`` names the file of the run's day.

CRM exports are usually written once a day under a dated name. A routed replace may put these
tokens in its ``s3_csv`` key; the fan-out resolves them with the run's date in the schedule's
timezone (``NightlyReplaceTimezone``), so a 02:30 Paris run reads the file of that Paris day.

| token | becomes | example (2026-11-03) |
|---|---|---|
| ``{yyyy}`` | four-digit year | ``2026`` |
| ``{yy}`` | two-digit year | ``26`` |
| ``{mm}`` | two-digit month | ``11`` |
| ``{dd}`` | two-digit day | ``03`` |

Any other ``{...}`` in a key is refused when the routing is validated, so a typo such as ``{dd`` or
``{day}`` is found by ``leadloop routing validate``, not at 02:30.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["TOKENS", "has_tokens", "local_date", "resolve_key", "timezone", "unknown_tokens"]

TOKENS = ("yyyy", "yy", "mm", "dd")
_BRACES = re.compile(r"\{([^{}]*)\}")


def unknown_tokens(key: str) -> list[str]:
    """What in ``key`` looks like a token but is not one (unbalanced braces count)."""
    bad = [f"{{{name}}}" for name in _BRACES.findall(key) if name not in TOKENS]
    rest = _BRACES.sub("", key)
    if "{" in rest or "}" in rest:
        bad.append("an unmatched brace")
    return bad


def has_tokens(key: str) -> bool:
    return any(name in TOKENS for name in _BRACES.findall(key))


def resolve_key(key: str, day: date) -> str:
    values = {
        "yyyy": f"{day.year:04d}",
        "yy": f"{day.year % 100:02d}",
        "mm": f"{day.month:02d}",
        "dd": f"{day.day:02d}",
    }
    return _BRACES.sub(lambda m: values.get(m.group(1), m.group(0)), key)


def timezone(name: str) -> tzinfo:
    """The IANA zone ``name`` (``UTC``, ``Europe/Paris``); ValueError when unknown.

    Zones come from the system's database or the ``tzdata`` package the layer ships; ``UTC``, the
    default, needs neither.
    """
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r} (use an IANA name such as UTC or Europe/Paris)") from None


def local_date(moment: datetime, zone: tzinfo) -> date:
    """The calendar day ``moment`` (timezone-aware) falls on in ``zone``."""
    return moment.astimezone(zone).date()
