"""Plain values ↔ DynamoDB's JSON, for every StateTable adapter (boto3's TypeSerializer/Deserializer).

Numbers read back as ``Decimal``; callers convert with ``int()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_value(value: Any) -> dict[str, Any]:
    """One attribute value (an item field or an expression value)."""
    return dict(_serializer.serialize(_whole_numbers(value)))


def to_item(fields: Mapping[str, Any]) -> dict[str, Any]:
    """An item; fields set to ``None`` are left out rather than stored as NULL."""
    return {name: to_value(value) for name, value in fields.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def _whole_numbers(value: Any) -> Any:
    """DynamoDB numbers cannot be floats: keep whole seconds and counts as ints."""
    if isinstance(value, float):
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value
