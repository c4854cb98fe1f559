"""Meta credentials from Secrets Manager (app secret, verify token, access tokens).

Read through Powertools ``parameters`` (cached ``max_age`` seconds, so a rotated token is picked
up without a deploy). Values are ``SecretStr`` so an accidental log or repr shows ``**********``.
A secret still holding the template's ``REPLACE_ME`` placeholders is a configuration error, not
something to call Meta with.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from leadloop.config_source import load_json_document

PLACEHOLDER = "REPLACE_ME"


class MetaCredentials(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

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
    return load_json_document(
        MetaCredentials,
        "the Meta secret",
        lambda: parameters.get_secret(secret_arn, transform="json", max_age=max_age),
    )
