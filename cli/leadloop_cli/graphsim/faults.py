"""Scripted failures for Graph calls: errors, body overrides, latency, unfinished batch items.

Faults are checked in the order they were added. A matching fault "fires" unless its
``probability`` roll (seeded RNG, so runs repeat) says no; each firing uses up one of
its ``times``. ``after`` lets that many matching calls pass untouched first (so a test can fail
"the third batch" without racing the client). Pass-through faults (only ``latency_ms`` and/or
``headers``) add their delay and headers and let later faults (or the normal handler) answer; the first firing fault
with a response (``status``, ``error``, ``body`` or ``batch_null``) answers the call.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from leadloop_cli.graphsim.errors import GraphError


class FaultError(BaseModel):
    """The Graph error a fault answers with."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    code: int
    error_subcode: int | None = None
    message: str | None = None
    is_transient: bool | None = None
    type: str = "OAuthException"
    error_user_title: str | None = None
    error_user_msg: str | None = None
    error_data: Any = None


class FaultSpec(BaseModel):
    """Body of ``POST /_sim/faults``."""

    model_config = ConfigDict(extra="forbid")

    path: str
    method: str | None = None
    status: int | None = Field(default=None, ge=100, le=599)
    error: FaultError | None = None
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    latency_ms: float | None = Field(default=None, ge=0, le=600_000)
    times: int | None = Field(default=None, ge=1)
    after: int = Field(default=0, ge=0)
    probability: float | None = Field(default=None, ge=0, le=1)
    batch_null: bool = False

    @field_validator("path")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"path is not a valid regular expression: {exc}") from exc
        return value

    @field_validator("headers")
    @classmethod
    def _header_safe(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not name or any(ch in name for ch in "\r\n: ") or any(ch in text for ch in "\r\n"):
                raise ValueError(f"header {name!r} is not a valid HTTP header")
        return value

    @property
    def has_body(self) -> bool:
        """Whether ``body`` was given (``null`` included) rather than left out."""
        return "body" in self.model_fields_set

    @property
    def passthrough(self) -> bool:
        """A fault that only delays the call and/or adds headers; the normal handler still answers."""
        return not (self.has_body or self.error or self.status or self.batch_null)


@dataclass
class Fault:
    """One registered fault and how often it has fired."""

    id: str
    spec: FaultSpec
    pattern: re.Pattern[str]
    remaining: int | None
    hits: int = 0
    passed: int = 0

    def describe(self) -> dict[str, Any]:
        """JSON view for ``GET /_sim/faults``."""
        return {
            "id": self.id,
            **self.spec.model_dump(exclude_unset=True),
            "remaining": self.remaining,
            "hits": self.hits,
        }


@dataclass
class FaultOutcome:
    """What the faults decided for one call: extra delay and, maybe, the answer."""

    latency_s: float = 0.0
    fault: Fault | None = None
    headers: dict[str, str] = field(default_factory=dict)


class FaultRegistry:
    """Thread-safe ordered list of faults with a seeded RNG for ``probability``."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._rng = random.Random(seed)

    def add(self, spec: FaultSpec) -> str:
        """Register a fault; returns its id."""
        with self._lock:
            fault = Fault(id=f"f{next(self._ids)}", spec=spec, pattern=re.compile(spec.path), remaining=spec.times)
            self._faults.append(fault)
            return fault.id

    def remove(self, fault_id: str) -> bool:
        """Drop one fault; ``False`` when unknown."""
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        """Drop every fault."""
        with self._lock:
            self._faults.clear()

    def reseed(self, seed: int) -> None:
        """Restart the probability RNG so a run can be repeated."""
        with self._lock:
            self._rng = random.Random(seed)

    def describe(self) -> list[dict[str, Any]]:
        """JSON view of every fault still active."""
        with self._lock:
            return [f.describe() for f in self._faults]

    def match(self, method: str, path: str, *, in_batch: bool) -> FaultOutcome:
        """Decide the faults for one call (a top-level request or one batch item)."""
        outcome = FaultOutcome()
        with self._lock:
            for fault in list(self._faults):
                spec = fault.spec
                if spec.method and spec.method.upper() != method.upper():
                    continue
                if not fault.pattern.search(path):
                    continue
                if spec.batch_null and not in_batch:
                    continue
                if fault.passed < spec.after:
                    fault.passed += 1
                    continue
                if spec.probability is not None and self._rng.random() >= spec.probability:
                    continue
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                outcome.latency_s += (spec.latency_ms or 0.0) / 1000.0
                if spec.passthrough:
                    outcome.headers.update(spec.headers)
                    continue
                outcome.fault = fault
                break
        return outcome


def fault_response(spec: FaultSpec) -> tuple[int, Any, dict[str, str]]:
    """The ``(status, json body, headers)`` a firing fault answers with (not for ``batch_null``)."""
    headers = dict(spec.headers)
    if spec.has_body:
        return spec.status or 200, spec.body, headers
    if spec.error is not None:
        extra = {
            key: value
            for key, value in (
                ("error_user_title", spec.error.error_user_title),
                ("error_user_msg", spec.error.error_user_msg),
                ("error_data", spec.error.error_data),
            )
            if value is not None
        }
        error = GraphError(
            spec.error.code,
            spec.error.message,
            error_type=spec.error.type,
            subcode=spec.error.error_subcode,
            is_transient=spec.error.is_transient,
            status=spec.status,
            extra=extra,
        )
    elif spec.status is not None:
        error = error_for_status(spec.status)
    else:
        # Only reached for pass-through faults, which the dispatcher never renders.
        return 200, {"success": True}, headers
    return error.status, error.body(), {**error.headers, **headers}


def error_for_status(status: int) -> GraphError:
    """A plausible Graph error for a fault that only names an HTTP status."""
    if status >= 500:
        return GraphError(1 if status == 500 else 2, status=status, is_transient=True)
    if status == 429:
        return GraphError(4, status=status)
    if status in (401,):
        return GraphError(190, status=status)
    if status == 403:
        return GraphError(200, status=status)
    if status == 404:
        return GraphError(100, "(#100) Not found", subcode=33, status=status)
    if status < 400:
        return GraphError(100, "(#100) Simulated status", status=status)
    return GraphError(100, status=status)
