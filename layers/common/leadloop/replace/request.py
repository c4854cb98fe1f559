"""The execution input, validated: what people type in the Step Functions console or a schedule.

``{"audience_id": "238...", "source": {"type": "leads", "form_ids"?: [...], "since_days"?: 30}
| {"type": "s3_csv", "bucket", "key", "mapping": {"Email": "EMAIL", ...}, "default_country"?},
"max_concurrency"?: 1..16, "dry_run"?: false}``

A run started by the fan-out (``AllReplacesStateMachine``) also carries
``AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID``, the key Step Functions documents for linking a child
execution to its parent in the console; it is not part of the replace and is dropped here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from leadloop.replace.errors import InvalidReplaceInput

_Id = Annotated[str, Field(pattern=r"^[0-9]{1,30}$")]
MAX_CONCURRENCY = 16
#: Step Functions' convention for a nested execution's input: the parent's execution ARN.
STARTED_BY = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"


class LeadsSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    type: Literal["leads"]
    #: Default: every form whose route feeds the audience.
    form_ids: list[_Id] | None = Field(default=None, min_length=1)
    #: Only leads created in the last N days (default: every retained lead).
    since_days: int | None = Field(default=None, ge=1, le=3650)


class CsvSource(BaseModel):
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
        from leadloop.audience import SCHEMA_KEYS  # here: the routing imports this module; few need the keys

        keys = [k.strip().upper() for k in mapping.values()]
        unknown = sorted({k for k in keys if k not in SCHEMA_KEYS})
        if unknown:
            raise ValueError(f"mapping names unknown schema keys: {', '.join(unknown)}")
        if len(set(keys)) != len(keys):
            raise ValueError("mapping sends two columns to the same schema key")
        return {column: key.strip().upper() for column, key in mapping.items()}


class ReplaceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    audience_id: _Id
    source: Annotated[LeadsSource | CsvSource, Field(discriminator="type")]
    max_concurrency: int | None = Field(default=None, ge=1, le=MAX_CONCURRENCY)
    dry_run: bool = False


def parse_request(document: object) -> ReplaceRequest:
    """Validate the execution input; the error names fields and problems, never values."""
    if isinstance(document, dict) and STARTED_BY in document:
        document = {k: v for k, v in document.items() if k != STARTED_BY}
    try:
        return ReplaceRequest.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors())
        raise InvalidReplaceInput(f"invalid replace input: {problems}") from None
