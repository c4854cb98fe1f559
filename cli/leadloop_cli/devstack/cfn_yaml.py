"""Read CloudFormation/SAM YAML, turning short-form tags (``!Ref``, ``!Sub``...) into long form.

PyYAML rejects unknown tags, and the rest of the devstack only wants to deal with one spelling of
each intrinsic, so the loader rewrites ``!GetAtt A.B`` to ``{"Fn::GetAtt": ["A", "B"]}`` and so on.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CfnYamlError", "load_template_file", "load_template_text"]

_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
}
_FN_TAGS = (
    "And",
    "Base64",
    "Cidr",
    "Contains",  # Contains, EachMember*, RefAll and ValueOf* are the rule functions of ``Rules``
    "EachMemberEquals",
    "EachMemberIn",
    "Equals",
    "FindInMap",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Length",
    "Not",
    "Or",
    "RefAll",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
    "Transform",
    "ValueOf",
    "ValueOfAll",
)


class CfnYamlError(ValueError):
    """The template text is not valid CloudFormation YAML."""


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that knows CloudFormation tags and keeps dates as strings (as CloudFormation does)."""


# CloudFormation treats 2010-09-09 as a string; PyYAML would build a date.
_CfnLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _node_value(loader: _CfnLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise CfnYamlError(f"unsupported YAML node {node!r}")  # pragma: no cover


def _construct_tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> Any:
    value = _node_value(loader, node)
    if suffix == "GetAtt":
        if isinstance(value, str):
            logical_id, _, attribute = value.partition(".")
            if not attribute:
                raise CfnYamlError(f"!GetAtt {value!r} needs the form Resource.Attribute")
            return {"Fn::GetAtt": [logical_id, attribute]}
        return {"Fn::GetAtt": value}
    if suffix in _TAGS:
        return {_TAGS[suffix]: value}
    if suffix in _FN_TAGS:
        return {f"Fn::{suffix}": value}
    raise CfnYamlError(f"unknown CloudFormation tag !{suffix}")


_CfnLoader.add_multi_constructor("!", _construct_tag)

_CFN_KEY = re.compile(r"^[A-Za-z0-9]+$")


def load_template_text(text: str) -> dict[str, Any]:
    """Parse one template (YAML or JSON, which is YAML) into plain dicts and lists."""
    try:
        body = yaml.load(text, Loader=_CfnLoader)
    except yaml.YAMLError as exc:
        raise CfnYamlError(f"template is not valid YAML: {exc}") from exc
    if not isinstance(body, dict):
        raise CfnYamlError("template must be a mapping at the top level")
    resources = body.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise CfnYamlError("template has no Resources section")
    bad = [logical_id for logical_id in resources if not _CFN_KEY.match(str(logical_id))]
    if bad:
        raise CfnYamlError(f"logical ids must be alphanumeric: {', '.join(map(str, bad))}")
    return body


def load_template_file(path: Path) -> dict[str, Any]:
    """Read and parse a template file."""
    return load_template_text(path.read_text(encoding="utf-8"))
