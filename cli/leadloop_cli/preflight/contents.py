"""What an existing stack holds: a Meta secret still on its placeholders, a routing document that fails."""

from __future__ import annotations

from leadloop.health.findings import Finding, Status
from leadloop_cli.preflight.common import unread
from leadloop_cli.preflight.facts import Read, SecretShape, StackFacts
from leadloop_cli.routingdoc import RoutingDocumentError, parse

FILL_SECRET = (
    "put Meta's values in (keep verify_token): aws secretsmanager put-secret-value --secret-id {arn} "
    "--secret-string file://meta.json"
)
FIX_ROUTING = "fix it: leadloop routing validate FILE, then leadloop routing set FILE"


def check_secret(secret: Read[SecretShape] | None, stack: StackFacts) -> Finding:
    if secret is None:
        detail = "the deploy creates it with REPLACE_ME values: fill them in after"
        return Finding("secret", Status.OK, "MetaSecret", detail)
    if secret.failure is not None:
        permission = "secretsmanager:GetSecretValue"
        return unread("secret", "MetaSecret", secret.failure, what="the Meta secret", permission=permission)
    shape = secret.value or SecretShape()
    action = FILL_SECRET.format(arn=stack.resources.get("MetaSecret", "SECRET_ARN"))
    if shape.not_json:
        return Finding("secret", Status.WARN, "MetaSecret", "not a JSON object", action)
    unusable = [*shape.placeholders, *(f"{k} (missing)" for k in shape.missing if k not in shape.placeholders)]
    if unusable:
        detail = f"still unusable: {', '.join(unusable)}: no lead can be fetched"
        return Finding("secret", Status.WARN, "MetaSecret", detail, action)
    return Finding("secret", Status.OK, "MetaSecret", "filled in (no REPLACE_ME)")


def check_routing(routing: Read[str] | None) -> Finding:
    if routing is None:
        detail = "the deploy creates it with no forms: then leadloop routing set"
        return Finding("routing", Status.OK, "RoutingParameter", detail)
    if routing.failure is not None:
        return unread("routing", "RoutingParameter", routing.failure, what="the routing", permission="ssm:GetParameter")
    try:
        document = parse(routing.value or "")
    except RoutingDocumentError as exc:
        shown = "; ".join(exc.problems[:3]) + (f"; and {len(exc.problems) - 3} more" if len(exc.problems) > 3 else "")
        return Finding("routing", Status.FAIL, "RoutingParameter", f"does not validate: {shown}", FIX_ROUTING)
    return Finding("routing", Status.OK, "RoutingParameter", document.summary())
