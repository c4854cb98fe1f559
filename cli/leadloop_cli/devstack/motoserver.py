"""moto in server mode, in this process, on a free port of 127.0.0.1, with Step Functions executing.

In-process (not a ``moto_server`` subprocess) because the Lambda hook (:mod:`lambda_hook`) patches
moto's Lambda backend in this interpreter: every invoke that reaches the endpoint, from any process,
runs the real handlers.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import urllib.request
from typing import Any

__all__ = ["MotoEndpoint"]

MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": True}}


class MotoEndpoint:
    """Starts/stops ``ThreadedMotoServer`` and configures it for the local stack."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._server: Any = None
        self._previous_moto_port: str | None = None
        self._previous_config: dict[str, Any] | None = None
        self._previous_auth: str | None = None
        self.url = ""

    def start(self) -> str:
        from moto.core.config import default_user_config
        from moto.server import ThreadedMotoServer

        from . import motopatches

        motopatches.install()  # every moto patch is listed (and pinned) there

        self._previous_config = copy.deepcopy(dict(default_user_config))
        # werkzeug would print one line per request on stderr; keep warnings only.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address=self._host, port=self._port, verbose=False)
        server.start()
        self._server = server
        host, port = server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        # Step Functions' Lambda tasks call back into moto at http://localhost:$MOTO_PORT.
        self._previous_moto_port = os.environ.get("MOTO_PORT")
        os.environ["MOTO_PORT"] = str(port)
        self._post("/moto-api/reset", {})
        self._post("/moto-api/config", MOTO_CONFIG)
        return self.url

    def enforce_iam(self) -> None:
        """From now on every request must be signed by a key moto issued, and allowed by its policies.

        Server mode's switch (``POST /moto-api/reset-auth`` with the number of requests still let
        through unchecked: 0). It is process-wide, so :meth:`stop` puts the previous value back.
        """
        answer = json.loads(self._post("/moto-api/reset-auth", b"0"))
        if self._previous_auth is None:
            self._previous_auth = str(answer["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])

    def _post(self, path: str, body: dict[str, Any] | bytes) -> bytes:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return bytes(response.read())

    def stop(self) -> None:
        if self._server is None:
            return
        if self._previous_auth is not None:
            try:
                self._post("/moto-api/reset-auth", self._previous_auth.encode())
            except OSError:  # the server is gone: the setting lives in this process all the same
                from moto import settings

                settings.INITIAL_NO_AUTH_ACTION_COUNT = float(self._previous_auth)
            self._previous_auth = None
        with contextlib.suppress(OSError):
            self._post("/moto-api/reset", {})
        self._server.stop()
        self._server = None
        if self._previous_config is not None:
            from moto.core.config import default_user_config

            default_user_config.update(self._previous_config)  # type: ignore[typeddict-item]
        if self._previous_moto_port is None:
            os.environ.pop("MOTO_PORT", None)
        else:
            os.environ["MOTO_PORT"] = self._previous_moto_port
