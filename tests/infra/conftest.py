"""Load ``infra/template.yaml`` for the infra contract tests.

The template uses CloudFormation's short intrinsic tags (``!Ref``, ``!GetAtt``, ``!Sub`` ...), which
PyYAML's safe loader rejects. :class:`CfnLoader` turns each into its long JSON form
(``{"Ref": ...}``, ``{"Fn::GetAtt": [...]}``, ``{"Fn::Sub": ...}``), so the tests see the template the
way CloudFormation does. No AWS, no SAM CLI: these tests only read the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "infra" / "template.yaml"


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation's ``!Tag`` intrinsic shorthand."""


def _construct_intrinsic(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - YAML has no other node kinds
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node {node!r}", node.start_mark)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {f"Fn::{tag_suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=CfnLoader)  # CfnLoader is a SafeLoader
    if not isinstance(document, dict):
        raise TypeError(f"{path} is not a YAML mapping")
    return document


class CfnTemplate:
    """Read-only helpers over a loaded template."""

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


@pytest.fixture(scope="session")
def template() -> CfnTemplate:
    return CfnTemplate(load_template())
