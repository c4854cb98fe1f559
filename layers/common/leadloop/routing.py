"""The routing document: which forms are captured and which audiences each form feeds.

Stored as JSON in the SSM parameter ``RoutingParameter`` and read through Powertools
``parameters`` (cached), so operators change routing without a deploy.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.utilities import parameters
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leadloop.config_source import load_json_document

_Id = Annotated[str, Field(pattern=r"^[0-9]{1,30}$")]


class FormRoute(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True, populate_by_name=True)

    form_id: _Id
    page_id: _Id
    name: str | None = None
    audience_ids: list[_Id] = Field(default_factory=list)
    field_map: dict[str, str] = Field(default_factory=dict)
    #: Alpha-2 country for phone numbers, states and postal codes when a lead gives none.
    default_country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    #: The audience row schema for this form's leads (default: leadloop.hasher.service.LEAD_SCHEMA).
    schema_keys: list[str] | None = Field(default=None, alias="schema", min_length=1)
    #: Limited Data Use: rows carry ["LDU"], with California's codes when the lead says California.
    ldu: bool = False
    #: The ad account owning this form's audiences (``act_`` optional): Meta's audience rate limits
    #: are per ad account, so a throttled account pauses only its own uploads.
    account_id: str | None = Field(default=None, pattern=r"^(act_)?[0-9]{1,30}$")
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


class Routing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    forms: list[FormRoute] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_forms(self) -> Routing:
        ids = [f.form_id for f in self.forms]
        if len(ids) != len(set(ids)):
            raise ValueError("a form_id appears twice")
        return self

    def form(self, form_id: str) -> FormRoute | None:
        return next((f for f in self.forms if f.form_id == form_id), None)


def load_routing(parameter_name: str, *, max_age: int = 60) -> Routing:
    return load_json_document(
        Routing,
        "the routing parameter",
        lambda: parameters.get_parameter(parameter_name, transform="json", max_age=max_age),
    )
