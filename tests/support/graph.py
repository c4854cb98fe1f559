"""One in-memory stand-in for ``leadloop.graph.GraphClient``: scripted answers, every call recorded.

Each call (``get``, ``post``, ``post_json``, ``delete``, ``get_page``, ``next_page``, and each item
of a ``batch``) is recorded as a :class:`GraphCall` and answered, in this order, by:

1. the next item of ``script`` (answers in call order, whatever the path); ``None`` in the script
   means "the usual answer" (steps 2 and 3), to script a failure followed by a success;
2. ``answers[(method, path)]``, then ``answers[path]``;
3. ``otherwise``; by default Meta's answer to a path it does not know (code 100, subcode 33).

An answer is the response's data, an exception to raise (a ``GraphError`` as the real client raises
it), a ``GraphResponse`` returned as it is (to carry usage headers), or a function of the
``GraphCall`` giving any of these. A batch item that is answered with a ``GraphError`` becomes that
item's ``BatchResult.error``, as Meta reports an error inside a batch.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from leadloop.graph import (
    BatchRequest,
    BatchResult,
    GraphError,
    GraphPage,
    GraphPermanentError,
    GraphResponse,
    GraphTransportError,
    GraphUsage,
)

_VERSION = re.compile(r"^v\d+\.\d+/")


class GraphCall(NamedTuple):
    """One request: ``params`` holds the query parameters, the form fields or the JSON body."""

    method: str
    path: str
    params: dict[str, Any]


#: What a call is answered with (see the module docstring).
Answer = Any
#: Where an answer applies: a path (any method) or a (method, path) pair.
Route = str | tuple[str, str]


def unsupported(call: GraphCall) -> GraphError:
    """Meta's answer to an object or edge it does not know."""
    return GraphPermanentError(
        f"Unsupported {call.method.lower()} request ({call.path})", code=100, subcode=33, http_status=400
    )


class FakeGraph:
    """``GraphClient``'s surface answered from ``script``, ``answers`` and ``otherwise``."""

    def __init__(
        self,
        *script: Answer,
        answers: Mapping[Any, Answer] | None = None,
        otherwise: Answer = unsupported,
        clock: Callable[[], float] | None = None,
        version: str = "v25.0",
    ) -> None:
        self.script: list[Answer] = list(script)
        self.answers: dict[Route, Answer] = dict(answers or {})
        self.otherwise = otherwise
        self.clock = clock
        self.version = version
        self.calls: list[GraphCall] = []
        #: The clock's reading at each call (only with a ``clock``).
        self.times: list[float] = []
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ GraphClient's surface
    def get(self, path: str, params: Mapping[str, str] | None = None, *, timeout: float | None = None) -> GraphResponse:
        return self._respond("GET", path, params)

    def post(self, path: str, data: Mapping[str, str] | None = None, *, timeout: float | None = None) -> GraphResponse:
        return self._respond("POST", path, data)

    def post_json(self, path: str, body: Mapping[str, Any], *, timeout: float | None = None) -> GraphResponse:
        return self._respond("POST", path, body)

    def delete(
        self, path: str, data: Mapping[str, str] | None = None, *, timeout: float | None = None
    ) -> GraphResponse:
        return self._respond("DELETE", path, data)

    def batch(self, items: Sequence[BatchRequest], *, timeout: float | None = None) -> list[BatchResult]:
        results: list[BatchResult] = []
        for item in items:
            parts = urlsplit(item.relative_url)
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            try:
                response = self._respond(item.method, parts.path, params)
            except GraphError as exc:
                results.append(BatchResult(error=exc))
            else:
                results.append(BatchResult(data=response.data))
        return results

    def get_page(
        self, path: str, params: Mapping[str, str] | None = None, *, timeout: float | None = None
    ) -> GraphPage:
        return _page(self.get(path, params))

    def next_page(self, page: GraphPage, *, timeout: float | None = None) -> GraphPage | None:
        """Follow ``paging.next``: its path (without the version) and query are the recorded call."""
        if not page.next_url:
            return None
        parts = urlsplit(page.next_url)
        path = _VERSION.sub("", parts.path.lstrip("/"))
        return _page(self.get(path, dict(parse_qsl(parts.query, keep_blank_values=True))))

    # ------------------------------------------------------------------ what the test reads
    def paths(self, method: str | None = None) -> list[str]:
        """The paths called, in order (only ``method``'s when given)."""
        return [c.path for c in self.calls if method is None or c.method == method]

    # ------------------------------------------------------------------ internals
    def _respond(self, method: str, path: str, params: Mapping[str, Any] | None) -> GraphResponse:
        call = GraphCall(method, path.lstrip("/"), dict(params or {}))
        with self._lock:
            self.calls.append(call)
            if self.clock is not None:
                self.times.append(self.clock())
            scripted = self.script.pop(0) if self.script else None
        answer = scripted if scripted is not None else self._routed(call)
        if callable(answer) and not isinstance(answer, type):
            answer = answer(call)
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, GraphResponse):
            return answer
        return GraphResponse(status=200, data=answer, usage=GraphUsage())

    def _routed(self, call: GraphCall) -> Answer:
        if (call.method, call.path) in self.answers:
            return self.answers[(call.method, call.path)]
        if call.path in self.answers:
            return self.answers[call.path]
        return self.otherwise


def page_body(data: list[dict[str, Any]], *, next_url: str | None = None, after: str | None = None) -> dict[str, Any]:
    """An edge answer as Meta sends it: ``data`` plus ``paging`` (``next`` only when there is more)."""
    paging: dict[str, Any] = {}
    if after is not None:
        paging["cursors"] = {"after": after}
    if next_url is not None:
        paging["next"] = next_url
    return {"data": data, "paging": paging} if paging else {"data": data}


def _page(response: GraphResponse) -> GraphPage:
    body = response.data
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise GraphTransportError("an edge answer without a data list", http_status=response.status)
    paging = body.get("paging") or {}
    cursors = paging.get("cursors") or {}
    return GraphPage(
        data=list(body["data"]), next_url=paging.get("next"), after=cursors.get("after"), usage=response.usage
    )
