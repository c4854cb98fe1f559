"""Knobs of one simulator instance; changed through the Python API or ``POST /_sim/config``."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_RETRY_DELAYS: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 4.0)
DEFAULT_LIMIT = 25
MAX_LIMIT = 500
MAX_BATCH = 50
REPLACE_WINDOW_SECONDS = 5_400  # Meta: a replace session lasts at most 90 minutes from batch 1
APP_NAME = "leadloop simulator app"  # the app's ``name`` (app node, subscribed_apps, debug_token)
APP_MODES = ("live", "development")


@dataclass
class SimConfig:
    """Settings read on every request (under the state lock when mutated)."""

    app_id: str
    app_secret: str
    require_appsecret_proof: bool = True
    webhook_retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    webhook_timeout: float = 10.0
    require_page_subscription: bool = False
    app_hourly_budget: int = 20_000
    default_limit: int = DEFAULT_LIMIT
    max_limit: int = MAX_LIMIT
    seed: int = 0
    ads_api_access_tier: str = "development_access"
    replace_window_seconds: int = REPLACE_WINDOW_SECONDS
    replace_processing_seconds: int = 0

    def public(self) -> dict[str, object]:
        """The knobs without the app secret (for ``GET /_sim/config``)."""
        return {
            "app_id": self.app_id,
            "require_appsecret_proof": self.require_appsecret_proof,
            "webhook_retry_delays": list(self.webhook_retry_delays),
            "webhook_timeout": self.webhook_timeout,
            "require_page_subscription": self.require_page_subscription,
            "app_hourly_budget": self.app_hourly_budget,
            "default_limit": self.default_limit,
            "max_limit": self.max_limit,
            "seed": self.seed,
            "ads_api_access_tier": self.ads_api_access_tier,
            "replace_window_seconds": self.replace_window_seconds,
            "replace_processing_seconds": self.replace_processing_seconds,
        }
