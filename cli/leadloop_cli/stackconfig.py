"""What an operator command needs from a stack: its settings, Meta credentials and a Graph client.

Settings are read from a deployed function's own environment (LeadFetchFunction's), so the CLI
calls the same Graph version and host and reads the same secret, routing and tables as the stack
does; credentials come from the secret itself and never reach the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadloop.credentials import MetaCredentials
from leadloop.graph import GraphClient
from leadloop.leads.store import LeadStore
from leadloop.routing import Routing
from leadloop_cli.target import Target, TargetError


@dataclass
class StackConfig:
    target: Target
    env: dict[str, str]

    @classmethod
    def load(cls, target: Target) -> StackConfig:
        try:
            answer = target.client("lambda").get_function_configuration(
                FunctionName=target.physical_id("LeadFetchFunction")
            )
        except TargetError:
            raise
        except Exception as exc:
            raise TargetError(f"cannot read the stack's settings: {type(exc).__name__}") from None
        return cls(target, dict((answer.get("Environment") or {}).get("Variables") or {}))

    def credentials(self) -> MetaCredentials:
        raw = self.target.client("secretsmanager").get_secret_value(SecretId=self.env["META_SECRET_ARN"])
        return MetaCredentials.model_validate_json(raw["SecretString"])

    def graph(self, page_id: str | None = None) -> GraphClient:
        creds = self.credentials()
        return GraphClient(
            base_url=self.env.get("GRAPH_BASE_URL", "https://graph.facebook.com"),
            version=self.env["GRAPH_API_VERSION"],
            access_token=creds.token_for_page(page_id),
            app_secret=creds.app_secret.get_secret_value(),
        )

    def routing(self) -> Routing:
        raw = self.target.client("ssm").get_parameter(Name=self.env["ROUTING_PARAMETER_NAME"])
        return Routing.model_validate_json(raw["Parameter"]["Value"])

    def lead_store(self) -> LeadStore:
        days = int(self.env.get("LEAD_RETENTION_DAYS", "365"))
        return LeadStore(self.target.client("dynamodb"), self.env["LEADS_TABLE_NAME"], retention_days=days)

    def client(self, service: str) -> Any:
        return self.target.client(service)
