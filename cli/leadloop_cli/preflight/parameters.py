"""The template parameter values a ``sam deploy`` will use, worked out the way SAM CLI does.

``--parameter-overrides`` on the command line replaces samconfig.toml's ``parameter_overrides`` (it
is not merged); a parameter not overridden keeps the existing stack's value (SAM sends
``UsePreviousValue``) and otherwise takes the template's default.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadloop_cli.devstack.cfn_yaml import load_template_file

#: The parameters preflight checks, with the defaults the template gives them.
DEFAULTS: dict[str, str] = {
    "WebhookLogging": "CreateAccountRole",
    "LeadFetchReservedConcurrency": "0",
    "BackfillReservedConcurrency": "0",
    "LeadHasherReservedConcurrency": "0",
    "AudienceUploaderReservedConcurrency": "0",
}
#: Function logical id → the parameter that reserves its concurrency.
RESERVED_CONCURRENCY: dict[str, str] = {
    "LeadFetchFunction": "LeadFetchReservedConcurrency",
    "BackfillFunction": "BackfillReservedConcurrency",
    "LeadHasherFunction": "LeadHasherReservedConcurrency",
    "AudienceUploaderFunction": "AudienceUploaderReservedConcurrency",
}

_PAIR = re.compile(r"^ParameterKey=([^,]+),ParameterValue=(.*)$")


class ParameterError(ValueError):
    """An override or samconfig.toml entry that SAM would refuse too."""


@dataclass(frozen=True)
class SamConfig:
    """What ``sam deploy --config-env ENV`` reads from samconfig.toml (deploy section over global)."""

    stack_name: str | None = None
    region: str | None = None
    profile: str | None = None
    parameter_overrides: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Parameters:
    values: dict[str, str]
    #: Where each value came from: command line, samconfig.toml, existing stack, template default.
    sources: dict[str, str]

    def describe(self, name: str) -> str:
        return f"{name}={self.values[name]} ({self.sources[name]})"


def parse_overrides(values: Iterable[Any]) -> dict[str, str]:
    """``Key=Value`` / ``ParameterKey=K,ParameterValue=V`` tokens (space-separated, quotes allowed) or tables."""
    found: dict[str, str] = {}
    for value in values:
        if isinstance(value, Mapping):
            found |= {str(k): "" if v is None else str(v) for k, v in value.items()}
            continue
        if isinstance(value, list):
            found |= parse_overrides(value)
            continue
        for token in shlex.split(str(value)):
            pair = _PAIR.match(token)
            key, sep, text = (pair.group(1), "=", pair.group(2)) if pair else token.partition("=")
            if not sep or not key:
                raise ParameterError(f"{token!r} is not KEY=VALUE or ParameterKey=KEY,ParameterValue=VALUE")
            found[key] = text
    return found


def read_samconfig(path: Path, config_env: str) -> SamConfig:
    """The ``config_env`` deploy settings; an empty config when the file or section is absent."""
    if not path.exists():
        return SamConfig()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{path} is not valid TOML: {exc}") from None
    env = document.get(config_env) or {}
    merged: dict[str, Any] = {}
    for command in ("global", "deploy"):
        merged |= (env.get(command) or {}).get("parameters") or {}
    overrides = merged.get("parameter_overrides")
    return SamConfig(
        stack_name=_text(merged.get("stack_name")),
        region=_text(merged.get("region")),
        profile=_text(merged.get("profile")),
        parameter_overrides=parse_overrides([overrides]) if overrides else {},
    )


def template_defaults(path: Path) -> dict[str, str]:
    """Every template parameter's default (as text); nothing when the template is not at hand."""
    if not path.exists():
        return {}
    declared = load_template_file(path).get("Parameters") or {}
    return {name: str(decl["Default"]) for name, decl in declared.items() if "Default" in decl}


def effective(
    *,
    defaults: Mapping[str, str],
    previous: Mapping[str, str] | None,
    samconfig: Mapping[str, str],
    command_line: Mapping[str, str] | None,
) -> Parameters:
    """Values for :data:`DEFAULTS`' parameters; ``previous`` is None for a stack not deployed yet."""
    overrides, origin = (command_line, "--parameter-overrides") if command_line else (samconfig, "samconfig.toml")
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name, builtin in DEFAULTS.items():
        if name in overrides:
            values[name], sources[name] = overrides[name], origin
        elif previous is not None and name in previous:
            values[name], sources[name] = previous[name], "the stack's current value"
        else:
            values[name], sources[name] = defaults.get(name, builtin), "template default"
    return Parameters(values, sources)


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
