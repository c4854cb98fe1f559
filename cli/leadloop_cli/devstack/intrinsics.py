"""Evaluate CloudFormation intrinsic functions the way CloudFormation does, against local values.

The local stack provisions resources one by one, so ``Ref``/``GetAtt`` on a resource are answered by
an :class:`AttributeSource` that knows what has been created so far. Everything else (parameters,
pseudo parameters, conditions, mappings) is known up front.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "NO_VALUE",
    "AttributeSource",
    "Resolver",
    "StackContext",
    "TemplateError",
    "is_intrinsic",
    "referenced_names",
]


class TemplateError(ValueError):
    """The template cannot be resolved (unknown reference, bad intrinsic, bad parameter...)."""


class _NoValue:
    """``AWS::NoValue``: the enclosing key or list element disappears."""

    _instance: _NoValue | None = None

    def __new__(cls) -> _NoValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


@dataclass(frozen=True)
class StackContext:
    """The pseudo parameters of one (local) stack."""

    stack_name: str
    region: str = "us-east-1"
    account_id: str = "123456789012"
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"

    @property
    def stack_id(self) -> str:
        return (
            f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}:"
            f"stack/{self.stack_name}/00000000-0000-4000-8000-000000000000"
        )

    def pseudo(self, name: str) -> Any:
        values: dict[str, Any] = {
            "AWS::StackName": self.stack_name,
            "AWS::StackId": self.stack_id,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        if name not in values:
            raise TemplateError(f"unknown pseudo parameter {name}")
        return values[name]


class AttributeSource(Protocol):
    """Answers Ref and GetAtt for resources (physical names, ARNs, URLs)."""

    def ref(self, logical_id: str) -> Any: ...

    def get_att(self, logical_id: str, attribute: str) -> Any: ...


def is_intrinsic(value: Any) -> bool:
    """True for a one-key mapping such as ``{"Ref": ...}`` or ``{"Fn::Sub": ...}``."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return key in ("Ref", "Condition") or str(key).startswith("Fn::")


_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


def _sub_names(template: str) -> Iterator[str]:
    for match in _SUB_VAR.finditer(template):
        name = match.group(1).strip()
        if not name.startswith("!"):
            yield name


