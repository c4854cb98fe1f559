"""One settings model per function, read from environment variables on first use.

Environment variables carry resource names, ARNs and knobs, never secret values (DESIGN rule 3).
Models are validated lazily (not at import) and cached; tests call ``clear_settings_cache()``.
"""

from __future__ import annotations

import os
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

_Name = Annotated[str, Field(min_length=1)]


class CommonSettings(BaseModel):
    """What every function needs."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    graph_api_version: str = Field(alias="GRAPH_API_VERSION", pattern=r"^v\d+\.\d+$")
    graph_base_url: str = Field(default="https://graph.facebook.com", alias="GRAPH_BASE_URL", pattern=r"^https?://")
    meta_secret_arn: _Name = Field(alias="META_SECRET_ARN")
    routing_parameter_name: _Name = Field(alias="ROUTING_PARAMETER_NAME")
    leads_table_name: _Name = Field(alias="LEADS_TABLE_NAME")
    state_table_name: _Name = Field(alias="STATE_TABLE_NAME")
    lead_retention_days: int = Field(default=365, alias="LEAD_RETENTION_DAYS", ge=1)
    secret_max_age_seconds: int = Field(default=300, alias="SECRET_MAX_AGE_SECONDS", ge=0)
    graph_read_timeout_seconds: float = Field(default=20.0, alias="GRAPH_READ_TIMEOUT_SECONDS", gt=0)


class LeadFetchSettings(CommonSettings):
    """LeadFetchFunction: the webhook and the fetch-retry consumer."""

    fetch_retry_queue_url: _Name = Field(alias="FETCH_RETRY_QUEUE_URL")
    fetch_retry_dlq_url: _Name = Field(alias="FETCH_RETRY_DLQ_URL")
    webhook_response_budget_seconds: float = Field(default=3.0, alias="WEBHOOK_RESPONSE_BUDGET_SECONDS", gt=0)
    max_fetch_attempts: int = Field(default=8, alias="MAX_FETCH_ATTEMPTS", ge=1)
    #: Days a lead may wait out Meta's throttling (spending no attempts) before it is parked;
    #: well inside the 90 days Meta keeps a lead.
    max_throttle_wait_days: int = Field(default=7, alias="MAX_THROTTLE_WAIT_DAYS", ge=1, le=60)
    webhook_max_body_bytes: int = Field(default=2 * 1024 * 1024, alias="WEBHOOK_MAX_BODY_BYTES", ge=1024)
    retry_base_delay_seconds: int = Field(default=30, alias="RETRY_BASE_DELAY_SECONDS", ge=0, le=900)


class BackfillSettings(CommonSettings):
    """BackfillFunction: scheduled and on-demand bulk reads."""

    backfill_overlap_seconds: int = Field(default=900, alias="BACKFILL_OVERLAP_SECONDS", ge=0)
    backfill_initial_lookback_days: int = Field(default=90, alias="BACKFILL_INITIAL_LOOKBACK_DAYS", ge=1, le=90)
    backfill_slice_seconds: int = Field(default=86400, alias="BACKFILL_SLICE_SECONDS", ge=60)
    backfill_page_size: int = Field(default=100, alias="BACKFILL_PAGE_SIZE", ge=1, le=500)
    leadgen_budget_fraction: float = Field(default=0.5, alias="LEADGEN_BUDGET_FRACTION", gt=0, le=1)
    leadgen_usage_ceiling_pct: float = Field(default=75.0, alias="LEADGEN_USAGE_CEILING_PCT", gt=0, le=100)


class LeadHasherSettings(CommonSettings):
    """LeadHasherFunction: LeadsTable stream to AudienceQueue."""

    audience_queue_url: _Name = Field(alias="AUDIENCE_QUEUE_URL")


class LeadEventsSettings(CommonSettings):
    """LeadEventsFunction: LeadsTable stream to LeadEventsBus."""

    lead_events_bus_name: _Name = Field(alias="LEAD_EVENTS_BUS_NAME")
    lead_events_dlq_url: _Name = Field(alias="LEAD_EVENTS_DLQ_URL")


class AudienceUploaderSettings(CommonSettings):
    """AudienceUploaderFunction: AudienceQueue to Meta's ``/{audience_id}/users``."""

    audience_queue_url: _Name = Field(alias="AUDIENCE_QUEUE_URL")
    audience_dlq_url: _Name = Field(alias="AUDIENCE_DLQ_URL")
    #: Receives after which a kept message is re-queued fresh (below the queue's maxReceiveCount).
    upload_max_receives: int = Field(default=8, alias="UPLOAD_MAX_RECEIVES", ge=1)
    upload_retry_base_delay_seconds: int = Field(default=30, alias="UPLOAD_RETRY_BASE_DELAY_SECONDS", ge=0, le=900)
    upload_max_throttle_wait_seconds: int = Field(default=3600, alias="UPLOAD_MAX_THROTTLE_WAIT_SECONDS", ge=60)
    upload_auth_retry_delay_seconds: int = Field(default=1800, alias="UPLOAD_AUTH_RETRY_DELAY_SECONDS", ge=60)


