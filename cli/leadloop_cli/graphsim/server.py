"""HTTP front: a werkzeug WSGI app that turns requests into Graph or control calls, and its thread."""

from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING, Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from leadloop_cli.graphsim.errors import ControlError, GraphError, invalid_param
from leadloop_cli.graphsim.request import (
    GraphRequest,
    merge_json_body,
    parse_form,
    split_path,
    token_from_header,
)
from leadloop_cli.graphsim.response import GraphResponse
from leadloop_cli.graphsim.routes import control

if TYPE_CHECKING:
    from collections.abc import Iterable
    from wsgiref.types import StartResponse, WSGIEnvironment

    from werkzeug.serving import BaseWSGIServer

    from leadloop_cli.graphsim.core import SimCore
    from leadloop_cli.graphsim.dispatch import GraphDispatcher

logger = logging.getLogger(__name__)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class _SimRequest(Request):
    """Large form bodies are normal here (batches, audience uploads)."""

    max_form_memory_size = 64 * 1024 * 1024
    max_form_parts = 100_000


class _QuietHandler(WSGIRequestHandler):
    """No per-request access log on stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip werkzeug's access log line."""


class SimApp:
    """WSGI entry point: ``/_sim/...`` → control API, everything else → Graph."""

    def __init__(self, core: SimCore, dispatcher: GraphDispatcher) -> None:
        self._core = core
        self._dispatcher = dispatcher

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = _SimRequest(environ)
        try:
            if request.path == "/_sim" or request.path.startswith("/_sim/"):
                response = self._control(request)
            else:
                response = self._graph(request)
        except Exception:
            logger.exception("graphsim: unhandled error for %s %s", request.method, control.redact_path(request.path))
            response = _json_response(500, {"error": "internal simulator error"})
        return response(environ, start_response)

    def _control(self, request: Request) -> Response:
        try:
            status, body = control.handle(self._core, request)
        except ControlError as exc:
            return _json_response(exc.status, {"error": exc.message})
        return _json_response(status, body)

    def _graph(self, request: Request) -> Response:
        try:
            graph_request = _graph_request(request)
        except GraphError as error:
            result = GraphResponse.from_error(error)
            return _json_response(result.status, result.body, result.headers)
        result = self._dispatcher.serve(graph_request)
        return _json_response(result.status, result.body, result.headers)


def _graph_request(request: Request) -> GraphRequest:
    query = request.args.to_dict(flat=True)
    params: dict[str, Any] = dict(query)
    if request.mimetype in FORM_TYPES:
        params.update(request.form.to_dict(flat=True))
    elif request.mimetype in ("application/json", ""):
        raw = request.get_data(cache=True)
        if request.mimetype == "" and not raw.lstrip().startswith(b"{"):
            # No Content-Type (e.g. a client posting a pre-encoded string): read it as a form.
            params.update(parse_form(raw.decode("utf-8", errors="replace")))
        else:
            try:
                merge_json_body(params, raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise invalid_param("(#100) The request body is not valid JSON") from exc
    version, segments = split_path(request.path)
    return GraphRequest(
        method=request.method.upper(),
        path=request.path,
        version=version,
        segments=segments,
        params=params,
        query=query,
        base_url=request.host_url,
        header_token=token_from_header(request.headers.get("Authorization")),
    )


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(body, separators=(",", ":")), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class ServerThread:
    """A threaded werkzeug server running in a daemon thread."""

    def __init__(self, app: SimApp, host: str, port: int) -> None:
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._serve, name="graphsim-http", daemon=True)

    def _serve(self) -> None:
        # A short poll interval keeps stop() fast (shutdown waits for the next poll).
        self._server.serve_forever(poll_interval=0.05)

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the bound socket."""
        host = str(self._server.server_address[0])
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._server.server_port}"

    def start(self) -> None:
        """Begin serving in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting requests and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
