"""Meta's usage headers, parsed so callers can slow down before Meta throttles them.

Meta reports how much of each rolling budget a caller has used in three headers (meta-api.md §4.3):
``X-App-Usage`` (percentages), ``X-Ad-Account-Usage`` (percent plus seconds until reset) and
``X-Business-Use-Case-Usage`` (per business object, a list of per-type percentages plus
``estimated_time_to_regain_access`` in minutes). Malformed headers are ignored: they are advice,
never a reason to fail a call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

APP_USAGE = "x-app-usage"
AD_ACCOUNT_USAGE = "x-ad-account-usage"
BUSINESS_USAGE = "x-business-use-case-usage"


@dataclass(frozen=True)
class BucUsage:
    """One business-use-case budget (e.g. ``leadgen`` for a Page)."""

    object_id: str
    type: str
    call_count: float = 0.0
    total_cputime: float = 0.0
    total_time: float = 0.0
    estimated_time_to_regain_access_minutes: float = 0.0

    @property
    def max_pct(self) -> float:
        return max(self.call_count, self.total_cputime, self.total_time)


@dataclass(frozen=True)
class GraphUsage:
    """Usage read from one response's headers."""

    app_pct: float = 0.0
    ad_account_pct: float = 0.0
    ad_account_reset_seconds: float = 0.0
    business: tuple[BucUsage, ...] = field(default_factory=tuple)

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> GraphUsage:
        lowered = {k.lower(): v for k, v in headers.items()}
        app = _json_object(lowered.get(APP_USAGE))
        account = _json_object(lowered.get(AD_ACCOUNT_USAGE))
        return cls(
            app_pct=max((_number(app.get(k)) for k in ("call_count", "total_cputime", "total_time")), default=0.0),
            ad_account_pct=_number(account.get("acc_id_util_pct")),
            ad_account_reset_seconds=_number(account.get("reset_time_duration")),
            business=tuple(_business_entries(_json_object(lowered.get(BUSINESS_USAGE)))),
        )

    def for_object(self, object_id: str, usage_type: str | None = None) -> list[BucUsage]:
        return [b for b in self.business if b.object_id == object_id and (usage_type is None or b.type == usage_type)]

    def max_pct(self, usage_type: str | None = None) -> float:
        """The highest percentage reported for any budget (optionally of one BUC type)."""
        values = [b.max_pct for b in self.business if usage_type is None or b.type == usage_type]
        if usage_type is None:
            values += [self.app_pct, self.ad_account_pct]
        return max(values, default=0.0)

    def regain_seconds(self, object_id: str | None = None) -> float:
        """Seconds Meta says to wait before the throttled budget recovers (0 when unknown)."""
        minutes = [
            b.estimated_time_to_regain_access_minutes
            for b in self.business
            if object_id is None or b.object_id == object_id
        ]
        return max([m * 60.0 for m in minutes] + [self.ad_account_reset_seconds if self.ad_account_pct >= 100 else 0])


def _json_object(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return 0.0
    return 0.0


def _business_entries(raw: dict[str, Any]) -> list[BucUsage]:
    entries: list[BucUsage] = []
    for object_id, items in raw.items():
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            entries.append(
                BucUsage(
                    object_id=str(object_id),
                    type=str(item.get("type", "")),
                    call_count=_number(item.get("call_count")),
                    total_cputime=_number(item.get("total_cputime")),
                    total_time=_number(item.get("total_time")),
                    estimated_time_to_regain_access_minutes=_number(item.get("estimated_time_to_regain_access")),
                )
            )
    return entries
