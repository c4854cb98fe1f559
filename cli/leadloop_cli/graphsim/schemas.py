"""Validated inputs of the ``/_sim/`` control API (and of the matching Python methods)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, ValidationError, field_validator

from leadloop_cli.graphsim.leads import unix_or_iso


def _id_text(value: Any) -> Any:
    """Ids may be sent as JSON numbers or strings; they are kept as strings."""
    if isinstance(value, bool):
        raise ValueError("must be an id string")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


Id = Annotated[str, BeforeValidator(_id_text), Field(min_length=1)]
FileSource = Literal["USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY", "BOTH_USER_AND_PARTNER_PROVIDED"]
MAX_UNIX = 253_402_300_799  # 9999-12-31T23:59:59Z, the last instant Graph's date format can show


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldAnswerIn(_Strict):
    """One ``field_data`` answer."""

    name: str = Field(min_length=1)
    values: list[str]


class DisclaimerIn(_Strict):
    """One consent check box answer; booleans become ``"1"``/``""`` as Meta returns them."""

    checkbox_key: str = Field(min_length=1)
    is_checked: bool | str

    def as_text(self) -> str:
        """``is_checked`` the way Graph returns it."""
        if isinstance(self.is_checked, bool):
            return "1" if self.is_checked else ""
        return self.is_checked


class LeadIn(_Strict):
    """Body of ``POST /_sim/leads``."""

    page_id: Id
    form_id: Id
    field_data: list[FieldAnswerIn]
    ad_id: Id | None = None
    created_time: int | None = None
    custom_disclaimer_responses: list[DisclaimerIn] = Field(default_factory=list)
    deliver: bool = False
    ad_name: str | None = None
    adset_id: Id | None = None
    adset_name: str | None = None
    campaign_id: Id | None = None
    campaign_name: str | None = None
    platform: str = "fb"
    partner_name: str | None = None
    by_app_role: bool = False

    @field_validator("created_time", mode="before")
    @classmethod
    def _created(cls, value: Any) -> Any:
        if value is None:
            return None
        unix = unix_or_iso(value)
        if not 0 <= unix <= MAX_UNIX:
            raise ValueError("created_time must be between 1970 and 9999")
        return unix


class WebhooksIn(_Strict):
    """Body of ``POST /_sim/webhooks``."""

    lead_ids: list[Id] = Field(min_length=1, max_length=1000)
    copies: int = Field(default=1, ge=1, le=100)


class ClockIn(_Strict):
    """Body of ``POST /_sim/clock``."""

    advance_seconds: float | None = Field(default=None, ge=-MAX_UNIX, le=MAX_UNIX)
    set: float | None = Field(default=None, ge=0, le=MAX_UNIX)
    frozen: bool | None = None


class ConfigIn(_Strict):
    """Body of ``POST /_sim/config``; every key optional."""

    leadgen_budgets: dict[str, Annotated[int, Field(ge=0)] | None] | None = None
    webhook_retry_delays: list[Annotated[float, Field(ge=0, le=3600)]] | None = Field(default=None, min_length=1)
    webhook_timeout: float | None = Field(default=None, gt=0, le=600)
    require_appsecret_proof: bool | None = None
    require_page_subscription: bool | None = None
    app_hourly_budget: int | None = Field(default=None, ge=1)
    default_limit: int | None = Field(default=None, ge=1)
    max_limit: int | None = Field(default=None, ge=1)
    seed: int | None = None
    audience_budgets: dict[str, Annotated[int, Field(ge=0)] | None] | None = None
    ads_api_access_tier: Literal["development_access", "standard_access"] | None = None
    replace_window_seconds: int | None = Field(default=None, ge=0, le=MAX_UNIX)
    replace_processing_seconds: int | None = Field(default=None, ge=0, le=MAX_UNIX)


class PageIn(_Strict):
    """Body of ``POST /_sim/pages``."""

    page_id: Id
    access_token: str = Field(min_length=1)
    name: str | None = None


class FormIn(_Strict):
    """Body of ``POST /_sim/forms``."""

    form_id: Id
    page_id: Id
    name: str | None = None


class AdAccountIn(_Strict):
    """Body of ``POST /_sim/ad_accounts`` (``token``: who may manage it; default every known token)."""

    account_id: Id
    token: str | None = Field(default=None, min_length=1)


class AudienceIn(_Strict):
    """Body of ``POST /_sim/audiences`` (no ``audience_id`` → a new Meta-like id)."""

    audience_id: Id | None = None
    account_id: Id
    name: str | None = None
    description: str = ""
    customer_file_source: FileSource | None = None


class AudienceStatusIn(_Strict):
    """Body of ``POST /_sim/audiences/{id}/status``: the new ``operation_status``."""

    code: int = Field(ge=0, le=999)
    description: str = ""


class AudienceSizeIn(_Strict):
    """Body of ``POST /_sim/audiences/{id}/size``: a fake size floor (``null`` clears it)."""

    approximate_count: int | None = Field(ge=0)


class ReplaceOutcomeIn(_Strict):
    """Body of ``POST /_sim/audiences/{id}/replace_outcome``: how the next replace ends."""

    outcome: Literal["fail", "ok"]


class TokenIn(_Strict):
    """Body of ``POST /_sim/tokens`` (a user / system-user token)."""

    token: str = Field(min_length=1)
    page_ids: list[Id] = Field(default_factory=list)
    account_ids: list[Id] = Field(default_factory=list)
    system_user: bool = False


class TokenStateIn(_Strict):
    """Body of ``POST /_sim/tokens/{token}/state``; keys left out stay as they are.

    Times are virtual unix seconds. ``expires_at``: ``0`` or ``null`` = never;
    ``data_access_expires_at``: ``0`` = never, ``null`` = back to Meta's rolling default.
    """

    is_valid: StrictBool | None = None
    expires_at: int | None = Field(default=None, ge=0, le=MAX_UNIX)
    data_access_expires_at: int | None = Field(default=None, ge=0, le=MAX_UNIX)
    scopes: list[Annotated[str, Field(min_length=1, pattern=r"^\S+$")]] | None = None

    @field_validator("is_valid", "scopes")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value


class LeadsAccessIn(_Strict):
    """Body of ``POST /_sim/pages/{id}/leads_access``."""

    granted: StrictBool


class AppIn(_Strict):
    """Body of ``POST /_sim/app``."""

    mode: Literal["live", "development"]


class SubscribedAppsIn(_Strict):
    """Body of ``POST /_sim/pages/{id}/subscribed_apps`` (``[]`` uninstalls the app)."""

    subscribed_fields: list[Annotated[str, Field(min_length=1, pattern=r"^\S+$")]]


class SubscriptionIn(_Strict):
    """Body of ``POST /_sim/subscriptions`` (same as ``GraphSimulator.subscribe``)."""

    callback_url: str = Field(min_length=1)
    verify_token: str


def describe_validation_error(exc: ValidationError) -> str:
    """A one-line, human-readable summary of what was wrong with the input."""
    problems = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or "body"
        problems.append(f"{location}: {error['msg']}")
    return "; ".join(problems)
