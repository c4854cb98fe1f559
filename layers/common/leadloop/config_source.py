"""Reading a JSON document (secret or SSM parameter) into a model, with operator-facing errors.

Messages name the document and the failing field paths, never the values (a secret's values must
not reach a log line through an exception).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities import parameters
from pydantic import BaseModel, ValidationError

from leadloop.validation import problem_paths


class ConfigurationError(RuntimeError):
    """The stack is not configured well enough to do its job (an operator must act)."""


def load_json_document[T: BaseModel](model: type[T], what: str, fetch: Callable[[], Any]) -> T:
    try:
        raw = fetch()
    except parameters.exceptions.GetParameterError as exc:
        raise ConfigurationError(f"cannot read {what}: {type(exc.__cause__ or exc).__name__}") from None
    except parameters.exceptions.TransformParameterError:
        raise ConfigurationError(f"{what} is not JSON") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigurationError(f"{what} is invalid at: {problem_paths(exc, root='(document)')}") from None