def referenced_names(value: Any) -> set[str]:
    """Every name used by Ref, GetAtt or Sub inside ``value`` (resources, parameters, pseudo params)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        if is_intrinsic(node):
            key, arg = next(iter(node.items()))
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
                return
            if key == "Fn::GetAtt":
                if isinstance(arg, list) and arg and isinstance(arg[0], str):
                    found.add(arg[0])
                    walk(arg[1:])
                elif isinstance(arg, str):
                    found.add(arg.split(".", 1)[0])
                return
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                walk(variables)
                for name in _sub_names(text):
                    base = name.split(".", 1)[0]
                    if base not in variables:
                        found.add(base)
                return
        for item in node.values():
            walk(item)

    walk(value)
    return found


class Resolver:
    """Resolves intrinsics in template values.

    ``conditions`` is a callable so conditions can be evaluated lazily (they may reference each other).
    """

    def __init__(
        self,
        *,
        context: StackContext,
        parameters: Mapping[str, Any],
        condition: Callable[[str], bool] | None = None,
        mappings: Mapping[str, Any] | None = None,
        resources: AttributeSource | None = None,
    ) -> None:
        self.context = context
        self._parameters = parameters
        self._condition = condition
        self._mappings = mappings or {}
        self._resources = resources

    # ------------------------------------------------------------------ public
    def resolve(self, value: Any) -> Any:
        """Return ``value`` with every intrinsic evaluated and every ``AWS::NoValue`` removed."""
        result = self._resolve(value)
        return None if result is NO_VALUE else result

    def condition_value(self, value: Any) -> bool:
        """Evaluate a condition expression (``Fn::Equals``, ``{"Condition": name}``, ...)."""
        result = self._resolve(value)
        if isinstance(result, bool):
            return result
        if isinstance(result, str) and result.lower() in ("true", "false"):
            return result.lower() == "true"
        raise TemplateError(f"condition does not evaluate to a boolean: {value!r}")

    # ------------------------------------------------------------------ internals
    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if isinstance(value, dict):
            if is_intrinsic(value):
                key, arg = next(iter(value.items()))
                return self._intrinsic(str(key), arg)
            out: dict[str, Any] = {}
            for key, item in value.items():
                resolved = self._resolve(item)
                if resolved is not NO_VALUE:
                    out[key] = resolved
            return out
        return value

    def _intrinsic(self, key: str, arg: Any) -> Any:
        handler = getattr(self, "_fn_" + key.removeprefix("Fn::").lower(), None)
        if key == "Ref":
            return self._ref(arg)
        if key == "Condition":
            return self._named_condition(arg)
        if handler is None:
            raise TemplateError(f"unsupported intrinsic function {key}")
        return handler(arg)

    def _named_condition(self, name: Any) -> bool:
        if self._condition is None:
            raise TemplateError(f"condition {name!r} used where conditions are not available")
        return self._condition(str(name))

    def _ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise TemplateError(f"Ref needs a name, got {name!r}")
        if name.startswith("AWS::"):
            return self.context.pseudo(name)
        if name in self._parameters:
            return self._parameters[name]
        if self._resources is None:
            raise TemplateError(f"Ref {name} is not a parameter (resources are not available here)")
        return self._resources.ref(name)

    def _fn_getatt(self, arg: Any) -> Any:
        if isinstance(arg, str):
            logical_id, _, attribute = arg.partition(".")
        elif isinstance(arg, list) and len(arg) == 2:
            logical_id, attribute = str(arg[0]), self._resolve(arg[1])
        else:
            raise TemplateError(f"Fn::GetAtt needs [Resource, Attribute], got {arg!r}")
        if self._resources is None:
            raise TemplateError(f"GetAtt {logical_id}.{attribute}: resources are not available here")
        return self._resources.get_att(logical_id, str(attribute))

    def _fn_sub(self, arg: Any) -> str:
        if isinstance(arg, str):
            text, variables = arg, {}
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            text, variables = arg[0], self._resolve(arg[1])
        else:
            raise TemplateError(f"Fn::Sub needs a string or [string, {{vars}}], got {arg!r}")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return _as_string(variables[name], f"${{{name}}}")
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return _as_string(self._fn_getatt([logical_id, attribute]), f"${{{name}}}")
            return _as_string(self._ref(name), f"${{{name}}}")

        return _SUB_VAR.sub(replace, text)

    def _fn_join(self, arg: Any) -> str:
        if not isinstance(arg, list) or len(arg) != 2:
            raise TemplateError(f"Fn::Join needs [delimiter, [values]], got {arg!r}")
        delimiter = self._resolve(arg[0])
        values = self._resolve(arg[1])
        if not isinstance(values, list):
            raise TemplateError(f"Fn::Join needs a list of values, got {values!r}")
        return str(delimiter).join(_as_string(v, "Fn::Join") for v in values)

    def _fn_select(self, arg: Any) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            raise TemplateError(f"Fn::Select needs [index, [values]], got {arg!r}")
        index = int(self._resolve(arg[0]))
        values = self._resolve(arg[1])
        if not isinstance(values, list) or not 0 <= index < len(values):
            raise TemplateError(f"Fn::Select index {index} out of range for {values!r}")
        return values[index]

    def _fn_split(self, arg: Any) -> list[str]:
        if not isinstance(arg, list) or len(arg) != 2:
            raise TemplateError(f"Fn::Split needs [delimiter, string], got {arg!r}")
        delimiter = str(self._resolve(arg[0]))
        return _as_string(self._resolve(arg[1]), "Fn::Split").split(delimiter)

    def _fn_if(self, arg: Any) -> Any:
        if not isinstance(arg, list) or len(arg) != 3:
            raise TemplateError(f"Fn::If needs [condition, then, else], got {arg!r}")
        chosen = arg[1] if self._named_condition(arg[0]) else arg[2]
        return self._resolve(chosen)

    def _fn_equals(self, arg: Any) -> bool:
        if not isinstance(arg, list) or len(arg) != 2:
            raise TemplateError(f"Fn::Equals needs two values, got {arg!r}")
        left, right = (self._resolve(v) for v in arg)
        return bool(_comparable(left) == _comparable(right))

    def _fn_not(self, arg: Any) -> bool:
        if not isinstance(arg, list) or len(arg) != 1:
            raise TemplateError(f"Fn::Not needs one condition, got {arg!r}")
        return not self.condition_value(arg[0])

    def _fn_and(self, arg: Any) -> bool:
        if not isinstance(arg, list) or not 2 <= len(arg) <= 10:
            raise TemplateError(f"Fn::And needs 2 to 10 conditions, got {arg!r}")
        return all(self.condition_value(item) for item in arg)

    def _fn_or(self, arg: Any) -> bool:
        if not isinstance(arg, list) or not 2 <= len(arg) <= 10:
            raise TemplateError(f"Fn::Or needs 2 to 10 conditions, got {arg!r}")
        return any(self.condition_value(item) for item in arg)

    # Rule functions (valid in a template's ``Rules`` only).
    def _fn_contains(self, arg: Any) -> bool:
        if not isinstance(arg, list) or len(arg) != 2:
            raise TemplateError(f"Fn::Contains needs [[values], value], got {arg!r}")
        values, value = self._resolve(arg[0]), self._resolve(arg[1])
        return _comparable(value) in [_comparable(v) for v in (values if isinstance(values, list) else [values])]

    def _fn_eachmemberequals(self, arg: Any) -> bool:
        if not isinstance(arg, list) or len(arg) != 2:
            raise TemplateError(f"Fn::EachMemberEquals needs [[values], value], got {arg!r}")
        values, value = self._resolve(arg[0]), self._resolve(arg[1])
        return all(_comparable(v) == _comparable(value) for v in (values if isinstance(values, list) else [values]))

    def _fn_eachmemberin(self, arg: Any) -> bool:
        if not isinstance(arg, list) or len(arg) != 2:
            raise TemplateError(f"Fn::EachMemberIn needs [[values], [allowed]], got {arg!r}")
        values, allowed = self._resolve(arg[0]), self._resolve(arg[1])
        permitted = [_comparable(v) for v in (allowed if isinstance(allowed, list) else [allowed])]
        return all(_comparable(v) in permitted for v in (values if isinstance(values, list) else [values]))

    def _fn_findinmap(self, arg: Any) -> Any:
        if not isinstance(arg, list) or len(arg) not in (3, 4):
            raise TemplateError(f"Fn::FindInMap needs [map, top key, second key], got {arg!r}")
        name, top, second = (str(self._resolve(v)) for v in arg[:3])
        try:
            return self._mappings[name][top][second]
        except (KeyError, TypeError):
            if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                return self._resolve(arg[3]["DefaultValue"])
            raise TemplateError(f"Fn::FindInMap: no {name}.{top}.{second} in Mappings") from None

    def _fn_getazs(self, arg: Any) -> list[str]:
        region = self._resolve(arg) or self.context.region
        return [f"{region}{zone}" for zone in "abc"]

    def _fn_base64(self, arg: Any) -> str:
        return base64.b64encode(_as_string(self._resolve(arg), "Fn::Base64").encode()).decode()

    def _fn_length(self, arg: Any) -> int:
        value = self._resolve(arg)
        if not isinstance(value, list):
            raise TemplateError(f"Fn::Length needs a list, got {value!r}")
        return len(value)

    def _fn_tojsonstring(self, arg: Any) -> str:
        return json.dumps(self._resolve(arg), separators=(",", ":"))

    def _fn_importvalue(self, arg: Any) -> Any:
        raise TemplateError(
            f"Fn::ImportValue {self._resolve(arg)!r}: the local stack has no other stacks to import from"
        )


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return value


def _as_string(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    raise TemplateError(f"{where}: expected a string, got {value!r}")
