"""The SAM template as the local stack sees it: parameters, conditions, Globals merged, resource order.

``infra/template.yaml`` is the single source of truth (DESIGN rule 8), so this module reads it the way
CloudFormation + the SAM transform would, without the transform itself (which needs a separate venv):
parameter values are validated (and the template's ``Rules`` assertions checked, as CloudFormation does
before it creates anything), conditions evaluated, ``Globals`` merged into each serverless
resource, and resources ordered by their references so each can be created once what it names exists.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cfn_yaml import load_template_file
from .intrinsics import (
    AttributeSource,
    Resolver,
    StackContext,
    TemplateError,
    is_intrinsic,
    referenced_names,
)

__all__ = ["ResourceDef", "Template", "check_rules", "load_template", "merge_globals", "resolve_parameters"]

# Globals section -> resource types it applies to (SAM's rules).
_GLOBAL_TARGETS = {
    "Function": ("AWS::Serverless::Function",),
    "Api": ("AWS::Serverless::Api",),
    "HttpApi": ("AWS::Serverless::HttpApi",),
    "SimpleTable": ("AWS::Serverless::SimpleTable",),
    "StateMachine": ("AWS::Serverless::StateMachine",),
    "LayerVersion": ("AWS::Serverless::LayerVersion",),
}

# Properties the local stack never resolves; references inside them are not dependencies (they are
# wired after every resource exists: event sources, or ignored: IAM policies).
LATE_PROPERTIES = {
    "AWS::Serverless::Function": ("Events", "Policies", "Role", "Connectors"),
    "AWS::Serverless::StateMachine": ("Events", "Policies", "Role"),
}


@dataclass
class ResourceDef:
    """One active resource: its type, its (Globals-merged, unresolved) properties and dependencies."""

    logical_id: str
    type: str
    properties: dict[str, Any]
    depends_on: set[str] = field(default_factory=set)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Template:
    """A loaded template, ready to resolve against an :class:`AttributeSource`."""

    path: Path
    context: StackContext
    parameters: dict[str, Any]
    conditions: dict[str, bool]
    mappings: dict[str, Any]
    resources: dict[str, ResourceDef]
    skipped: dict[str, str]
    body: dict[str, Any]

    @property
    def base_dir(self) -> Path:
        """Directory relative paths in the template (CodeUri, DefinitionUri...) start from."""
        return self.path.parent

    def resolver(self, resources: AttributeSource | None = None) -> Resolver:
        return Resolver(
            context=self.context,
            parameters=self.parameters,
            condition=self._condition,
            mappings=self.mappings,
            resources=resources,
        )

    def _condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise TemplateError(f"unknown condition {name}")
        return self.conditions[name]

    def of_type(self, *types: str) -> list[ResourceDef]:
        return [res for res in self.resources.values() if res.type in types]

    def provisioning_order(self) -> list[str]:
        """Logical ids so that every resource comes after the resources it references (stable)."""
        order: list[str] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(logical_id: str, trail: list[str]) -> None:
            if state.get(logical_id) == 2:
                return
            if state.get(logical_id) == 1:
                cycle = [*trail[trail.index(logical_id) :], logical_id]
                raise TemplateError(f"circular dependency: {' -> '.join(cycle)}")
            state[logical_id] = 1
            for dependency in sorted(self.resources[logical_id].depends_on):
                visit(dependency, [*trail, logical_id])
            state[logical_id] = 2
            order.append(logical_id)

        for logical_id in self.resources:
            visit(logical_id, [])
        return order


# ---------------------------------------------------------------------- parameters
def _parameter_value(name: str, decl: Mapping[str, Any], raw: Any) -> Any:
    kind = str(decl.get("Type", "String"))
    if isinstance(raw, bool):
        raw = str(raw).lower()
    if isinstance(raw, list):
        raw = ",".join(str(item) for item in raw)
    text = str(raw)
    if kind == "Number":
        try:
            number = float(text)
        except ValueError:
            raise TemplateError(f"parameter {name}: {text!r} is not a Number") from None
        if "MinValue" in decl and number < float(decl["MinValue"]):
            raise TemplateError(f"parameter {name}: {text} is less than MinValue {decl['MinValue']}")
        if "MaxValue" in decl and number > float(decl["MaxValue"]):
            raise TemplateError(f"parameter {name}: {text} is greater than MaxValue {decl['MaxValue']}")
    if kind.startswith("List<") or kind == "CommaDelimitedList":
        values: list[str] = [item.strip() for item in text.split(",")] if text else []
        return values
    if "MinLength" in decl and len(text) < int(decl["MinLength"]):
        raise TemplateError(f"parameter {name}: shorter than MinLength {decl['MinLength']}")
    if "MaxLength" in decl and len(text) > int(decl["MaxLength"]):
        raise TemplateError(f"parameter {name}: longer than MaxLength {decl['MaxLength']}")
    allowed = decl.get("AllowedValues")
    if allowed is not None and text not in [str(_parameter_value(name, {}, v)) for v in allowed]:
        raise TemplateError(f"parameter {name}: {text!r} is not one of {allowed}")
    pattern = decl.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(str(pattern), text):
        raise TemplateError(f"parameter {name}: {text!r} does not match AllowedPattern {pattern}")
    return text


def resolve_parameters(declarations: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Parameter values as CloudFormation sees them: strings (lists for list types), validated."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(declarations))
    if unknown:
        raise TemplateError(f"parameters {', '.join(unknown)} do not exist in the template")
    values: dict[str, Any] = {}
    for name, declaration in declarations.items():
        decl = declaration or {}
        if name in overrides:
            raw = overrides[name]
        elif "Default" in decl:
            raw = decl["Default"]
        else:
            raise TemplateError(f"parameter {name} has no Default and no value was given")
        values[name] = _parameter_value(name, decl, raw)
    return values


# ---------------------------------------------------------------------- globals
def merge_globals(global_props: Any, local_props: Any) -> Any:
    """SAM's Globals rules: maps merge (local wins), lists are global-first, scalars are overridden.

    An intrinsic on either side is opaque: the local value wins whole.
    """
    if isinstance(global_props, dict) and isinstance(local_props, dict):
        if is_intrinsic(global_props) or is_intrinsic(local_props):
            return copy.deepcopy(local_props)
        merged = copy.deepcopy(global_props)
        for key, value in local_props.items():
            merged[key] = merge_globals(merged[key], value) if key in merged else copy.deepcopy(value)
        return merged
    if isinstance(global_props, list) and isinstance(local_props, list):
        return copy.deepcopy(global_props) + copy.deepcopy(local_props)
    return copy.deepcopy(local_props)


# ---------------------------------------------------------------------- rules
def check_rules(rules: Mapping[str, Any], resolver: Resolver) -> None:
    """Refuse parameter values a template ``Rules`` assertion rejects, with its ``AssertDescription``.

    A rule applies when its ``RuleCondition`` holds (or it has none). Rule functions the resolver
    does not know (``Fn::ValueOf``...) leave that rule unchecked rather than refuse the stack.
    """
    for name, rule in rules.items():
        if not isinstance(rule, Mapping):
            continue
        try:
            if "RuleCondition" in rule and not resolver.condition_value(rule["RuleCondition"]):
                continue
            failed = [
                assertion
                for assertion in rule.get("Assertions") or []
                if not resolver.condition_value(assertion.get("Assert"))
            ]
        except TemplateError as exc:
            if "unsupported intrinsic" in str(exc):
                continue
            raise TemplateError(f"rule {name}: {exc}") from exc
        if failed:
            why = "; ".join(str(a.get("AssertDescription") or "an assertion failed") for a in failed)
            raise TemplateError(f"template rule {name}: {why}")


# ---------------------------------------------------------------------- loading
def _dependencies(logical_id: str, resource: Mapping[str, Any], properties: Mapping[str, Any]) -> set[str]:
    late = LATE_PROPERTIES.get(str(resource.get("Type")), ())
    scanned = {key: value for key, value in properties.items() if key not in late}
    names = referenced_names(scanned)
    depends = resource.get("DependsOn") or []
    names.update([depends] if isinstance(depends, str) else depends)
    names.discard(logical_id)
    return names


def load_template(
    path: Path,
    *,
    stack_name: str,
    region: str = "us-east-1",
    account_id: str = "123456789012",
    parameter_overrides: Mapping[str, Any] | None = None,
) -> Template:
    """Load ``path``, validate parameter overrides, evaluate conditions, merge Globals."""
    path = path.resolve()
    body = load_template_file(path)
    context = StackContext(stack_name=stack_name, region=region, account_id=account_id)
    parameters = resolve_parameters(body.get("Parameters") or {}, parameter_overrides)
    mappings = body.get("Mappings") or {}
    conditions, condition = _conditions(body.get("Conditions") or {}, context, parameters, mappings)
    check_rules(body.get("Rules") or {}, Resolver(context=context, parameters=parameters, condition=condition))
    resources, skipped = _active_resources(body, condition)
    _link_dependencies(resources, known=set(body["Resources"]), parameters=parameters)
    return Template(
        path=path,
        context=context,
        parameters=parameters,
        conditions=conditions,
        mappings=mappings,
        resources=resources,
        skipped=skipped,
        body=body,
    )


def _conditions(
    definitions: dict[str, Any], context: StackContext, parameters: dict[str, Any], mappings: dict[str, Any]
) -> tuple[dict[str, bool], Callable[[str], bool]]:
    """Every condition's value, evaluated once; conditions may name each other but not loop."""
    conditions: dict[str, bool] = {}
    evaluating: set[str] = set()

    def condition(name: str) -> bool:
        if name in conditions:
            return conditions[name]
        if name not in definitions:
            raise TemplateError(f"unknown condition {name}")
        if name in evaluating:
            raise TemplateError(f"condition {name} refers to itself")
        evaluating.add(name)
        resolver = Resolver(context=context, parameters=parameters, condition=condition, mappings=mappings)
        conditions[name] = resolver.condition_value(definitions[name])
        evaluating.discard(name)
        return conditions[name]

    for name in definitions:
        condition(name)
    return conditions, condition


