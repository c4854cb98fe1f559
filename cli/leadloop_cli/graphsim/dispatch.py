"""Serving one Graph call end to end: faults, latency, batch fan-out, usage headers, call log.

A batch item goes through exactly the same steps as a top-level request, so faults,
tokens, budgets and logging apply per item.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from leadloop_cli.graphsim.auth import authenticate
from leadloop_cli.graphsim.config import MAX_BATCH
from leadloop_cli.graphsim.errors import GraphError, fbtrace_id, invalid_param
from leadloop_cli.graphsim.faults import fault_response
from leadloop_cli.graphsim.request import DEFAULT_VERSION, batch_item_request, split_path
from leadloop_cli.graphsim.response import GraphResponse
from leadloop_cli.graphsim.routes.graph import route

if TYPE_CHECKING:
    from leadloop_cli.graphsim.core import SimCore
    from leadloop_cli.graphsim.faults import FaultSpec
    from leadloop_cli.graphsim.request import GraphRequest

logger = logging.getLogger(__name__)


class GraphDispatcher:
    """Runs Graph calls against the simulator's state."""

    def __init__(self, core: SimCore) -> None:
        self._core = core

    def serve(self, request: GraphRequest) -> GraphResponse:
        """A top-level HTTP call (never ``None``: ``batch_null`` only applies to batch items)."""
        response = self._serve(request, parent=None, index=None)
        # batch_null faults never match top-level calls; this only guards the type.
        return response if response is not None else GraphResponse.from_error(GraphError(1))

    def _serve(self, request: GraphRequest, parent: int | None, index: int | None) -> GraphResponse | None:
        """Faults first (delay, then maybe answer), else the batch fan-out or the Graph router."""
        core = self._core
        arrived = time.monotonic()
        outcome = core.faults.match(request.method, request.path, in_batch=request.in_batch)
        log: dict[str, Any] = {"method": request.method, "path": request.path}
        if parent is not None:
            log.update(batch_parent=parent, batch_index=index)
        fault = outcome.fault
        if fault is not None:
            log["fault"] = fault.id
        if fault is not None and fault.spec.batch_null:
            core.usage.app_call()
            _answer_after(arrived, outcome.latency_s)
            core.calls.record({**log, "status": None, "at": self._at()})
            return None
        is_batch = not request.in_batch and request.method == "POST" and not request.segments
        batch_seq: int | None = None
        if fault is not None:
            response = _fault_answer(fault.spec)
        elif is_batch:
            response, batch_seq = self._batch(request, log)
        else:
            response = self._route(request)
        # Each batch item counts as a call (Meta's rule); the batch wrapper itself does not.
        usage = core.usage.app_call(count=not is_batch)
        response.headers = {**self._standard_headers(request), **usage, **response.headers, **outcome.headers}
        if fault is not None:
            response.headers.update(fault.spec.headers)
        _answer_after(arrived, outcome.latency_s)
        self._log(log, response, batch_seq)
        return response

    def _log(self, log: dict[str, Any], response: GraphResponse, batch_seq: int | None) -> None:
        result: dict[str, Any] = {"status": response.status}
        if response.error_code is not None:
            result["error_code"] = response.error_code
        if response.rows is not None:
            result["rows"] = response.rows
        result.update(response.log)
        if batch_seq is not None:
            self._core.calls.update(batch_seq, result)
        else:
            self._core.calls.record({**log, **result, "at": self._at()})

    def _route(self, request: GraphRequest) -> GraphResponse:
        try:
            return route(request, self._core)
        except GraphError as error:
            return GraphResponse.from_error(error)
        except Exception:
            logger.exception("graphsim: unexpected error serving %s %s", request.method, request.path)
            return GraphResponse.from_error(GraphError(1))

    def _batch(self, request: GraphRequest, log: dict[str, Any]) -> tuple[GraphResponse, int | None]:
        """``POST /{v}/`` with ``batch=[...]``: every item served in order, results in order."""
        try:
            items, include_headers = self._parse_batch(request)
        except GraphError as error:
            return GraphResponse.from_error(error), None
        item_requests: list[GraphRequest | str] = []
        for item in items:
            try:
                item_requests.append(batch_item_request(item, request))
            except ValueError as exc:
                item_requests.append(str(exc))
        batch_seq = self._core.calls.record(
            {
                **log,
                "status": None,
                "batch_size": len(items),
                "item_paths": [r.path if not isinstance(r, str) else None for r in item_requests],
                "at": self._at(),
            }
        )
        results: list[dict[str, Any] | None] = []
        for index, item_request in enumerate(item_requests):
            if isinstance(item_request, str):
                malformed = GraphResponse.from_error(invalid_param(item_request))
                results.append(self._item(malformed, include_headers))
                continue
            response = self._serve(item_request, parent=batch_seq, index=index)
            results.append(None if response is None else self._item(response, include_headers))
        return GraphResponse(200, results), batch_seq

    def _parse_batch(self, request: GraphRequest) -> tuple[list[dict[str, Any]], bool]:
        authenticate(request, self._core.state)
        raw = request.param("batch")
        if raw is None:
            raise invalid_param("(#100) The parameter batch is required")
        try:
            items = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError as exc:
            raise invalid_param("(#100) batch must be a JSON array") from exc
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise invalid_param("(#100) batch must be a JSON array of objects")
        if not items:
            raise invalid_param("(#100) batch must contain at least one request")
        if len(items) > MAX_BATCH:
            raise GraphError(
                100,
                f"Too many requests in batch message. Maximum batch size is {MAX_BATCH}",
                error_type="GraphBatchException",
            )
        include = request.param("include_headers")
        include_headers = include is None or str(include).lower() not in ("false", "0")
        return items, include_headers

    @staticmethod
    def _item(response: GraphResponse, include_headers: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"code": response.status}
        if include_headers:
            item["headers"] = [{"name": name, "value": value} for name, value in response.headers.items()]
        item["body"] = json.dumps(response.body, separators=(",", ":"))
        return item

    @staticmethod
    def _standard_headers(request: GraphRequest) -> dict[str, str]:
        version = request.version or split_path(request.path)[0] or DEFAULT_VERSION
        return {
            "Content-Type": "application/json; charset=UTF-8",
            "facebook-api-version": version,
            "x-fb-trace-id": fbtrace_id(),
        }

    def _at(self) -> float:
        return round(self._core.clock.time(), 3)


def _fault_answer(spec: FaultSpec) -> GraphResponse:
    status, body, headers = fault_response(spec)
    response = GraphResponse(status, body, headers)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code")
        response.error_code = code if isinstance(code, int) else None
    return response


def _answer_after(arrived: float, latency_s: float) -> None:
    """Hold the answer until ``latency_s`` after the call arrived (the work done counts within it)."""
    remaining = arrived + latency_s - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)
