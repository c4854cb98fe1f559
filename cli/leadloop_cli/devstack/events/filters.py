"""Lambda event filtering (``FilterCriteria``): the content-filter patterns of EventBridge.

Supported: exact values (string, number, boolean, null), ``prefix``, ``suffix``, ``equals-ignore-case``,
``anything-but`` (value, list, or prefix/suffix), ``exists``, ``numeric`` ranges, ``wildcard``, ``cidr``
and ``$or``, on nested keys. A record matches a criteria when any one filter matches. As in Lambda, a
numeric matcher also accepts a numeric string (DynamoDB's ``{"N": "5"}``).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["FilterPatternError", "compile_filter_criteria", "matches", "parse_pattern"]

_MISSING = object()
_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class FilterPatternError(ValueError):
    """A filter pattern the local stack (or Lambda) cannot accept."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$", re.DOTALL)


def _string_rule(rule: Mapping[str, Any], value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if "prefix" in rule:
        prefix = rule["prefix"]
        if isinstance(prefix, dict):
            return value.lower().startswith(str(prefix["equals-ignore-case"]).lower())
        return value.startswith(str(prefix))
    if "suffix" in rule:
        suffix = rule["suffix"]
        if isinstance(suffix, dict):
            return value.lower().endswith(str(suffix["equals-ignore-case"]).lower())
        return value.endswith(str(suffix))
    if "equals-ignore-case" in rule:
        return value.lower() == str(rule["equals-ignore-case"]).lower()
    if "wildcard" in rule:
        return _wildcard(str(rule["wildcard"])).match(value) is not None
    if "cidr" in rule:
        try:
            return ipaddress.ip_address(value) in ipaddress.ip_network(str(rule["cidr"]), strict=False)
        except ValueError:
            return False
    raise FilterPatternError(f"unsupported filter rule {rule!r}")


def _scalar_equal(rule: Any, value: Any) -> bool:
    if rule is None or isinstance(rule, bool):
        return value is rule if rule is None else (isinstance(value, bool) and value == rule)
    if isinstance(rule, int | float):
        number = _number(value) if not isinstance(value, str) else None
        return number is not None and number == float(rule)
    return isinstance(value, str) and value == rule


def _match_one(rule: Any, value: Any) -> bool:
    if not isinstance(rule, dict):
        return _scalar_equal(rule, value)
    if "numeric" in rule:
        number = _number(value)
        if number is None:
            return False
        spec = rule["numeric"]
        for index in range(0, len(spec), 2):
            op, bound = spec[index], spec[index + 1]
            if op not in _NUMERIC_OPS:
                raise FilterPatternError(f"unsupported numeric operator {op!r}")
            if not _NUMERIC_OPS[op](number, float(bound)):
                return False
        return True
    if "anything-but" in rule:
        excluded = rule["anything-but"]
        if isinstance(excluded, dict):
            return not _string_rule(excluded, value) if isinstance(value, str) else True
        excluded_list = excluded if isinstance(excluded, list) else [excluded]
        return not any(_scalar_equal(item, value) for item in excluded_list)
    return _string_rule(rule, value)


def _match_values(rules: Sequence[Any], value: Any, present: bool) -> bool:
    values = value if isinstance(value, list) else [value]
    for rule in rules:
        if isinstance(rule, dict) and "exists" in rule:
            wanted = bool(rule["exists"])
            is_leaf = present and not isinstance(value, dict)
            if wanted == is_leaf:
                return True
            continue
        if present and any(_match_one(rule, item) for item in values):
            return True
    return False


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether ``event`` matches one filter ``pattern`` (a parsed pattern object)."""
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
        elif isinstance(rule, list):
            if not _match_values(rule, value, present):
                return False
        else:
            raise FilterPatternError(f"pattern values must be arrays or objects, got {key}: {rule!r}")
    return True


def parse_pattern(pattern: Any) -> dict[str, Any]:
    """A ``Pattern`` from the template (JSON text, or already an object) as a checked object."""
    if isinstance(pattern, str):
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
            for branch in rule:
                _validate(branch)
        elif isinstance(rule, dict):
            _validate(rule)
        elif isinstance(rule, list):
            for item in rule:
                _validate_rule(item)
        else:
            raise FilterPatternError(f"pattern values must be arrays or objects, got {key}: {rule!r}")


_STRING_RULES = {"prefix", "suffix", "equals-ignore-case", "wildcard", "cidr"}


def _validate_rule(rule: Any) -> None:
    if not isinstance(rule, dict):
        return
    if len(rule) != 1:
        raise FilterPatternError(f"a matcher has exactly one key: {rule!r}")
    ((key, value),) = rule.items()
    if key == "exists" and isinstance(value, bool):
        return
    if key == "numeric":
        if not isinstance(value, list) or not value or len(value) % 2:
            raise FilterPatternError(f"numeric needs [op, value, ...]: {value!r}")
        for op, bound in zip(value[::2], value[1::2], strict=True):
            if op not in _NUMERIC_OPS or _number(bound) is None or isinstance(bound, str):
                raise FilterPatternError(f"unsupported numeric comparison {op!r} {bound!r}")
        return
    if key == "anything-but":
        if isinstance(value, dict) and set(value) - {"prefix", "suffix", "equals-ignore-case"}:
            raise FilterPatternError(f"unsupported anything-but matcher {value!r}")
        return
    if key not in _STRING_RULES:
        raise FilterPatternError(f"unsupported filter rule {rule!r}")


def compile_filter_criteria(criteria: Any) -> Callable[[Any], bool] | None:
    """``FilterCriteria`` -> predicate on one record (any filter matches), or None when there is none."""
    if not criteria:
        return None
    filters = [parse_pattern(item.get("Pattern")) for item in criteria.get("Filters") or []]
    if not filters:
        return None
    return lambda record: any(matches(pattern, record) for pattern in filters)
