"""Helpers for the local stack's integration tests: the fixture template and a stub Graph simulator.

The stub stands in for ``leadloop_cli.graphsim`` (same interface); its ``subscribe`` performs Meta's
verification GET for real, so seeding still exercises the API shim and a real handler.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
TEMPLATE = HERE / "template.yaml"


class StubGraphSimulator:
    """Records what the stack registers; answers nothing (the fixture handlers never call Graph)."""

    def __init__(self, app_id: str, app_secret: str) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.pages: dict[str, str] = {}
        self.forms: dict[str, str] = {}
        self.accounts: list[str] = []
        self.audiences: dict[str, str] = {}
        self.subscriptions: list[tuple[str, str]] = []
        self.installed: dict[str, list[str]] = {}
        self.started = False
        self.stopped = False

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self.started = True
        return "http://127.0.0.1:9/"

    def stop(self) -> None:
        self.stopped = True

    def add_page(self, page_id: str, access_token: str) -> None:
        self.pages[page_id] = access_token

    def add_form(self, form_id: str, page_id: str, *, name: str = "form") -> None:
        self.forms[form_id] = page_id

    def add_ad_account(self, account_id: str) -> None:
        self.accounts.append(account_id)

    def add_audience(self, audience_id: str, account_id: str, *, name: str = "audience") -> None:
        self.audiences[audience_id] = account_id

    def set_page_subscribed_fields(self, page_id: str, fields: list[str]) -> None:
        self.installed = {page_id: list(fields)}

    def subscribe(self, callback_url: str, verify_token: str) -> None:
        query = urllib.parse.urlencode(
            {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": "1158201444"}
        )
        with urllib.request.urlopen(f"{callback_url}?{query}", timeout=10) as response:
            body = response.read().decode()
        if body != "1158201444":
            raise RuntimeError(f"verification answered {body!r}")
        self.subscriptions.append((callback_url, verify_token))


def wait_for(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy; fail with the last value on timeout."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last value {value!r})")
        time.sleep(interval)
        value = check()
    return value


def calls(stack: Any, kind: str) -> list[Any]:
    """What the fixture handlers recorded in CallsTable under ``kind``, oldest first."""
    table = stack.resources["CallsTable"]
    items = stack.client("dynamodb").query(
        TableName=table,
        KeyConditionExpression="pk = :k",
        ExpressionAttributeValues={":k": {"S": kind}},
    )["Items"]
    return [json.loads(item["data"]["S"]) for item in items]
