"""One Graph call, whether it came over HTTP or as an item of a batch.

Parameters are merged from the query string, then a form body, then a JSON body
(later sources win), which is how Graph treats them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

VERSION_RE = re.compile(r"^v\d+\.\d+$")
DEFAULT_VERSION = "v25.0"


def split_path(path: str) -> tuple[str | None, tuple[str, ...]]:
    """``/v25.0/123/leads`` → ``("v25.0", ("123", "leads"))``; no version → ``None``."""
    parts = tuple(part for part in path.split("/") if part)
    if parts and VERSION_RE.match(parts[0]):
        return parts[0], parts[1:]
    return None, parts


@dataclass(frozen=True)
class GraphRequest:
    """Method, path and merged parameters of one call, plus where its token came from."""

    method: str
    path: str
    version: str | None
    segments: tuple[str, ...]
    params: dict[str, Any]
    query: dict[str, str]
    base_url: str
    header_token: str | None = None
    in_batch: bool = False
    fallback_token: str | None = field(default=None, repr=False)
    fallback_proof: str | None = field(default=None, repr=False)

    @property
    def token(self) -> str | None:
        """The access token: ``Authorization`` header, else ``access_token``, else the batch's."""
        if self.header_token:
            return self.header_token
        value = self.params.get("access_token")
        if isinstance(value, str) and value:
            return value
        return self.fallback_token

    @property
    def proof(self) -> str | None:
        """``appsecret_proof`` for :attr:`token` (a batch's proof only covers the batch's own token)."""
        value = self.params.get("appsecret_proof")
        if isinstance(value, str) and value:
            return value
        own_token = self.header_token or self.params.get("access_token")
        return None if own_token else self.fallback_proof

    def param(self, name: str) -> Any:
        """One parameter, or ``None``."""
        return self.params.get(name)


def token_from_header(value: str | None) -> str | None:
    """``Bearer <t>`` or ``OAuth <t>`` → ``<t>``."""
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() in ("bearer", "oauth") and token.strip():
        return token.strip()
    return None


def parse_form(text: str) -> dict[str, str]:
    """A URL-encoded string → dict (last value wins, blanks kept)."""
    return dict(parse_qsl(text, keep_blank_values=True))


def merge_json_body(params: dict[str, Any], raw: bytes) -> dict[str, Any]:
    """Merge a JSON object body into ``params``; a body that is not an object is ignored."""
    if not raw.strip():
        return params
    document = json.loads(raw)
    if isinstance(document, dict):
        params.update({str(key): value for key, value in document.items()})
    return params


def batch_item_request(item: dict[str, Any], parent: GraphRequest) -> GraphRequest:
    """Build the request for one batch operation; ``ValueError`` for a malformed one.

    ``relative_url`` may start with or without ``/`` and with or without a version;
    without one it inherits the batch's version.
    """
    method = item.get("method", "GET")
    relative_url = item.get("relative_url")
    if not isinstance(method, str) or not isinstance(relative_url, str):
        raise ValueError("each batch operation needs a string method and relative_url")
    parts = urlsplit(relative_url)
    version, segments = split_path(parts.path)
    version = version or parent.version or DEFAULT_VERSION
    query = parse_form(parts.query)
    params: dict[str, Any] = dict(query)
    body = item.get("body")
    if isinstance(body, str):
        params.update(parse_form(body))
    elif isinstance(body, dict):
        params.update({str(key): value for key, value in body.items()})
    elif body is not None:
        raise ValueError("a batch operation body must be a URL-encoded string or an object")
    path = "/" + "/".join((version, *segments))
    if not segments:
        path += "/"
    return GraphRequest(
        method=method.upper(),
        path=path,
        version=version,
        segments=segments,
        params=params,
        query=query,
        base_url=parent.base_url,
        in_batch=True,
        fallback_token=parent.token,
        fallback_proof=parent.proof,
    )
