"""The CloudFormation template AWS would deploy: SAM's transform, then parameters and conditions.

SAM generates resources no SAM-level check sees (stages, deployments, roles and their policies,
event-source mappings). :func:`deployed` runs SAM's own translator (in ``.venv-sam``, see
``sam_translate.py``) and then evaluates what CloudFormation evaluates before it creates anything:
parameter values, conditions, ``Fn::If`` and ``AWS::NoValue``. References to resources stay as
``{"Ref": ...}`` / ``{"Fn::GetAtt": ...}`` so tests can follow them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from tests.support.template import REPO_ROOT, read_template

SAM_PYTHON = REPO_ROOT / ".venv-sam" / "bin" / "python"
_TRANSLATE = Path(__file__).with_name("sam_translate.py")
_NO_VALUE = object()


class Deployed:
    """One evaluated CloudFormation template."""

    def __init__(self, document: Mapping[str, Any], parameters: Mapping[str, str]) -> None:
        self.parameters = dict(parameters)
        self._conditions: dict[str, Any] = dict(document.get("Conditions", {}))
        self._truth: dict[str, bool] = {}
        self.resources: dict[str, dict[str, Any]] = {}
        for logical_id, resource in document["Resources"].items():
            condition = resource.get("Condition")
            if condition is None or self.condition(condition):
                self.resources[logical_id] = self.evaluate(resource)

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r["Type"] == resource_type}

    def props(self, logical_id: str) -> dict[str, Any]:
        return dict(self.resources[logical_id].get("Properties", {}))

    def condition(self, name: str) -> bool:
        if name not in self._truth:
            self._truth[name] = bool(self.evaluate(self._conditions[name]))
        return self._truth[name]

    def evaluate(self, value: Any) -> Any:
        result = self._evaluate(value)
        return None if result is _NO_VALUE else result

    def depends_on(self, logical_id: str) -> set[str]:
        """Every resource ``logical_id`` waits for: references and DependsOn, transitively."""
        seen: set[str] = set()
        pending = [logical_id]
        while pending:
            resource = self.resources[pending.pop()]
            direct = _references(resource.get("Properties", {}))
            depends = resource.get("DependsOn", [])
            direct |= {depends} if isinstance(depends, str) else set(depends)
            for name in direct & set(self.resources) - seen:
                seen.add(name)
                pending.append(name)
        return seen

    def _evaluate(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._evaluate(v) for v in value]
            return [v for v in items if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(key, arg)] = value.items()
            if key == "Ref" and arg == "AWS::NoValue":
                return _NO_VALUE
            if key == "Ref" and arg in self.parameters:
                return self.parameters[arg]
            if key == "Fn::If":
                name, then, otherwise = arg
                return self._evaluate(then if self.condition(name) else otherwise)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Equals":
                left, right = (self._evaluate(a) for a in arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self._evaluate(arg[0])
            if key == "Fn::And":
                return all(self._evaluate(a) for a in arg)
            if key == "Fn::Or":
                return any(self._evaluate(a) for a in arg)
        out = {k: self._evaluate(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not _NO_VALUE}


def _references(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _references(item)
    elif isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        elif "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            found.add(str(target[0] if isinstance(target, list) else target).split(".")[0])
        elif "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            found |= {name.split(".")[0] for name in _sub_names(text)}
        for item in value.values():
            found |= _references(item)
    return found


def _sub_names(text: str) -> set[str]:
    return set(re.findall(r"\$\{([^!}][^}]*)\}", text))


@cache
def _transformed(parameters: tuple[tuple[str, str], ...]) -> str:
    request = {"template": read_template(), "parameters": dict(parameters)}
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}
    answer = subprocess.run(
        [str(SAM_PYTHON), str(_TRANSLATE)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    if answer.returncode != 0:
        raise AssertionError(f"SAM's transform refused the template:\n{answer.stderr[-3000:]}")
    return answer.stdout


def deployed(**parameters: str) -> Deployed:
    """The template as deployed with these parameter overrides (the rest take their defaults)."""
    declared = read_template()["Parameters"]
    values = {name: str(decl["Default"]) for name, decl in declared.items() if "Default" in decl}
    values.update(parameters)
    values |= {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::StackName": "leadloop-test"}
    document = json.loads(_transformed(tuple(sorted(values.items()))))
    return Deployed(document, values)
