"""``infra/template.yaml`` read as CloudFormation reads it, for tests that check the template itself.

The YAML is read by the local stack's own loader (``leadloop_cli.devstack.cfn_yaml``): short
intrinsic tags (``!Ref``, ``!GetAtt``, ``!Sub`` ...) become their long JSON form (``{"Ref": ...}``,
``{"Fn::GetAtt": [...]}``, ``{"Fn::Sub": ...}``) and dates stay text, so the tests and the local
stack see the same template. No AWS, no SAM CLI: this only reads the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from leadloop_cli.devstack.cfn_yaml import load_template_file

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "infra" / "template.yaml"


def read_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as plain dicts and lists, intrinsics in long form (nothing resolved)."""
    return load_template_file(path)


class CfnTemplate:
    """Read-only helpers over a read template."""

    def __init__(self, document: Mapping[str, Any], path: Path = TEMPLATE_PATH) -> None:
        self.document = document
        self.path = path
        self.resources: dict[str, dict[str, Any]] = dict(document.get("Resources", {}))

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {lid: res for lid, res in self.resources.items() if res.get("Type") in types}

    def props(self, logical_id: str) -> dict[str, Any]:
        return dict(self.resources[logical_id].get("Properties", {}))

    def function_props(self, logical_id: str) -> dict[str, Any]:
        """A function's properties with ``Globals.Function`` applied (maps merged, lists appended)."""
        merged: dict[str, Any] = dict(self.document.get("Globals", {}).get("Function", {}))
        for key, value in self.props(logical_id).items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = _merge_maps(merged[key], value)
            elif key == "Layers" and isinstance(merged.get(key), list):
                merged[key] = [*merged[key], *value]
            else:
                merged[key] = value
        return merged

    @property
    def functions(self) -> dict[str, dict[str, Any]]:
        return self.of_type("AWS::Serverless::Function")

    def events(self, logical_id: str) -> dict[str, dict[str, Any]]:
        return dict(self.props(logical_id).get("Events", {}))

    @staticmethod
    def target(value: Any) -> str | None:
        """The logical id a ``Ref`` or ``Fn::GetAtt`` points at, else ``None``."""
        if isinstance(value, dict):
            if "Ref" in value:
                return str(value["Ref"])
            if "Fn::GetAtt" in value:
                return str(value["Fn::GetAtt"][0])
        return None


def _merge_maps(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_maps(merged[key], value)
        else:
            merged[key] = value
    return merged
