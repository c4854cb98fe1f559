"""The execution input, validated: what people type in the Step Functions console or a schedule.

``{"audience_id": "238...", "source": {"type": "leads", "form_ids"?: [...], "since_days"?: 30}
| {"type": "s3_csv", "bucket", "key", "mapping": {"Email": "EMAIL", ...}, "default_country"?},
"max_concurrency"?: 1..16, "dry_run"?: false}``

A run started by the fan-out (``AllReplacesStateMachine``) also carries
``AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID``, the key Step Functions documents for linking a child
execution to its parent in the console; it is not part of the replace and is dropped here.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadloop.replace.errors import InvalidReplaceInput
from leadloop.routing import MAX_CONCURRENCY, LeadsSource, S3CsvSource
from leadloop.validation import MetaId, describe_problems

__all__ = ["MAX_CONCURRENCY", "STARTED_BY", "LeadsSource", "ReplaceRequest", "S3CsvSource", "parse_request"]
#: Step Functions' convention for a nested execution's input: the parent's execution ARN.
STARTED_BY = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"


class ReplaceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    audience_id: MetaId
    source: Annotated[LeadsSource | S3CsvSource, Field(discriminator="type")]
    max_concurrency: int | None = Field(default=None, ge=1, le=MAX_CONCURRENCY)
    dry_run: bool = False


def parse_request(document: object) -> ReplaceRequest:
    """Validate the execution input; the error names fields and problems, never values."""
    if isinstance(document, dict) and STARTED_BY in document:
        document = {k: v for k, v in document.items() if k != STARTED_BY}
    try:
        return ReplaceRequest.model_validate(document)
    except ValidationError as exc:
        raise InvalidReplaceInput(f"invalid replace input: {describe_problems(exc)}") from None
