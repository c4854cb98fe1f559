"""Meta credentials from Secrets Manager (app secret, verify token, access tokens).

Read through Powertools ``parameters`` (cached ``max_age`` seconds, so a rotated token is picked
up without a deploy). Values are ``SecretStr`` so an accidental log or repr shows ``**********``.
A secret still holding the template's ``REPLACE_ME`` placeholders is a configuration error, not
something to call Meta with.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities import parameters
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

PLACEHOLDER = "REPLACE_ME"


class ConfigurationError(RuntimeError):
    """The stack is not configured well enough to do its job (an operator must act)."""


class MetaCredentials(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    app_secret: SecretStr
    verify_token: SecretStr
    access_token: SecretStr
    app_id: str | None = None
    page_access_tokens: dict[str, SecretStr] = Field(default_factory=dict)

    @field_validator("app_secret", "verify_token", "access_token")
    @classmethod
    def _filled_in(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value() or value.get_secret_value() == PLACEHOLDER:
            raise ValueError("still holds the REPLACE_ME placeholder")
        return value

    def token_for_page(self, page_id: str | None) -> str:
        """The Page's own token when one is configured, else the shared (system-user) token."""
        if page_id and page_id in self.page_access_tokens:
            return self.page_access_tokens[page_id].get_secret_value()
        return self.access_token.get_secret_value()


def load_credentials(secret_arn: str, *, max_age: int = 300) -> MetaCredentials:
    try:
        raw: Any = parameters.get_secret(secret_arn, transform="json", max_age=max_age)
    except parameters.exceptions.GetParameterError as exc:
        raise ConfigurationError(f"cannot read the Meta secret: {type(exc.__cause__ or exc).__name__}") from None
    except parameters.exceptions.TransformParameterError:
        raise ConfigurationError("the Meta secret is not a JSON object") from None
    try:
        return MetaCredentials.model_validate(raw)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in err["loc"]) for err in exc.errors())
        raise ConfigurationError(f"the Meta secret is incomplete: {fields}") from None
