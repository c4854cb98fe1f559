"""CloudFormation dynamic references (``{{resolve:...}}``), resolved against the local stack's services.

CloudFormation replaces a dynamic reference with the stored value when it creates the resource, so
a template keeps secrets out of its text (an ``AWS::Events::Connection``'s ``ApiKeyValue`` from
Secrets Manager, say). Supported, as CloudFormation documents them:

* ``{{resolve:secretsmanager:secret-id[:SecretString[:json-key[:version-stage[:version-id]]]]}}``,
  ``secret-id`` a name or a full ARN; without ``json-key`` the whole ``SecretString``.
* ``{{resolve:ssm:name[:version]}}`` and ``{{resolve:ssm-secure:name[:version]}}`` (decrypted).

A reference may sit inside a longer string (``"Bearer {{resolve:...}}"``). The referenced secret or
parameter must exist when the resource is created: one the template creates (named through
``!Sub``/``!Ref``, so it comes first), or one created before the stack starts. Values never appear in
errors or notes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from .intrinsics import TemplateError

__all__ = ["DynamicReferences", "parse_reference"]

ClientFactory = Callable[[str], Any]
_REFERENCE = re.compile(r"\{\{resolve:([^{}]*)\}\}")


def parse_reference(text: str) -> tuple[str, dict[str, str | None]]:
    """(service, parts) of a reference body such as ``secretsmanager:MySecret:SecretString:apiKey``."""
    service, _, rest = text.partition(":")
    if service == "secretsmanager":
        if rest.startswith("arn:"):
            pieces = rest.split(":")
            secret_id, fields = ":".join(pieces[:7]), pieces[7:]
        else:
            secret_id, *fields = rest.split(":")
        fields += [""] * (4 - len(fields))
        if len(fields) > 4 or fields[0] not in ("", "SecretString") or not secret_id:
            raise TemplateError(f"dynamic reference {{{{resolve:{text}}}}} is not secretsmanager:id:SecretString:...")
        return service, {
            "secret_id": secret_id,
            "json_key": fields[1] or None,
            "version_stage": fields[2] or None,
            "version_id": fields[3] or None,
        }
    if service in ("ssm", "ssm-secure"):
        name, _, version = rest.rpartition(":")
        if not name or not version.isdigit():
            name, version = rest, ""
        if not name:
            raise TemplateError(f"dynamic reference {{{{resolve:{text}}}}} names no parameter")
        return service, {"name": name, "version": version or None}
    raise TemplateError(f"dynamic reference service {service!r} is not supported (secretsmanager, ssm, ssm-secure)")


class DynamicReferences:
    """Resolves every ``{{resolve:...}}`` in resolved template values, once per distinct reference."""

    def __init__(self, clients: ClientFactory) -> None:
        self._clients = clients
        self._values: dict[str, str] = {}

    def resolve(self, value: Any) -> Any:
        """``value`` with every dynamic reference in its strings replaced by the stored value."""
        if isinstance(value, str):
            if "{{resolve:" not in value:
                return value
            return _REFERENCE.sub(lambda match: self._value(match.group(1)), value)
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    def _value(self, text: str) -> str:
        if text not in self._values:
            service, parts = parse_reference(text)
            try:
                if service == "secretsmanager":
                    self._values[text] = self._secret(parts)
                else:
                    self._values[text] = self._parameter(parts, decrypt=service == "ssm-secure")
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "ClientError")
                raise TemplateError(f"dynamic reference {{{{resolve:{text}}}}} cannot be resolved: {code}") from None
        return self._values[text]

    def _secret(self, parts: dict[str, str | None]) -> str:
        kwargs: dict[str, Any] = {"SecretId": parts["secret_id"]}
        if parts["version_stage"]:
            kwargs["VersionStage"] = parts["version_stage"]
        if parts["version_id"]:
            kwargs["VersionId"] = parts["version_id"]
        secret = str(self._clients("secretsmanager").get_secret_value(**kwargs).get("SecretString") or "")
        key = parts["json_key"]
        if key is None:
            return secret
        try:
            document = json.loads(secret)
        except ValueError:
            raise TemplateError(f"secret {parts['secret_id']} is not JSON, so it has no key {key!r}") from None
        if not isinstance(document, dict) or key not in document:
            raise TemplateError(f"secret {parts['secret_id']} has no key {key!r}")
        found = document[key]
        return found if isinstance(found, str) else json.dumps(found)

    def _parameter(self, parts: dict[str, str | None], *, decrypt: bool) -> str:
        name = str(parts["name"])
        if parts["version"]:
            name = f"{name}:{parts['version']}"
        parameter = self._clients("ssm").get_parameter(Name=name, WithDecryption=decrypt)["Parameter"]
        return str(parameter["Value"])
