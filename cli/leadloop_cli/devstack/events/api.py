"""``Api`` events: a local HTTP server that behaves like an API Gateway REST API with Lambda proxy.

Requests to ``http://127.0.0.1:PORT/{stage}/{path}`` become REST proxy (v1) events, and the function's
proxy response becomes the HTTP response. What matters for Meta's webhook is kept exact: the body as
API Gateway passes it (text, unless its Content-Type matches the API's ``BinaryMediaTypes``: then
base64 with ``isBase64Encoded``), header names as sent, and API Gateway's own answers (403 unknown
route, 413 over 10 MB of body, 500 when the event is over Lambda's 6 MB invoke payload, 502 function
error, malformed or over-6 MB response, 504 after the 29 s integration timeout).
Every request gets one access line with the status decided for it, also when the client hung up before
reading it (noted ``client gone``), so a burst's 504s are all counted.
Built on the stdlib server: it keeps raw header names, which WSGI servers rewrite.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import re
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from ..logsink import LogSink
from ..runtime import InvokeResult
from .payload import MAX_EVENT_BYTES, limit_response, record_bytes

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "ApiGatewayShim",
    "ApiRoute",
    "HttpResponse",
    "build_proxy_event",
    "is_binary",
    "match_route",
    "proxy_response",
]

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
INTEGRATION_TIMEOUT_SECONDS = 29.0

Invoke = Callable[[Any], InvokeResult]


@dataclass(frozen=True)
class ApiRoute:
    """One ``Api`` event: method + resource path on a REST API stage, served by one function."""

    api_id: str  # logical id of the API resource
    rest_api_id: str
    stage: str
    path: str  # resource path, e.g. /webhook or /leads/{id} or /{proxy+}
    method: str  # GET, POST, ... or ANY
    function: str  # logical id of the function
    invoke: Invoke
    #: The API's ``BinaryMediaTypes`` (``image/png``, ``image/*``, ``*/*``; SAM's ``~1`` already ``/``).
    binary_media_types: tuple[str, ...] = ()

    def pattern(self) -> re.Pattern[str]:
        parts = []
        for segment in self.path.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("+}"):
                parts.append("(.+)")
            elif segment.startswith("{") and segment.endswith("}"):
                parts.append("([^/]+)")
            else:
                parts.append(re.escape(segment))
        return re.compile("^/" + "/".join(parts) + "$")

    def specificity(self) -> tuple[int, int, int]:
        segments = self.path.strip("/").split("/")
        literal = sum(1 for s in segments if not s.startswith("{"))
        greedy = sum(1 for s in segments if s.endswith("+}"))
        return (literal, -greedy, 0 if self.method == "ANY" else 1)


def match_route(
    routes: Sequence[ApiRoute], stage: str, path: str, method: str
) -> tuple[ApiRoute, dict[str, str]] | None:
    """The most specific route for ``method path`` on ``stage`` and its path parameters."""
    candidates: list[tuple[ApiRoute, dict[str, str]]] = []
    for route in routes:
        if route.stage != stage or route.method not in (method, "ANY"):
            continue
        match = route.pattern().match(path if path != "" else "/")
        if match is None:
            continue
        names = [seg.strip("{}+") for seg in route.path.strip("/").split("/") if seg.startswith("{")]
        values = [unquote(value) for value in match.groups()]
        candidates.append((route, dict(zip(names, values, strict=True))))
    if not candidates:
        return None
    return max(candidates, key=lambda item: item[0].specificity())


def is_binary(content_type: str | None, binary_media_types: Sequence[str]) -> bool:
    """Whether API Gateway treats a payload of ``content_type`` as binary for this API.

    Only a media type listed in the API's ``BinaryMediaTypes`` (wildcards such as ``image/*`` and
    ``*/*`` allowed) is binary; with none listed, every payload is text.
    """
    if not content_type or not binary_media_types:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return any(fnmatch.fnmatchcase(media_type, pattern.strip().lower()) for pattern in binary_media_types)


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name), None)


def build_proxy_event(
    route: ApiRoute,
    *,
    method: str,
    path: str,
    query: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    path_parameters: dict[str, str],
    source_ip: str,
    account_id: str,
    request_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The REST API (v1) Lambda proxy event for one request."""
    now = now or datetime.now(UTC)
    header_single, header_multi = _single_and_multi(headers)
    query_single, query_multi = _single_and_multi(parse_qsl(query, keep_blank_values=True))
    is_base64 = bool(body) and is_binary(_header(headers, "content-type"), route.binary_media_types)
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": header_single or None,
        "multiValueHeaders": header_multi or None,
        "queryStringParameters": query_single or None,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": _request_context(
            route,
            method=method,
            path=path,
            account_id=account_id,
            request_id=request_id or str(uuid.uuid4()),
            now=now,
            identity=_identity(source_ip, _header(headers, "user-agent")),
        ),
        "body": _body_text(body, is_base64),
        "isBase64Encoded": is_base64,
    }


def _single_and_multi(pairs: Sequence[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """API Gateway's two views of repeated names: the last value, and every value in order."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _body_text(body: bytes, is_base64: bool) -> str | None:
    if is_base64:
        return base64.b64encode(body).decode("ascii")
    return body.decode("utf-8", errors="replace") if body else None


def _request_context(
    route: ApiRoute,
    *,
    method: str,
    path: str,
    account_id: str,
    request_id: str,
    now: datetime,
    identity: dict[str, Any],
) -> dict[str, Any]:
    return {
        "resourceId": format(zlib.crc32(route.path.encode()) & 0xFFFFFF, "06x"),
        "resourcePath": route.path,
        "httpMethod": method,
        "extendedRequestId": base64.b32encode(uuid.uuid4().bytes)[:16].decode().rstrip("="),
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "path": f"/{route.stage}{path}",
        "accountId": account_id,
        "protocol": "HTTP/1.1",
        "stage": route.stage,
        "domainPrefix": route.rest_api_id,
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "requestId": request_id,
        "identity": identity,
        "domainName": f"{route.rest_api_id}.execute-api.localhost",
        "apiId": route.rest_api_id,
    }


def _identity(source_ip: str, user_agent: str | None) -> dict[str, Any]:
    return {
        "cognitoIdentityPoolId": None,
        "accountId": None,
        "cognitoIdentityId": None,
        "caller": None,
        "sourceIp": source_ip,
        "principalOrgId": None,
        "accessKey": None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": None,
        "userAgent": user_agent,
        "user": None,
    }


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    note: str = ""


_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}


def _gateway_error(status: int, message: str, error_type: str, note: str = "") -> HttpResponse:
    body = json.dumps({"message": message}).encode()
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)]
    return HttpResponse(status, headers, body, note)


def proxy_response(
    result: InvokeResult, *, binary_media_types: Sequence[str] = (), accept: str | None = None
) -> HttpResponse:
    """Map a Lambda proxy result to HTTP the way API Gateway does (502 on error or bad shape).

    A base64 body (``isBase64Encoded``) is decoded only when the request's ``Accept`` or the
    response's ``Content-Type`` is one of the API's binary media types; otherwise API Gateway
    passes the base64 text on as it is.
    """
    result = limit_response(result)
    if result.errored:
        return _gateway_error(
            502, "Internal server error", "InternalServerErrorException", f"function error {result.error_type}"
        )
    try:
        data = json.loads(result.payload)
        if not isinstance(data, dict):
            raise ValueError("response is not an object")
        status = int(data.get("statusCode", 200)) if str(data.get("statusCode", 200)).isdigit() else None
        if status is None:
            raise ValueError("statusCode is not an integer")
        body = data.get("body")
        if body is not None and not isinstance(body, str):
            raise ValueError("body is not a string")
        raw = b"" if body is None else body.encode("utf-8")
        headers: list[tuple[str, str]] = []
        seen: set[str] = set()
        for name, values in (data.get("multiValueHeaders") or {}).items():
            seen.add(name.lower())
            headers.extend((name, _header_value(v)) for v in values)
        for name, value in (data.get("headers") or {}).items():
            if name.lower() not in seen:
                headers.append((name, _header_value(value)))
        binary = is_binary(accept, binary_media_types) or is_binary(
            _header(headers, "content-type"), binary_media_types
        )
        if data.get("isBase64Encoded") and body is not None and binary:
            raw = base64.b64decode(body, validate=True)
    except (ValueError, TypeError, AttributeError, binascii.Error) as exc:
        return _gateway_error(
            502,
            "Internal server error",
            "InternalServerErrorException",
            f"Execution failed due to configuration error: Malformed Lambda proxy response ({exc})",
        )
    headers = [(n, v) for n, v in headers if n.lower() not in _HOP_BY_HOP]
    if not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(status, headers, raw)


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    raise ValueError(f"header value {value!r} is not a string")


class _BodyTooLarge(Exception):
    pass


class ApiGatewayShim:
    """One threaded HTTP server for every ``Api`` route of the stack."""

    def __init__(
        self,
        routes: Sequence[ApiRoute],
        *,
        sink: LogSink,
        account_id: str,
        host: str = "127.0.0.1",
        port: int = 0,
        integration_timeout: float = INTEGRATION_TIMEOUT_SECONDS,
    ) -> None:
        self.routes = list(routes)
        self._sink = sink
        self._account_id = account_id
        self._host = host
        self._port = port
        self._timeout = integration_timeout
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def url(self, stage: str, path: str = "") -> str:
        return f"{self.base_url}/{stage}{path}"

    def start(self) -> str:
        shim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "leadloop-apigw"
            sys_version = ""

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                shim._handle(self)

            do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

        self._server = ThreadingHTTPServer((self._host, self._port), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="apigw", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # ------------------------------------------------------------------ request handling
    def _read_body(self, request: BaseHTTPRequestHandler) -> bytes:
        if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(request.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while request.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_PAYLOAD_BYTES:
                    raise _BodyTooLarge
                chunks.append(request.rfile.read(size))
                request.rfile.readline()
        length = int(request.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            raise _BodyTooLarge
        return request.rfile.read(length) if length else b""

    def _respond(self, request: BaseHTTPRequestHandler, response: HttpResponse, request_id: str) -> None:
        request.send_response_only(response.status)
        request.send_header("Date", request.date_time_string())
        for name, value in response.headers:
            request.send_header(name, value)
        request.send_header("x-amzn-RequestId", request_id)
        request.send_header("Content-Length", str(len(response.body)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(response.body)

    def _answer(
        self,
        request: BaseHTTPRequestHandler,
        response: HttpResponse,
        *,
        tag: str,
        path: str,
        request_id: str,
        started: float,
    ) -> None:
        """Send ``response``; its access line is written whatever happens, so a client that gave up still counts."""
        gone = ""
        try:
            self._respond(request, response, request_id)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as exc:
            request.close_connection = True
            gone = f"client gone: {type(exc).__name__}"
        finally:
            self._access_log(request, response, tag=tag, path=path, started=started, gone=gone)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        raw_path, _, query = request.path.partition("?")
        stage, _, rest = raw_path.lstrip("/").partition("/")
        path = "/" + rest
        try:
            body = self._read_body(request)
        except _BodyTooLarge:
            request.close_connection = True
            response = _gateway_error(413, "Request Too Long", "RequestEntityTooLargeException")
            self._answer(request, response, tag="apigw", path=raw_path, request_id=request_id, started=started)
            return
        found = match_route(self.routes, stage, unquote(path) if path != "/" else "/", request.command)
        if found is None:
            response = _gateway_error(403, "Missing Authentication Token", "MissingAuthenticationTokenException")
            self._answer(request, response, tag="apigw", path=raw_path, request_id=request_id, started=started)
            return
        route, params = found
        headers = list(request.headers.items())
        client_ip = request.client_address[0]
        headers += [("X-Forwarded-For", client_ip), ("X-Forwarded-Proto", "http")]
        event = build_proxy_event(
            route,
            method=request.command,
            path=unquote(path),
            query=query,
            headers=headers,
            body=body,
            path_parameters=params,
            source_ip=client_ip,
            account_id=self._account_id,
            request_id=request_id,
        )
        response = self._invoke(route, event, accept=request.headers.get("Accept"))
        self._answer(request, response, tag=route.api_id, path=raw_path, request_id=request_id, started=started)

    def _invoke(self, route: ApiRoute, event: dict[str, Any], *, accept: str | None) -> HttpResponse:
        size = record_bytes(event)
        if size > MAX_EVENT_BYTES:
            # Lambda refuses the invoke (413); API Gateway answers its client with a 500.
            note = (
                f"Execution failed: {size} byte payload is too large for the RequestResponse invocation type "
                f"(limit {MAX_EVENT_BYTES} bytes)"
            )
            return _gateway_error(500, "Internal server error", "InternalServerErrorException", note)
        box: dict[str, InvokeResult] = {}
        worker = threading.Thread(target=lambda: box.update(result=route.invoke(event)), daemon=True)
        worker.start()
        worker.join(self._timeout)
        if "result" not in box:
            return _gateway_error(504, "Endpoint request timed out", "IntegrationTimeoutException")
        return proxy_response(box["result"], binary_media_types=route.binary_media_types, accept=accept)

    def _access_log(
        self,
        request: BaseHTTPRequestHandler,
        response: HttpResponse,
        *,
        tag: str,
        path: str,
        started: float,
        gone: str = "",
    ) -> None:
        millis = (time.monotonic() - started) * 1000
        notes = "; ".join(n for n in (response.note, gone) if n)
        note = f" ({notes})" if notes else ""
        self._sink.write(
            tag,
            f'{request.client_address[0]} "{request.command} {path}" {response.status} '
            f"{len(response.body)} {millis:.0f}ms{note}",
        )
