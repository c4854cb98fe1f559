"""What preflight read from the account and the stack: plain data, so every check is a pure function.

A read that failed keeps why (:class:`Failure`) instead of raising: one denied call turns one row
into a warning rather than stopping the whole report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

FailureKind = Literal["unreachable", "denied", "credentials", "missing", "error"]


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    #: The AWS error code or exception class; never a message that could echo a value.
    code: str


@dataclass(frozen=True)
class Read[T]:
    """The outcome of one read-only call: a value, or the failure."""

    value: T | None = None
    failure: Failure | None = None


@dataclass(frozen=True)
class StackFacts:
    name: str
    region: str
    local: bool = False
    #: None: no such stack yet (the deploy creates it).
    status: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    #: Logical id → physical id of the stack's resources.
    resources: Mapping[str, str] = field(default_factory=dict)
    #: Names of the IAM roles the stack owns.
    role_names: frozenset[str] = frozenset()

    @property
    def exists(self) -> bool:
        return self.local or self.status is not None


@dataclass(frozen=True)
class AccountConcurrency:
    limit: int
    unreserved: int


@dataclass(frozen=True)
class SecretShape:
    """Which fields of the Meta secret are unusable, by name only: values are never kept."""

    placeholders: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    not_json: bool = False


@dataclass(frozen=True)
class Facts:
    stack: StackFacts
    identity: Read[str]
    #: The account's API Gateway CloudWatch Logs role (value None: none set).
    logging_role: Read[str]
    #: None with no failure: not answerable here (the local stack), see ``concurrency_note``.
    concurrency: Read[AccountConcurrency]
    #: Function logical id → its reserved concurrency now (existing stack; 0 = unreserved).
    reserved_now: Mapping[str, int]
    #: Service label → a cheap list call in the region.
    services: Mapping[str, Read[bool]]
    secret: Read[SecretShape] | None = None
    routing: Read[str] | None = None
    concurrency_note: str = ""
