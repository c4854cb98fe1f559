"""HTTP transport for the Graph client: urllib3, which botocore already loads.

Using the pool botocore brings with it keeps the handlers' cold start close to a bare boto3 one
(requests alone added ~40 ms of imports). The ``Transport`` protocol is the seam tests use to
answer calls without sockets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode

import urllib3


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


class TransportError(Exception):
    """No HTTP answer: the connection failed or timed out (never carries the URL or a token)."""

    def __init__(self, message: str, *, timed_out: bool) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class Transport(Protocol):
    def request(
        self,
        method: str,
        url: str,
        *,
        query: Mapping[str, str],
        form: Mapping[str, str] | None,
        headers: Mapping[str, str],
        timeout: tuple[float, float],
        json_body: bytes | None = None,
    ) -> RawResponse: ...


class Urllib3Transport:
    """A thread-safe connection pool; no redirects, no automatic retries (callers decide)."""

    def __init__(self, *, pool_size: int = 10) -> None:
        self._pool = urllib3.PoolManager(maxsize=pool_size, retries=False)

    def request(
        self,
        method: str,
        url: str,
        *,
        query: Mapping[str, str],
        form: Mapping[str, str] | None,
        headers: Mapping[str, str],
        timeout: tuple[float, float],
        json_body: bytes | None = None,
    ) -> RawResponse:
        target = f"{url}?{urlencode(dict(query))}" if query else url
        all_headers = dict(headers)
        body: bytes | None = None
        if json_body is not None:
            body = json_body
            all_headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urlencode(dict(form)).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            answer = self._pool.request(
                method,
                target,
                body=body,
                headers=all_headers,
                timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
                retries=False,
                redirect=False,
            )
        except urllib3.exceptions.TimeoutError as exc:
            raise TransportError(f"timed out ({type(exc).__name__})", timed_out=True) from None
        except urllib3.exceptions.HTTPError as exc:
            raise TransportError(f"connection failed ({type(exc).__name__})", timed_out=False) from None
        return RawResponse(status=answer.status, headers=dict(answer.headers), body=answer.data)