def _active_resources(
    body: dict[str, Any], condition: Callable[[str], bool]
) -> tuple[dict[str, ResourceDef], dict[str, str]]:
    """The resources whose condition holds, with Globals merged; the others with why they are skipped."""
    globals_section: dict[str, Any] = body.get("Globals") or {}
    resources: dict[str, ResourceDef] = {}
    skipped: dict[str, str] = {}
    for logical_id, resource in body["Resources"].items():
        if not isinstance(resource, dict) or "Type" not in resource:
            raise TemplateError(f"resource {logical_id} has no Type")
        cond = resource.get("Condition")
        if cond is not None and not condition(str(cond)):
            skipped[logical_id] = f"condition {cond} is false"
            continue
        rtype = str(resource["Type"])
        properties: dict[str, Any] = copy.deepcopy(resource.get("Properties") or {})
        for section, types in _GLOBAL_TARGETS.items():
            if rtype in types and section in globals_section:
                properties = merge_globals(globals_section[section], properties)
        resources[logical_id] = ResourceDef(
            logical_id=logical_id,
            type=rtype,
            properties=properties,
            depends_on=_dependencies(logical_id, resource, properties),
            metadata=dict(resource.get("Metadata") or {}),
        )
    return resources, skipped


def _link_dependencies(resources: dict[str, ResourceDef], *, known: set[str], parameters: dict[str, Any]) -> None:
    """Narrow each resource's dependencies to active resources; refuse names the template lacks."""
    for res in resources.values():
        # SAM's implicit role of a function or state machine ("<Id>Role") comes with its owner.
        for name in list(res.depends_on):
            owner = name.removesuffix("Role")
            if name not in known and name != owner and owner in resources and owner != res.logical_id:
                res.depends_on.discard(name)
                res.depends_on.add(owner)
        # Parameters and pseudo parameters are not resources; refs to inactive resources are dropped
        # (they can only sit in an untaken Fn::If branch).
        unknown = {
            name
            for name in res.depends_on
            if name not in known and name not in parameters and not name.startswith("AWS::")
        }
        if unknown:
            raise TemplateError(f"{res.logical_id} refers to unknown names: {', '.join(sorted(unknown))}")
        res.depends_on = {name for name in res.depends_on if name in resources}
