"""Step Functions tasks call AWS with the state machine's role, as on AWS.

moto's executor makes every task's client in ``boto_client_for`` (``moto.stepfunctions.parser.asl.
utils.boto_client``) with the fixed key ``ak``/``sk``, which moto's own IAM checks then refuse as an
unknown key. There is no setting for it, so this module swaps that module's ``boto3`` for a proxy
whose ``client()`` signs with the state machine role's session: a Lambda task then succeeds exactly
when the role may ``lambda:InvokeFunction`` the function. It is the local stack's second hook into
moto (the first is :mod:`..lambda_hook`); both check moto's version and the shape they patch, and
``tests/integration/devstack/test_devstack_iam.py`` proves this one still works.

With several state machines in one template, their tasks share one identity: a role holding the
policies of all of them (one state machine, as in ``infra/template.yaml``: exactly its role).
"""

from __future__ import annotations

import inspect
import threading
from typing import Any

from .identities import Credentials

__all__ = ["SUPPORTED_MOTO_VERSION", "IdentityHookError", "install", "installed", "uninstall"]

SUPPORTED_MOTO_VERSION = "5.2.5"
_FIXED_KEY = 'aws_access_key_id="ak"'

_lock = threading.Lock()
_state: dict[str, Any] = {}


class IdentityHookError(RuntimeError):
    """moto is not the version (or shape) this hook was written for."""


class _SignedBoto3:
    """Stands in for the ``boto3`` module inside ``boto_client``: clients sign with ``credentials``."""

    def __init__(self, real: Any, credentials: Credentials) -> None:
        self._real = real
        self._credentials = credentials

    def client(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("aws_access_key_id", None)
        kwargs.pop("aws_secret_access_key", None)
        kwargs.pop("aws_session_token", None)
        return self._real.client(*args, **kwargs, **self._credentials.session_arguments())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _target() -> Any:
    import moto

    if moto.__version__ != SUPPORTED_MOTO_VERSION:
        raise IdentityHookError(
            f"the local stack's Step Functions identity hook supports moto {SUPPORTED_MOTO_VERSION}, found "
            f"{moto.__version__}; re-check moto.stepfunctions.parser.asl.utils.boto_client and update sfn_identity.py"
        )
    from moto.stepfunctions.parser.asl.utils import boto_client

    source = inspect.getsource(boto_client.boto_client_for)
    if _FIXED_KEY not in source or not hasattr(boto_client, "boto3"):
        raise IdentityHookError(
            "moto's boto_client_for no longer signs with the fixed key 'ak'; update sfn_identity.py"
        )
    return boto_client


def install(credentials: Credentials) -> None:
    """Sign every Step Functions task's AWS call in this process with ``credentials``."""
    with _lock:
        module = _target()
        real = _state.setdefault("real", getattr(module, "boto3"))  # noqa: B009 - moto does not export it
        setattr(module, "boto3", _SignedBoto3(real, credentials))  # noqa: B010


def uninstall() -> None:
    """Give moto its own ``boto3`` back."""
    with _lock:
        real = _state.pop("real", None)
        if real is not None:
            from moto.stepfunctions.parser.asl.utils import boto_client

            setattr(boto_client, "boto3", real)  # noqa: B010


def installed() -> bool:
    return "real" in _state
