"""Lambda event filtering (``FilterCriteria``): only what Lambda documents, with Lambda's limits.

Operators: Lambda's developer guide ("Control which events Lambda sends to your function", filter
rule syntax) lists null, empty, equals, equals (ignore case) (``equals-ignore-case``), and (several
keys), or (several values; ``$or`` across keys), not (``anything-but`` a value or a list of values),
numeric (equals, range), exists, does not exist (``exists``), begins with (``prefix``) and ends with
(``suffix``). The rest of EventBridge's syntax (``wildcard``, ``cidr``, ``anything-but`` with a
nested matcher, ``prefix``/``suffix`` with ``equals-ignore-case``) is refused, so the local stack
does not start with a mapping Lambda would not create.

Limits: "By default, you can define up to five different filters for a single event source
mapping" (same guide; a quota raised only on request), and a ``Pattern`` is a string of at most
4,096 characters (CloudFormation ``AWS::Lambda::EventSourceMapping Filter``: Pattern, Maximum 4096).

Matching: a record matches the criteria when any filter matches. ``numeric`` and an exact number
match JSON numbers only, never strings: DynamoDB stream images carry numbers as strings
(``{"N": "5"}``), so on AWS a numeric matcher on an ``N`` value never matches.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "MAX_FILTERS",
    "MAX_PATTERN_CHARS",
    "FilterPatternError",
    "compile_filter_criteria",
    "matches",
    "parse_pattern",
]

MAX_FILTERS = 5
MAX_PATTERN_CHARS = 4096

_MISSING = object()
_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_STRING_MATCHERS = ("prefix", "suffix", "equals-ignore-case")


class FilterPatternError(ValueError):
    """A filter pattern (or criteria) Lambda would refuse."""


def _number(value: Any) -> float | None:
    """A JSON number as float; strings (DynamoDB's ``N``) and booleans are not numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _scalar_equal(rule: Any, value: Any) -> bool:
    if rule is None:
        return value is None
    if isinstance(rule, bool):
        return isinstance(value, bool) and value == rule
    if isinstance(rule, int | float):
        number = _number(value)
        return number is not None and number == float(rule)
    return isinstance(value, str) and value == rule


def _numeric(spec: Sequence[Any], value: Any) -> bool:
    number = _number(value)
    if number is None:
        return False
    return all(_NUMERIC_OPS[op](number, float(bound)) for op, bound in zip(spec[::2], spec[1::2], strict=True))


def _match_one(rule: Any, value: Any) -> bool:
    if not isinstance(rule, dict):
        return _scalar_equal(rule, value)
    ((key, operand),) = rule.items()
    if key == "numeric":
        return _numeric(operand, value)
    if key == "anything-but":
        excluded = operand if isinstance(operand, list) else [operand]
        return not any(_scalar_equal(item, value) for item in excluded)
    if not isinstance(value, str):
        return False
    if key == "prefix":
        return value.startswith(operand)
    if key == "suffix":
        return value.endswith(operand)
    return value.lower() == str(operand).lower()  # equals-ignore-case


def _match_values(rules: Sequence[Any], value: Any, present: bool) -> bool:
    values = value if isinstance(value, list) else [value]
    for rule in rules:
        if isinstance(rule, dict) and "exists" in rule:
            is_leaf = present and not isinstance(value, dict)
            if bool(rule["exists"]) == is_leaf:
                return True
            continue
        if present and any(_match_one(rule, item) for item in values):
            return True
    return False


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether ``event`` matches one filter ``pattern`` (a parsed, checked pattern object)."""
    for key, rule in pattern.items():
        if key == "$or":
            if not any(matches(branch, event) for branch in rule):
                return False
            continue
        present = isinstance(event, dict) and key in event
        value = event[key] if present else _MISSING
        if isinstance(rule, dict):
            if not isinstance(value, dict) or not matches(rule, value):
                return False
        elif not _match_values(rule, value, present):
            return False
    return True


def parse_pattern(pattern: Any) -> dict[str, Any]:
    """A ``Pattern`` (JSON text of at most 4,096 characters, or an object) as a checked object."""
    if isinstance(pattern, str):
        if len(pattern) > MAX_PATTERN_CHARS:
            raise FilterPatternError(f"filter pattern is {len(pattern)} characters; Lambda allows {MAX_PATTERN_CHARS}")
        try:
            pattern = json.loads(pattern)
        except ValueError as exc:
            raise FilterPatternError(f"filter pattern is not JSON: {exc}") from exc
    if not isinstance(pattern, dict):
        raise FilterPatternError(f"filter pattern must be an object, got {pattern!r}")
    _validate(pattern)
    return pattern


def _validate(pattern: Mapping[str, Any]) -> None:
    for key, rule in pattern.items():
        if key == "$or":
            if not isinstance(rule, list) or len(rule) < 2 or not all(isinstance(b, dict) for b in rule):
                raise FilterPatternError(f"$or needs a list of at least two patterns: {rule!r}")
            for branch in rule:
                _validate(branch)
        elif isinstance(rule, dict):
            _validate(rule)
        elif isinstance(rule, list) and rule:
            for item in rule:
                _validate_rule(item)
        else:
            raise FilterPatternError(f"pattern values must be non-empty arrays or objects, got {key}: {rule!r}")


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | int | float)


def _validate_rule(rule: Any) -> None:
    if _is_scalar(rule):
        return  # null, empty (""), equals
    if not isinstance(rule, dict) or len(rule) != 1:
        raise FilterPatternError(f"a matcher is a value or an object with one key: {rule!r}")
    ((key, value),) = rule.items()
    if key == "exists" and isinstance(value, bool):
        return
    if key == "numeric":
        _validate_numeric(value)
        return
    if key == "anything-but":
        items = value if isinstance(value, list) else [value]
        if items and all(_is_scalar(item) and item is not None for item in items):
            return
        raise FilterPatternError(f"Lambda's anything-but takes a value or a list of values, got {value!r}")
    if key in _STRING_MATCHERS and isinstance(value, str):
        return
    raise FilterPatternError(f"{rule!r} is not an operator Lambda event filtering supports")


def _validate_numeric(spec: Any) -> None:
    if not isinstance(spec, list) or len(spec) not in (2, 4):
        raise FilterPatternError(f"numeric needs [op, value] or [op, value, op, value]: {spec!r}")
    for op, bound in zip(spec[::2], spec[1::2], strict=True):
        if op not in _NUMERIC_OPS or _number(bound) is None:
            raise FilterPatternError(f"unsupported numeric comparison {op!r} {bound!r}")


def compile_filter_criteria(criteria: Any) -> Callable[[Any], bool] | None:
    """``FilterCriteria`` -> predicate on one record (any filter matches), or None when there is none."""
    if not criteria:
        return None
    items = criteria.get("Filters") or []
    if len(items) > MAX_FILTERS:
        raise FilterPatternError(f"{len(items)} filters; Lambda allows {MAX_FILTERS} per event source")
    filters = []
    for item in items:
        pattern = item.get("Pattern") if isinstance(item, dict) else None
        if not isinstance(pattern, str):
            raise FilterPatternError(f"a filter's Pattern is a string of JSON, got {pattern!r}")
        filters.append(parse_pattern(pattern))
    if not filters:
        return None
    return lambda record: any(matches(pattern, record) for pattern in filters)
