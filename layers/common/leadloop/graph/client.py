"""The Graph API adapter (the only module that talks HTTP to Meta).

Rules it enforces (DESIGN rule 5): one pinned API version, explicit connect/read timeouts, the
access token only in the ``Authorization`` header (never in a URL, so it cannot leak into logs or
paging links), ``appsecret_proof`` on every call, errors mapped to the classes in
``leadloop.graph.errors``, and Meta's usage headers parsed on every answer. Root ``GET /?ids=`` is
gone from the Graph API since 2026-10-27, so multi-object reads use the batch endpoint (≤ 50).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from leadloop.graph.errors import (
    GraphError,
    GraphPermanentError,
    GraphTransportError,
    error_from_response,
)
from leadloop.graph.transport import Transport, TransportError, Urllib3Transport
from leadloop.graph.usage import GraphUsage

MAX_BATCH_SIZE = 50
_SECRET_PARAMS = frozenset({"access_token", "appsecret_proof", "appsecret_time"})


@dataclass(frozen=True)
class GraphResponse:
    status: int
    data: Any
    usage: GraphUsage


@dataclass(frozen=True)
class GraphPage:
    """One page of an edge; ``next_url`` is None on the last page (``after`` may still be set)."""

    data: list[dict[str, Any]]
    next_url: str | None
    after: str | None
    usage: GraphUsage


@dataclass(frozen=True)
class BatchRequest:
    method: str
    relative_url: str
    body: str | None = None

    @classmethod
    def get(cls, path: str, params: Mapping[str, str] | None = None) -> BatchRequest:
        query = f"?{urlencode(dict(params))}" if params else ""
        return cls("GET", f"{path.lstrip('/')}{query}")

    def as_json(self) -> dict[str, str]:
        item = {"method": self.method, "relative_url": self.relative_url}
        if self.body is not None:
            item["body"] = self.body
        return item


@dataclass(frozen=True)
class BatchResult:
    """One item of a batch answer: ``data`` on success, ``error`` otherwise."""

    data: Any = None
    error: GraphError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class GraphClient:
    """Calls ``{base_url}/{version}/...`` with one access token."""

    def __init__(
        self,
        *,
        base_url: str,
        version: str,
        access_token: str,
        app_secret: str,
        transport: Transport | None = None,
        connect_timeout: float = 3.05,
        read_timeout: float = 20.0,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._version = version
        self._host = urlsplit(self._base).netloc
        self._transport = transport or Urllib3Transport()
        self._auth_header = {"Authorization": f"Bearer {access_token}"}
        self._proof = hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout

    @property
    def version(self) -> str:
        return self._version

    def get(self, path: str, params: Mapping[str, str] | None = None, *, timeout: float | None = None) -> GraphResponse:
        return self._call("GET", self._url(path), params=dict(params or {}), timeout=timeout)

    def post(self, path: str, data: Mapping[str, str] | None = None, *, timeout: float | None = None) -> GraphResponse:
        return self._call("POST", self._url(path), data=dict(data or {}), timeout=timeout)

    def post_json(self, path: str, body: Mapping[str, Any], *, timeout: float | None = None) -> GraphResponse:
        """POST with a JSON body: large payloads (10,000-row uploads) skip form encoding, which costs
        more than building them."""
        return self._call("POST", self._url(path), json_body=dict(body), timeout=timeout)

    def delete(
        self, path: str, data: Mapping[str, str] | None = None, *, timeout: float | None = None
    ) -> GraphResponse:
        return self._call("DELETE", self._url(path), data=dict(data or {}), timeout=timeout)

    def batch(self, items: Sequence[BatchRequest], *, timeout: float | None = None) -> list[BatchResult]:
        """Send up to 50 requests in one call; each result stands on its own (partial success)."""
        if not 0 < len(items) <= MAX_BATCH_SIZE:
            raise ValueError(f"a batch holds 1..{MAX_BATCH_SIZE} requests, got {len(items)}")
        form = {"batch": json.dumps([item.as_json() for item in items]), "include_headers": "true"}
        response = self._call("POST", f"{self._base}/{self._version}/", data=form, timeout=timeout)
        if not isinstance(response.data, list) or len(response.data) != len(items):
            raise GraphTransportError("batch answer does not match the request", http_status=response.status)
        return [_batch_item(raw) for raw in response.data]

    def get_page(
        self, path: str, params: Mapping[str, str] | None = None, *, timeout: float | None = None
    ) -> GraphPage:
        return _page(self.get(path, params, timeout=timeout))

    def next_page(self, page: GraphPage, *, timeout: float | None = None) -> GraphPage | None:
        """Follow ``paging.next``; continue only when Meta gives a next link (never by page size)."""
        if not page.next_url:
            return None
        url, params = self._strip_secrets(page.next_url)
        return _page(self._call("GET", url, params=params, timeout=timeout))

    def iter_pages(
        self, path: str, params: Mapping[str, str] | None = None, *, timeout: float | None = None
    ) -> Iterator[GraphPage]:
        page: GraphPage | None = self.get_page(path, params, timeout=timeout)
        while page is not None:
            yield page
            page = self.next_page(page, timeout=timeout)

    # ------------------------------------------------------------------ internals
    def _url(self, path: str) -> str:
        return f"{self._base}/{self._version}/{path.lstrip('/')}"

    def _strip_secrets(self, url: str) -> tuple[str, dict[str, str]]:
        """Re-issue a paging link without the token Meta may have put in it, to our own host only."""
        parts = urlsplit(url)
        if parts.netloc != self._host:
            raise GraphPermanentError(f"refusing to follow a paging link to another host ({parts.netloc})")
        params = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _SECRET_PARAMS}
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), params

    def _timeouts(self, timeout: float | None) -> tuple[float, float]:
        read = self._read_timeout if timeout is None else max(0.1, timeout)
        return (min(self._connect_timeout, read), read)

    def _call(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        timeout: float | None,
    ) -> GraphResponse:
        encoded: bytes | None = None
        if json_body is not None:
            encoded = json.dumps(json_body | {"appsecret_proof": self._proof}, separators=(",", ":")).encode()
        elif data is not None:
            data["appsecret_proof"] = self._proof
        else:
            params = {**(params or {}), "appsecret_proof": self._proof}
        try:
            raw = self._transport.request(
                method,
                url,
                query=params or {},
                form=data,
                headers=self._auth_header,
                timeout=self._timeouts(timeout),
                json_body=encoded,
            )
        except TransportError as exc:
            verb = "timed out calling" if exc.timed_out else "could not reach"
            raise GraphTransportError(f"{verb} the Graph API ({exc})") from None
        usage = GraphUsage.from_headers(raw.headers)
        try:
            body = json.loads(raw.body) if raw.body else None
        except ValueError:
            body = None
        if raw.status >= 400 or (isinstance(body, dict) and "error" in body):
            raise error_from_response(raw.status, body, raw.headers, usage=usage)
        if body is None:
            raise GraphTransportError("the Graph API answered with a body that is not JSON", http_status=raw.status)
        return GraphResponse(status=raw.status, data=body, usage=usage)


def _page(response: GraphResponse) -> GraphPage:
    body = response.data
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise GraphTransportError("an edge answer without a data list", http_status=response.status)
    paging = body.get("paging")
    paging = paging if isinstance(paging, dict) else {}
    cursors = paging.get("cursors")
    cursors = cursors if isinstance(cursors, dict) else {}
    next_url = paging.get("next")
    after = cursors.get("after")
    return GraphPage(
        data=[item for item in body["data"] if isinstance(item, dict)],
        next_url=next_url if isinstance(next_url, str) and next_url else None,
        after=after if isinstance(after, str) else None,
        usage=response.usage,
    )


def _batch_item(raw: Any) -> BatchResult:
    if raw is None:
        return BatchResult(error=GraphTransportError("batch item did not finish in time"))
    if not isinstance(raw, dict):
        return BatchResult(error=GraphTransportError("unreadable batch item"))
    code = raw.get("code")
    status = code if isinstance(code, int) else 500
    headers = {
        str(h.get("name")): str(h.get("value"))
        for h in raw.get("headers") or []
        if isinstance(h, dict) and h.get("name") is not None
    }
    try:
        body = json.loads(raw.get("body") or "null")
    except (TypeError, ValueError):
        body = None
    if status >= 400 or (isinstance(body, dict) and "error" in body):
        return BatchResult(error=error_from_response(status, body, headers))
    if body is None:
        return BatchResult(error=GraphTransportError("batch item without a body", http_status=status))
    return BatchResult(data=body)
