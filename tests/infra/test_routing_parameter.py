"""RoutingParameter: large enough for many forms, and never rewritten by a stack update.

CloudFormation rewrites an ``AWS::SSM::Parameter``'s value whenever any of its properties changes
in an update (or a rollback), which would throw away the routing operators set with
``leadloop routing set``. So every property is a constant: nothing depends on a template parameter.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from leadloop_cli.routingdoc import parse

if TYPE_CHECKING:
    from tests.support.template import CfnTemplate

CONSTANT_ACROSS_UPDATES = {"AWS::StackName", "AWS::Partition", "AWS::Region", "AWS::AccountId"}


def references(value: Any) -> set[str]:
    """Every name a property refers to (Ref, GetAtt, ${...} in Sub)."""
    if isinstance(value, dict):
        found: set[str] = set()
        for key, inner in value.items():
            if key == "Ref":
                found.add(str(inner))
            elif key == "Fn::GetAtt":
                found.add(str(inner[0] if isinstance(inner, list) else inner).split(".")[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                found |= references(inner[1:] if isinstance(inner, list) else [])
            else:
                found |= references(inner)
        return found
    if isinstance(value, list):
        return set().union(*(references(v) for v in value)) if value else set()
    return set()


def test_the_routing_parameter_holds_8_kb(template: CfnTemplate):
    assert template.props("RoutingParameter").get("Tier") == "Advanced", (
        "Tier: Standard caps the routing document at 4 KB (about 15 forms); use Advanced (8 KB)"
    )


def test_no_property_depends_on_a_template_parameter_or_resource(template: CfnTemplate):
    props = template.props("RoutingParameter")
    moving = references(props) - CONSTANT_ACROSS_UPDATES
    assert not moving, f"RoutingParameter depends on {sorted(moving)}: changing them rewrites the live routing"
    assert "Condition" not in template.resources["RoutingParameter"]


def test_the_bootstrap_value_is_routing_with_no_forms(template: CfnTemplate):
    value = template.props("RoutingParameter")["Value"]
    assert isinstance(value, str) and parse(value).routing.forms == []


def test_no_initial_routing_parameter_invites_an_overwrite(template: CfnTemplate):
    assert "InitialRouting" not in template.document.get("Parameters", {})
