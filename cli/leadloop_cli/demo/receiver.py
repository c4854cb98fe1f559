"""A stand-in for the user's own HTTPS endpoint (a CRM webhook): records what EventBridge delivers.

Used by the demo and the e2e tests as ``LeadDeliveryUrl``. It answers 200, or the statuses queued
for a lead id first (to show retries and the dead-letter queue).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Receiver"]


class Receiver:
    """Records each POST (path, headers, JSON body, the status it answered) on 127.0.0.1."""

    def __init__(self, path: str = "/crm/leads") -> None:
        self.path = path
        self.received: list[dict[str, Any]] = []
        self.statuses: dict[str, list[int]] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = None
                receiver.record(self.path, dict(self.headers), body, self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="lead-receiver", daemon=True)
        self.thread.start()

    def record(self, path: str, headers: dict[str, str], body: Any, handler: BaseHTTPRequestHandler) -> None:
        lead = str(((body if isinstance(body, dict) else {}).get("detail") or {}).get("leadgen_id"))
        with self.lock:
            queued = self.statuses.get(lead) or []
            status = queued.pop(0) if queued else 200
            self.received.append({"path": path, "headers": headers, "body": body, "status": status})
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def delivered(self, lead: str) -> list[dict[str, Any]]:
        """Every request that carried ``lead``, in order."""
        with self.lock:
            return [
                r
                for r in self.received
                if isinstance(r["body"], dict) and (r["body"].get("detail") or {}).get("leadgen_id") == lead
            ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
