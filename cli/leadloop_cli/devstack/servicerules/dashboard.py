"""CloudWatch's dashboard body rules, which moto's PutDashboard does not check.

AWS refuses a body that breaks its documented structure ("Dashboard Body Structure and Syntax")
and CloudFormation then rolls the whole stack back. The rules encoded here are the ones a
template can get wrong: the overall shape, the widget grid, and the metric widget's ``metrics``
array, where every entry is itself an array — a metric ``[Namespace, MetricName, Dim, Value, ...,
{rendering}]``, a ``"."``-repeated metric, or a math expression ``[{"expression", "id", "label"}]``
— with expression ids unique per widget.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["dashboard_body_errors"]

MAX_WIDGETS = 500
GRID_COLUMNS = 24
MAX_HEIGHT = 1000
WIDGET_TYPES = frozenset({"metric", "text", "log", "alarm", "explorer", "custom"})
METRIC_VIEWS = frozenset({"timeSeries", "singleValue", "gauge", "bar", "pie", "table"})
#: A metric (or expression) id: starts with a lowercase letter; letters, digits, underscores.
_ID = re.compile(r"^[a-z][A-Za-z0-9_]*$")
_RENDERING_KEYS = frozenset(
    {"color", "label", "period", "stat", "visible", "yAxis", "id", "region", "accountId", "expression"}
)
_SHORT_PERIODS = frozenset({1, 5, 10, 30})


def dashboard_body_errors(body: Any) -> list[str]:
    """Every rule ``body`` (the parsed DashboardBody) breaks; empty when CloudWatch would accept it."""
    if not isinstance(body, Mapping):
        return ["the body must be a JSON object"]
    widgets = body.get("widgets")
    if not isinstance(widgets, list):
        return ["the body needs a 'widgets' array"]
    errors: list[str] = []
    if len(widgets) > MAX_WIDGETS:
        errors.append(f"{len(widgets)} widgets (at most {MAX_WIDGETS})")
    if body.get("periodOverride", "auto") not in {"auto", "inherit"}:
        errors.append("periodOverride must be 'auto' or 'inherit'")
    for index, widget in enumerate(widgets):
        errors += [f"widgets[{index}]: {e}" for e in _widget_errors(widget)]
    return errors


def _widget_errors(widget: Any) -> list[str]:
    if not isinstance(widget, Mapping):
        return ["a widget must be an object"]
    errors: list[str] = []
    kind = widget.get("type")
    if kind not in WIDGET_TYPES:
        errors.append(f"type {kind!r} is not one of {sorted(WIDGET_TYPES)}")
    errors += _grid_errors(widget)
    properties = widget.get("properties")
    if not isinstance(properties, Mapping):
        return [*errors, "a widget needs a 'properties' object"]
    if kind == "metric":
        errors += _metric_widget_errors(properties)
    return errors


def _grid_errors(widget: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    width, height = widget.get("width", 6), widget.get("height", 6)
    x, y = widget.get("x", 0), widget.get("y", 0)
    if not _int_in(width, 1, GRID_COLUMNS):
        errors.append(f"width {width!r} must be an integer 1-{GRID_COLUMNS}")
    if not _int_in(height, 1, MAX_HEIGHT):
        errors.append(f"height {height!r} must be an integer 1-{MAX_HEIGHT}")
    if not _int_in(x, 0, GRID_COLUMNS - 1):
        errors.append(f"x {x!r} must be an integer 0-{GRID_COLUMNS - 1}")
    elif _int_in(width, 1, GRID_COLUMNS) and x + width > GRID_COLUMNS:
        errors.append(f"x + width = {x + width} overflows the {GRID_COLUMNS}-column grid")
    if not _int_in(y, 0, None):
        errors.append(f"y {y!r} must be a non-negative integer")
    return errors


def _metric_widget_errors(properties: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    if not isinstance(properties.get("region"), str) or not properties["region"]:
        errors.append("a metric widget needs 'region'")
    if properties.get("view", "timeSeries") not in METRIC_VIEWS:
        errors.append(f"view {properties.get('view')!r} is not one of {sorted(METRIC_VIEWS)}")
    if "period" in properties and not _valid_period(properties["period"]):
        errors.append(f"period {properties['period']!r} must be 1, 5, 10, 30 or a multiple of 60")
    if "stacked" in properties and not isinstance(properties["stacked"], bool):
        errors.append("stacked must be true or false")
    metrics = properties.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        return [*errors, "a metric widget needs a non-empty 'metrics' array"]
    ids: list[str] = []
    for index, entry in enumerate(metrics):
        entry_errors, entry_id = _metric_entry(entry)
        errors += [f"metrics[{index}]: {e}" for e in entry_errors]
        if entry_id is not None:
            ids.append(entry_id)
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        errors.append(f"metric ids used twice in one widget: {', '.join(duplicated)}")
    return errors


def _metric_entry(entry: Any) -> tuple[list[str], str | None]:
    """The errors of one ``metrics`` entry, and the id it declares (if any)."""
    if not isinstance(entry, list) or not entry:
        return [f"each entry must be a non-empty array, got {type(entry).__name__}"], None
    *names, last = entry
    rendering = last if isinstance(last, Mapping) else None
    if rendering is None:
        names = list(entry)
    errors: list[str] = []
    if any(not isinstance(n, str) for n in names):
        errors.append("namespace, metric name and dimensions must be strings, with one options object last")
    if rendering is not None:
        errors += _rendering_errors(rendering)
        if "expression" in rendering:
            if names:
                errors.append("an expression entry holds only its options object")
            if not isinstance(rendering.get("id"), str):
                errors.append("an expression needs an 'id'")
            return errors, rendering.get("id") if isinstance(rendering.get("id"), str) else None
    if len(names) < 2:
        errors.append("a metric needs at least a namespace and a metric name")
    elif len(names) % 2:
        errors.append("dimensions come in name/value pairs")
    entry_id = rendering.get("id") if rendering is not None else None
    return errors, entry_id if isinstance(entry_id, str) else None


def _rendering_errors(rendering: Mapping[str, Any]) -> list[str]:
    errors = [f"unknown option {k!r}" for k in rendering if k not in _RENDERING_KEYS]
    if "id" in rendering and not (isinstance(rendering["id"], str) and _ID.match(rendering["id"])):
        errors.append(f"id {rendering['id']!r} must start with a lowercase letter (letters, digits, _)")
    if "period" in rendering and not _valid_period(rendering["period"]):
        errors.append(f"period {rendering['period']!r} must be 1, 5, 10, 30 or a multiple of 60")
    if "expression" in rendering and not (isinstance(rendering["expression"], str) and rendering["expression"]):
        errors.append("expression must be a non-empty string")
    return errors


def _valid_period(value: Any) -> bool:
    return _int_in(value, 1, None) and (value in _SHORT_PERIODS or value % 60 == 0)


def _int_in(value: Any, low: int, high: int | None) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return value >= low and (high is None or value <= high)
