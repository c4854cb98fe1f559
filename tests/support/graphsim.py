"""The Graph simulator as the graphsim tests drive it: its seed ids, a signed HTTP client, a webhook receiver.

``SignedClient`` is a real HTTP client for the running simulator (the token and ``appsecret_proof`` on
every call), not a stand-in for ``leadloop.graph.GraphClient`` (that is ``tests.support.graph.FakeGraph``).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from leadloop_cli.graphsim import GraphSimulator

APP_ID = "900100200300"
APP_SECRET = "sim-app-secret"
PAGE_ID = "104000000000001"
PAGE_TOKEN = "EAAB-page-token-1"
FORM_ID = "205000000000001"
OTHER_PAGE_ID = "104000000000002"
OTHER_PAGE_TOKEN = "EAAB-page-token-2"
OTHER_FORM_ID = "205000000000002"
VERIFY_TOKEN = "verify-me"
V = "v25.0"


@dataclass
class SignedClient:
    """Thin helper: signs calls with a token + appsecret_proof and returns (status, json, headers)."""

    sim: GraphSimulator
    base_url: str
    token: str = PAGE_TOKEN
    session: requests.Session = field(default_factory=requests.Session)

    def auth(self, token: str | None = None) -> dict[str, str]:
        token = token or self.token
        return {"access_token": token, "appsecret_proof": self.sim.appsecret_proof(token)}

    def get(self, path: str, token: str | None = None, **params: Any) -> requests.Response:
        return self.session.get(f"{self.base_url}/{V}/{path}", params={**self.auth(token), **params}, timeout=10)

    def batch(self, items: list[dict[str, Any]], token: str | None = None, **extra: Any) -> requests.Response:
        data = {**self.auth(token), "batch": json.dumps(items), **extra}
        return self.session.post(f"{self.base_url}/{V}/", data=data, timeout=30)

    def sim_post(self, route: str, body: Any) -> requests.Response:
        return self.session.post(f"{self.base_url}/_sim/{route}", json=body, timeout=30)

    def sim_get(self, route: str, **params: Any) -> requests.Response:
        return self.session.get(f"{self.base_url}/_sim/{route}", params=params, timeout=30)


@dataclass(frozen=True)
class SimIds:
    """The ids :func:`seeded_simulator` registers (also the ``ids`` fixture)."""

    app_id: str = APP_ID
    app_secret: str = APP_SECRET
    page_id: str = PAGE_ID
    page_token: str = PAGE_TOKEN
    form_id: str = FORM_ID
    other_page_id: str = OTHER_PAGE_ID
    other_page_token: str = OTHER_PAGE_TOKEN
    other_form_id: str = OTHER_FORM_ID
    verify_token: str = VERIFY_TOKEN
    version: str = V

    @staticmethod
    def answers(email: str = "lead@example.com") -> list[dict[str, Any]]:
        return [{"name": "email", "values": [email]}, {"name": "full_name", "values": ["Ada Lovelace"]}]


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A tiny webhook endpoint: answers the verification GET and scripted statuses to POSTs."""

    def __init__(self, verify_token: str = VERIFY_TOKEN) -> None:
        self.verify_token = verify_token
        self.requests: list[Received] = []
        self.post_statuses: list[int] = []  # consumed one per POST; 200 once empty
        self.echo_challenge = True
        self._lock = threading.Lock()
        self._posted = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _record(self, body: bytes) -> Received:
                parts = urlsplit(self.path)
                item = Received(self.command, parts.path, parse_qs(parts.query), dict(self.headers), body)
                with receiver._lock:
                    receiver.requests.append(item)
                    receiver._posted.notify_all()
                return item

            def do_GET(self) -> None:
                item = self._record(b"")
                challenge = item.query.get("hub.challenge", [""])[0]
                token_ok = item.query.get("hub.verify_token", [""])[0] == receiver.verify_token
                if item.query.get("hub.mode") == ["subscribe"] and token_ok:
                    reply = challenge if receiver.echo_challenge else challenge + "x"
                    self._reply(200, reply.encode())
                else:
                    self._reply(403, b"forbidden")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    status = receiver.post_statuses.pop(0) if receiver.post_statuses else 200
                self._record(body)
                self._reply(status, b"ok")

            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/webhook"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def posts(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST"]

    def wait_posts(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self._lock:
            self._posted.wait_for(lambda: sum(r.method == "POST" for r in self.requests) >= count, timeout)
        return self.posts()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def seeded_simulator() -> GraphSimulator:
    """A simulator (not started) with two Pages, each with one form, and fast webhook retries."""
    simulator = GraphSimulator(
        app_id=APP_ID, app_secret=APP_SECRET, webhook_retry_delays=(0.0, 0.05, 0.05), webhook_timeout=2.0
    )
    simulator.add_page(PAGE_ID, PAGE_TOKEN)
    simulator.add_form(FORM_ID, PAGE_ID, name="Main form")
    simulator.add_page(OTHER_PAGE_ID, OTHER_PAGE_TOKEN)
    simulator.add_form(OTHER_FORM_ID, OTHER_PAGE_ID)
    return simulator
