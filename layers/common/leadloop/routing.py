"""The routing document: which forms are captured, which audiences each form feeds, and which
audiences are replaced every night.

Stored as JSON in the SSM parameter ``RoutingParameter`` and read through Powertools
``parameters`` (cached), so operators change routing without a deploy.

``audiences`` is keyed by audience id: ``{"238...": {"account_id": "act_42", "replace": {"source":
{...}, "max_concurrency"?: 4}}}``. ``source`` is exactly the AudienceReplace state machine's
(:mod:`leadloop.replace.request`, whose sources are defined here), except that an ``s3_csv`` key
may hold date tokens (:mod:`leadloop.dated`). The nightly fan-out (``AllReplacesStateMachine``) replaces every
audience with a ``replace`` block.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.utilities import parameters
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leadloop.config_source import load_json_document
from leadloop.dated import unknown_tokens
from leadloop.validation import MetaId

#: The most replace batches in flight after batch 1.
MAX_CONCURRENCY = 16
#: An ad account id, ``act_`` optional.
_Account = Annotated[str, Field(pattern=r"^(act_)?[0-9]{1,30}$")]


class LeadsSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    type: Literal["leads"]
    #: Default: every form whose route feeds the audience.
    form_ids: list[MetaId] | None = Field(default=None, min_length=1)
    #: Only leads created in the last N days (default: every retained lead).
    since_days: int | None = Field(default=None, ge=1, le=3650)


class S3CsvSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["s3_csv"]
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
    key: str = Field(min_length=1, max_length=1024)
    #: CSV header name → Meta schema key; other columns are ignored. Order gives the schema.
    mapping: dict[str, str] = Field(min_length=1)
    default_country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")

    @field_validator("mapping")
    @classmethod
    def _known_keys(cls, mapping: dict[str, str]) -> dict[str, str]:
        from leadloop.audience import SCHEMA_KEYS  # here: few who read the routing need the keys

        keys = [k.strip().upper() for k in mapping.values()]
        unknown = sorted({k for k in keys if k not in SCHEMA_KEYS})
        if unknown:
            raise ValueError(f"mapping names unknown schema keys: {', '.join(unknown)}")
        if len(set(keys)) != len(keys):
            raise ValueError("mapping sends two columns to the same schema key")
        return {column: key.strip().upper() for column, key in mapping.items()}


class FormRoute(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True, populate_by_name=True)

    form_id: MetaId
    page_id: MetaId
    name: str | None = None
    audience_ids: list[MetaId] = Field(default_factory=list)
    field_map: dict[str, str] = Field(default_factory=dict)
    #: Alpha-2 country for phone numbers, states and postal codes when a lead gives none.
    default_country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    #: The audience row schema for this form's leads (default: leadloop.rows.policy.LEAD_SCHEMA).
    schema_keys: list[str] | None = Field(default=None, alias="schema", min_length=1)
    #: Limited Data Use: rows carry ["LDU"], with California's codes when the lead says California.
    ldu: bool = False
    #: The ad account owning this form's audiences (``act_`` optional): Meta's audience rate limits
    #: are per ad account, so a throttled account pauses only its own uploads.
    account_id: _Account | None = None
    #: "Lead Captured" events carry the answers (field_data, disclaimer responses) only when true:
    #: raw answers leave DynamoDB only where the operator asked for them.
    events_include_answers: bool = False

    @field_validator("account_id")
    @classmethod
    def _bare_account(cls, value: str | None) -> str | None:
        return value.removeprefix("act_") if value else None

    @field_validator("schema_keys")
    @classmethod
    def _known_keys(cls, keys: list[str] | None) -> list[str] | None:
        if keys is None:
            return None
        from leadloop.audience import SCHEMA_KEYS

        unknown = [k for k in keys if k not in SCHEMA_KEYS]
        if unknown or len(set(keys)) != len(keys):
            raise ValueError(f"schema has unknown or repeated keys: {', '.join(unknown) or 'repeated'}")
        return keys


class AudienceReplace(BaseModel):
    """An audience's nightly replace: its source, as the AudienceReplace state machine takes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Annotated[LeadsSource | S3CsvSource, Field(discriminator="type")]
    #: Replace batches in flight after batch 1 (default: the stack's ``ReplaceConcurrency``).
    max_concurrency: int | None = Field(default=None, ge=1, le=MAX_CONCURRENCY)

    @field_validator("source")
    @classmethod
    def _dated_key(cls, source: LeadsSource | S3CsvSource) -> LeadsSource | S3CsvSource:
        if isinstance(source, S3CsvSource) and (bad := unknown_tokens(source.key)):
            raise ValueError(f"key has {', '.join(bad)}; date tokens are {{yyyy}}, {{yy}}, {{mm}} and {{dd}}")
        return source


class AudienceRoute(BaseModel):
    """What the stack knows about one audience besides the forms that feed it."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    #: The ad account owning the audience (``act_`` optional): Meta's audience limits are per account,
    #: so the nightly fan-out replaces one account's audiences a bounded number at a time.
    account_id: _Account
    #: Replace the audience every night (and with ``leadloop replace --all``); absent: never.
    replace: AudienceReplace | None = None

    @field_validator("account_id")
    @classmethod
    def _bare_account(cls, value: str) -> str:
        return value.removeprefix("act_")


class Routing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    forms: list[FormRoute] = Field(default_factory=list)
    #: Audience id -> its account and nightly replace.
    audiences: dict[MetaId, AudienceRoute] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_forms(self) -> Routing:
        ids = [f.form_id for f in self.forms]
        if len(ids) != len(set(ids)):
            raise ValueError("a form_id appears twice")
        return self

    @model_validator(mode="after")
    def _audiences_agree_with_forms(self) -> Routing:
        """A replace from leads names routed forms, and an audience has one ad account everywhere."""
        problems = []
        for audience_id, route in self.audiences.items():
            source = route.replace.source if route.replace else None
            if isinstance(source, LeadsSource) and source.form_ids:
                missing = [f for f in source.form_ids if self.form(f) is None]
                if missing:
                    problems.append(
                        f"audiences[{audience_id}]: replace.source.form_ids names forms not in forms: "
                        + ", ".join(missing)
                    )
            others = sorted(
                {
                    f.account_id
                    for f in self.forms
                    if audience_id in f.audience_ids and f.account_id and f.account_id != route.account_id
                }
            )
            if others:
                problems.append(
                    f"audiences[{audience_id}]: account_id {route.account_id} but forms feeding it say "
                    + ", ".join(others)
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def replaced_audiences(self) -> dict[str, AudienceRoute]:
        """The audiences the nightly fan-out replaces, in the document's order."""
        return {a: r for a, r in self.audiences.items() if r.replace is not None}

    def form(self, form_id: str) -> FormRoute | None:
        return next((f for f in self.forms if f.form_id == form_id), None)


def load_routing(parameter_name: str, *, max_age: int = 60) -> Routing:
    return load_json_document(
        Routing,
        "the routing parameter",
        lambda: parameters.get_parameter(parameter_name, transform="json", max_age=max_age),
    )