class AudienceReplaceSettings(CommonSettings):
    """AudienceReplaceFunction: the tasks of the AudienceReplace state machine."""

    staging_bucket_name: _Name = Field(alias="STAGING_BUCKET_NAME")
    #: Meta's replace window (90 min from batch 1) and the part of it we never plan to use.
    replace_window_seconds: int = Field(default=5400, alias="REPLACE_WINDOW_SECONDS", ge=60, le=5400)
    replace_safety_margin_seconds: int = Field(default=600, alias="REPLACE_SAFETY_MARGIN_SECONDS", ge=0)
    replace_default_concurrency: int = Field(default=4, alias="REPLACE_DEFAULT_CONCURRENCY", ge=1, le=16)
    #: Rows per chunk: Meta's maximum per call; lower only to exercise many chunks in tests.
    replace_chunk_rows: int = Field(default=10_000, alias="REPLACE_CHUNK_ROWS", ge=1, le=10_000)
    replace_poll_seconds: int = Field(default=60, alias="REPLACE_POLL_SECONDS", ge=5, le=900)
    #: How long to wait for a busy audience before giving up, and for Meta to finish processing.
    replace_busy_max_seconds: int = Field(default=6 * 3600, alias="REPLACE_BUSY_MAX_SECONDS", ge=1)
    replace_processing_max_seconds: int = Field(default=24 * 3600, alias="REPLACE_PROCESSING_MAX_SECONDS", ge=60)
    replace_partitions: int = Field(default=64, alias="REPLACE_PARTITIONS", ge=1, le=1024)
    #: The nightly fan-out (AllReplacesStateMachine): audiences of one ad account replaced at once
    #: (Meta's audience limits are per account), and the schedule's timezone, in which dated CSV keys
    #: resolve to the run's day.
    replace_account_concurrency: int = Field(default=1, alias="REPLACE_ACCOUNT_CONCURRENCY", ge=1, le=10)
    replace_timezone: str = Field(default="UTC", alias="REPLACE_TIMEZONE", min_length=1)

    @field_validator("replace_timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        from leadloop.dated import timezone

        timezone(name)
        return name


class HealthCheckSettings(CommonSettings):
    """HealthCheckFunction: the scheduled and on-demand health checks."""

    alerts_topic_arn: str = Field(default="", alias="ALERTS_TOPIC_ARN")
    #: How far back "arrived only through the backfill" is counted.
    health_drift_days: int = Field(default=7, alias="HEALTH_DRIFT_DAYS", ge=1, le=90)


def load_settings[T: CommonSettings](model: type[T]) -> T:
    """Validate the environment into ``model`` once per process (fails fast with field names)."""
    cached = _cache.get(model)
    if cached is None:
        cached = _cache[model] = model.model_validate(dict(os.environ))
    assert isinstance(cached, model)
    return cached


def clear_settings_cache() -> None:
    """Forget validated settings (tests change the environment between cases)."""
    _cache.clear()


_cache: dict[type[CommonSettings], CommonSettings] = {}
