"""moto's per-request IAM check, corrected where it answers differently from AWS.

moto builds an ``IAMRequest`` (``moto.iam.access_control``) for every request it checks, looking the
class up by name each time; this module swaps that name for a subclass with two corrections:

- **Body-less requests are verified as signed.** For a request with neither body nor query string
  (a Lambda ``GetFunctionConfiguration``, ``ListFunctions``...) moto recomputes the signature over the
  request's headers as if they were a form body, so a correctly signed request fails with
  ``SignatureDoesNotMatch``. The subclass signs the raw body, as the client did.
- **Refusals come in the service's protocol.** moto renders every refusal as XML (the query protocol's
  shape). A JSON-protocol client (DynamoDB, SSM, Secrets Manager, Step Functions, KMS, Logs, SQS; Lambda's
  REST-JSON) cannot parse that and reports only the HTTP status: ``ClientError`` code ``"403"``, where
  AWS says ``AccessDeniedException``. The subclass raises the JSON error AWS sends; query services (IAM,
  STS, SNS, CloudWatch) and S3 keep moto's XML, which is their shape. Either way the message names the
  IAM action AWS would (``lambda:InvokeFunction``, not moto's operation ``lambda:Invoke``).

Pinned to moto 5.2.5 like the other patches.
"""

from __future__ import annotations

import threading
from typing import Any, NoReturn

from .moto_policy import ACTION_ALIASES

__all__ = ["SUPPORTED_MOTO_VERSION", "aws_action", "install", "installed", "json_error", "uninstall"]

SUPPORTED_MOTO_VERSION = "5.2.5"
#: Services whose JSON-protocol requests carry no X-Amz-Target (REST-JSON).
_REST_JSON = {"lambda", "scheduler", "xray"}

_lock = threading.Lock()
_state: dict[str, Any] = {}


def json_error(service: str, kind: str) -> tuple[int, str]:
    """(HTTP status, error code) AWS answers a JSON-protocol refusal with (``kind``: denied | unknown_key)."""
    if service == "sqs":  # JSON on the wire, query-compatible codes
        return 403, "AccessDenied" if kind == "denied" else "InvalidClientTokenId"
    status = 403 if service in _REST_JSON else 400
    return status, "AccessDeniedException" if kind == "denied" else "UnrecognizedClientException"


def aws_action(checked: str) -> str:
    """The IAM action AWS names for the operation moto checked (``lambda:Invoke`` -> ``lambda:InvokeFunction``)."""
    if checked.startswith("monitoring:"):
        return "cloudwatch:" + checked.partition(":")[2]
    return ACTION_ALIASES.get(checked, checked)


def _request_class() -> type:
    import moto
    from moto.core.exceptions import AccessDeniedError, JsonRESTError
    from moto.iam import access_control

    if moto.__version__ != SUPPORTED_MOTO_VERSION:
        raise RuntimeError(
            f"the local stack's IAM check corrections support moto {SUPPORTED_MOTO_VERSION}, found "
            f"{moto.__version__}; re-check moto.iam.access_control.IAMRequest and update devstack/iam/moto_checks.py"
        )
    base: Any = _state.get("original", access_control.IAMRequest)

    class ProtocolIAMRequest(base):  # type: ignore[misc]
        """moto's IAMRequest, verifying body-less requests as signed and refusing in the request's protocol."""

        def _create_aws_request(self) -> Any:
            request = super()._create_aws_request()
            if not self._body and not int(self._headers.get("Content-Length") or 0):
                request.data = b""  # no body was sent (moto would sign its headers as a form)
            return request

        def _is_json(self) -> bool:
            return "X-Amz-Target" in self._headers or self._service in _REST_JSON

        def _raise(self, kind: str, message: str) -> NoReturn:
            status, code = json_error(self._service, kind)
            error = JsonRESTError(code, message)
            error.code = status
            raise error

        def _raise_access_denied(self) -> None:
            action = aws_action(str(self._action))
            if self._is_json():
                self._raise("denied", f"User: {self._access_key.arn} is not authorized to perform: {action}")
            raise AccessDeniedError(user_arn=self._access_key.arn, action=action)

        def _raise_invalid_access_key(self, reason: str) -> None:
            if self._is_json():
                self._raise("unknown_key", "The security token included in the request is invalid.")
            super()._raise_invalid_access_key(reason)

    return ProtocolIAMRequest


def install() -> None:
    """Correct moto's request checks (idempotent)."""
    from moto.iam import access_control

    with _lock:
        if "original" in _state:
            return
        patched = _request_class()
        _state["original"] = access_control.IAMRequest
        setattr(access_control, "IAMRequest", patched)  # noqa: B010 - moto looks the name up per request


def uninstall() -> None:
    with _lock:
        original = _state.pop("original", None)
        if original is not None:
            from moto.iam import access_control

            setattr(access_control, "IAMRequest", original)  # noqa: B010


def installed() -> bool:
    return "original" in _state
