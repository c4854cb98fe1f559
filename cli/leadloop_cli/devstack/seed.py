"""The local stack's starting data: a Meta app, one page with one form routed to one audience.

The same objects exist on both sides: in the Graph simulator (page + token, form, ad account,
audience) and in AWS (the Meta secret and the routing document), so the webhook and the audience sync
work from the first request. Finally Meta's subscription handshake runs against the real webhook.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any, Protocol

__all__ = [
    "GraphSimulatorLike",
    "SeedData",
    "SeedError",
    "default_graph_factory",
    "generate_seed",
    "register_in_simulator",
    "routing_document",
    "secret_document",
    "subscribe_webhook",
    "write_aws_seed",
]


class SeedError(RuntimeError):
    """Seeding failed; the message says which step and what to look at."""


class GraphSimulatorLike(Protocol):
    """The part of ``leadloop_cli.graphsim.GraphSimulator`` the stack uses."""

    def start(self, host: str = ..., port: int = ...) -> str: ...

    def stop(self) -> None: ...

    def add_page(self, page_id: str, access_token: str) -> Any: ...

    def add_form(self, form_id: str, page_id: str, *, name: str = ...) -> Any: ...

    def add_ad_account(self, account_id: str) -> Any: ...

    def add_audience(self, audience_id: str, account_id: str, *, name: str = ...) -> Any: ...

    def subscribe(self, callback_url: str, verify_token: str) -> Any: ...

    def set_page_subscribed_fields(self, page_id: str, fields: list[str]) -> Any: ...


def default_graph_factory(app_id: str, app_secret: str) -> GraphSimulatorLike:
    """The real simulator (imported late: it is optional for tests that do not need Meta)."""
    try:
        from leadloop_cli.graphsim import GraphSimulator
    except ImportError as exc:
        raise SeedError(f"the Graph API simulator (leadloop_cli.graphsim) is not available: {exc}") from exc
    simulator: GraphSimulatorLike = GraphSimulator(app_id=app_id, app_secret=app_secret, require_appsecret_proof=True)
    return simulator


def _digits(count: int) -> str:
    return str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(count - 1))


@dataclass(frozen=True)
class SeedData:
    """Ids and secrets of the seeded Meta objects (ids are numeric strings, as Meta's are)."""

    app_id: str
    app_secret: str
    verify_token: str
    page_id: str
    page_access_token: str
    form_id: str
    account_id: str
    audience_id: str

    def ids(self) -> dict[str, str]:
        return {
            "page_id": self.page_id,
            "form_id": self.form_id,
            "account_id": self.account_id,
            "audience_id": self.audience_id,
        }

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def generate_seed() -> SeedData:
    return SeedData(
        app_id=_digits(15),
        app_secret=secrets.token_hex(16),
        verify_token=secrets.token_urlsafe(24),
        page_id=_digits(15),
        page_access_token="EAA" + secrets.token_urlsafe(48).replace("-", "x").replace("_", "y"),
        form_id=_digits(16),
        account_id="act_" + _digits(15),
        audience_id=_digits(17),
    )


def secret_document(seed: SeedData) -> dict[str, Any]:
    """The MetaSecret value: app credentials plus the page token (also keyed by page id)."""
    return {
        "app_id": seed.app_id,
        "app_secret": seed.app_secret,
        "verify_token": seed.verify_token,
        "access_token": seed.page_access_token,
        "page_access_tokens": {seed.page_id: seed.page_access_token},
    }


def routing_document(seed: SeedData) -> dict[str, Any]:
    """The RoutingParameter value: the seeded form feeds the seeded audience."""
    return {
        "version": 1,
        "forms": [{"form_id": seed.form_id, "page_id": seed.page_id, "audience_ids": [seed.audience_id]}],
    }


def register_in_simulator(sim: GraphSimulatorLike, seed: SeedData) -> None:
    sim.add_page(seed.page_id, seed.page_access_token)
    sim.add_form(seed.form_id, seed.page_id, name="Local demo form")
    sim.add_ad_account(seed.account_id)
    sim.add_audience(seed.audience_id, seed.account_id, name="Local demo audience")
    # Deploy step 3: the app is installed on the Page with the leadgen field (subscribed_apps).
    sim.set_page_subscribed_fields(seed.page_id, ["leadgen"])


def write_aws_seed(clients: Any, seed: SeedData, *, secret_arn: str | None, parameter_name: str | None) -> None:
    """Store the secret and the routing document in the (moto) stack."""
    if secret_arn:
        clients("secretsmanager").put_secret_value(SecretId=secret_arn, SecretString=json.dumps(secret_document(seed)))
    if parameter_name:
        clients("ssm").put_parameter(
            Name=parameter_name, Value=json.dumps(routing_document(seed)), Type="String", Overwrite=True
        )


def subscribe_webhook(sim: GraphSimulatorLike, webhook_url: str, verify_token: str, log_file: str) -> None:
    """Meta's verification GET through the API shim; a clear error when the handler cannot answer it."""
    try:
        sim.subscribe(webhook_url, verify_token)
    except Exception as exc:
        raise SeedError(
            f"Meta's webhook verification (GET {webhook_url}?hub.mode=subscribe&hub.verify_token=...&"
            f"hub.challenge=...) failed: {exc}. The webhook function must answer it with the challenge "
            f"(see {log_file})"
        ) from exc
