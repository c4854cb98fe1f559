"""``GraphSimulator``: the Python face of the simulator, used by the local stack and tests."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from leadloop_cli.graphsim.auth import appsecret_proof
from leadloop_cli.graphsim.clock import VirtualClock
from leadloop_cli.graphsim.config import APP_MODES, DEFAULT_RETRY_DELAYS, SimConfig
from leadloop_cli.graphsim.core import SimCore
from leadloop_cli.graphsim.dispatch import GraphDispatcher
from leadloop_cli.graphsim.errors import ControlError
from leadloop_cli.graphsim.routes.control import app_view, apply_config, apply_token_state, audience_view
from leadloop_cli.graphsim.schemas import (
    ConfigIn,
    LeadIn,
    SubscribedAppsIn,
    TokenStateIn,
    describe_validation_error,
)
from leadloop_cli.graphsim.server import ServerThread, SimApp
from leadloop_cli.graphsim.state import normalize_account_id

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence


class GraphSimulator:
    """A local stand-in for graph.facebook.com with a test-control API under ``/_sim/``."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        *,
        require_appsecret_proof: bool = True,
        webhook_retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        webhook_timeout: float = 10.0,
        require_page_subscription: bool = False,
        seed: int = 0,
        clock_start: float | None = None,
        freeze_clock: bool = False,
    ) -> None:
        if not app_id or not app_secret:
            raise ValueError("app_id and app_secret are required")
        config = SimConfig(
            app_id=str(app_id),
            app_secret=app_secret,
            require_appsecret_proof=require_appsecret_proof,
            webhook_retry_delays=tuple(float(d) for d in webhook_retry_delays),
            webhook_timeout=webhook_timeout,
            require_page_subscription=require_page_subscription,
            seed=seed,
        )
        self._core = SimCore.build(config, VirtualClock(clock_start, frozen=freeze_clock))
        self._app = SimApp(self._core, GraphDispatcher(self._core))
        self._server: ServerThread | None = None
        self._lock = threading.Lock()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in background threads; returns the base URL (``http://127.0.0.1:PORT``)."""
        with self._lock:
            if self._server is not None:
                raise RuntimeError("the simulator is already running")
            self._core.webhooks.resume()
            self._server = ServerThread(self._app, host, port)
            self._server.start()
            return self._server.base_url

    @property
    def base_url(self) -> str:
        """The URL ``start`` returned."""
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return self._server.base_url

    def stop(self) -> None:
        """Stop serving and cancel pending webhook retries."""
        with self._lock:
            server, self._server = self._server, None
        self._core.webhooks.stop()
        if server is not None:
            server.stop()

    def __enter__(self) -> GraphSimulator:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- objects --------------------------------------------------------------------------------

    def add_page(self, page_id: str, access_token: str, name: str | None = None) -> None:
        """A Page and the Page token that may read its leads."""
        self._core.state.add_page(str(page_id), access_token, name)

    def add_form(self, form_id: str, page_id: str, name: str = "Lead form") -> None:
        """A lead form on a Page added before."""
        self._core.state.add_form(str(form_id), str(page_id), name)

    def add_ad_account(self, account_id: str, token: str | None = None) -> str:
        """An ad account (``act_<digits>`` or digits); returns the normalized id.

        ``token`` may manage its audiences; without one every token known now is granted it.
        """
        return self._core.state.add_ad_account(account_id, token)

    def add_audience(self, audience_id: str | None, account_id: str, name: str = "Custom audience") -> str:
        """An empty customer-file audience in an ad account added before; returns its id (new when ``None``)."""
        return self._core.state.add_audience(None if audience_id is None else str(audience_id), account_id, name).id

    def audience(self, audience_id: str) -> dict[str, Any] | None:
        """Same as ``GET /_sim/audiences/{id}`` (``None`` when unknown)."""
        return audience_view(self._core, str(audience_id))

    def set_audience_status(self, audience_id: str, code: int, description: str = "") -> None:
        """Set an audience's ``operation_status`` (471 flagged, 414 replace in progress, ...)."""
        self._core.state.set_audience_status(str(audience_id), code, description)

    def set_audience_size(self, audience_id: str, approximate_count: int | None) -> None:
        """Fake the audience's size floor (bounds, the 100M replace limit); ``None`` clears it."""
        self._core.state.set_audience_size(str(audience_id), approximate_count)

    def set_replace_outcome(self, audience_id: str, outcome: str) -> None:
        """``"fail"``: the next replace to finish ends as 415 (one-shot); ``"ok"``: it finishes normally."""
        if outcome not in ("fail", "ok"):
            raise ValueError("outcome must be 'fail' or 'ok'")
        self._core.state.set_replace_outcome(str(audience_id), outcome == "fail")

    def set_audience_budget(self, account_id: str, calls: int | None) -> None:
        """Override the ad account's custom-audience calls per rolling hour (``None`` = Meta's formula)."""
        self._core.usage.set_audience_budget(normalize_account_id(account_id), calls)

    def add_user_token(
        self,
        token: str,
        page_ids: Iterable[str] = (),
        account_ids: Iterable[str] = (),
        *,
        system_user: bool = False,
    ) -> None:
        """A user (``system_user``: system-user) token that may read these Pages' leads and accounts' audiences."""
        self._core.state.add_user_token(token, page_ids, account_ids, system_user=system_user)

    # -- health preconditions (what silent-lead-loss checks look at) -----------------------------

    def set_token_state(self, token: str, **changes: Any) -> dict[str, Any]:
        """Same keys as ``POST /_sim/tokens/{token}/state``; returns the ``debug_token`` view.

        ``ValueError`` for bad values, ``KeyError`` for a token the simulator does not know.
        """
        try:
            spec = TokenStateIn.model_validate(changes)
        except ValidationError as exc:
            raise ValueError(describe_validation_error(exc)) from exc
        view = apply_token_state(self._core, token, spec)
        if view is None:
            raise KeyError("unknown token")
        return view

    def set_leads_access(self, page_id: str, granted: bool) -> None:
        """Grant (default) or revoke the app's Leads Access on a Page; ``KeyError`` if unknown."""
        self._core.state.set_leads_access(str(page_id), granted)

    def set_app_mode(self, mode: str) -> None:
        """``"live"`` (default) or ``"development"`` (lead reads see only leads ``by_app_role``)."""
        if mode not in APP_MODES:
            raise ValueError(f"mode must be one of {', '.join(APP_MODES)}")
        self._core.state.set_app_mode(mode)

    def app(self) -> dict[str, Any]:
        """Same as ``GET /_sim/app``: ``{"id", "name", "mode"}``."""
        return app_view(self._core)

    def set_page_subscribed_fields(self, page_id: str, fields: Sequence[str]) -> None:
        """The Page's ``subscribed_apps`` install (``[]`` = uninstalled); ``KeyError`` if unknown."""
        try:
            spec = SubscribedAppsIn.model_validate({"subscribed_fields": fields})
        except ValidationError as exc:
            raise ValueError(describe_validation_error(exc)) from exc
        self._core.state.set_page_subscribed_fields(str(page_id), spec.subscribed_fields)

    def app_token(self) -> str:
        """The app access token (``app_id|app_secret``)."""
        return self._core.state.app_token()

    def appsecret_proof(self, access_token: str) -> str:
        """The ``appsecret_proof`` a client must send with ``access_token``."""
        return appsecret_proof(self._core.config.app_secret, access_token)

    # -- leads and webhooks ---------------------------------------------------------------------

    def subscribe(self, callback_url: str, verify_token: str) -> None:
        """Meta's verification GET, then store the subscription; ``SubscriptionError`` if it fails."""
        self._core.subscribe(callback_url, verify_token)

    def create_lead(  # noqa: PLR0917 - the signature the local stack calls
        self,
        page_id: str,
        form_id: str,
        field_data: Sequence[Mapping[str, Any]],
        ad_id: str | None = None,
        created_time: int | str | None = None,
        deliver: bool = False,
        **extra: Any,
    ) -> str:
        """Same as ``POST /_sim/leads``; returns the lead id. ``ValueError`` for bad input."""
        document = {
            "page_id": page_id,
            "form_id": form_id,
            "field_data": [dict(answer) for answer in field_data],
            "ad_id": ad_id,
            "created_time": created_time,
            "deliver": deliver,
            **extra,
        }
        try:
            spec = LeadIn.model_validate(document)
        except ValidationError as exc:
            raise ValueError(describe_validation_error(exc)) from exc
        return self._core.create_lead(spec).id

    def send_webhooks(self, lead_ids: Sequence[str], copies: int = 1) -> list[str]:
        """Same as ``POST /_sim/webhooks``; returns the delivery ids."""
        return self._core.send_webhooks([str(i) for i in lead_ids], copies)

    def deliveries(self) -> list[dict[str, Any]]:
        """The webhook delivery log (``GET /_sim/webhooks``)."""
        return self._core.webhooks.log()

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """Block until no delivery is still retrying; ``False`` on timeout."""
        return self._core.webhooks.wait_idle(timeout)

    # -- clock, budgets, knobs ------------------------------------------------------------------

    def now(self) -> int:
        """The virtual clock, unix seconds."""
        return self._core.clock.now()

    def advance_clock(self, seconds: float) -> int:
        """Move the virtual clock; returns the new ``now``."""
        return self._core.clock.advance(seconds)

    def set_leadgen_budget(self, page_id: str, calls: int | None) -> None:
        """Override the Page's lead-read budget per rolling 24 h (``None`` = Meta's formula)."""
        self._core.usage.set_leadgen_budget(str(page_id), calls)

    def configure(self, **knobs: Any) -> None:
        """Same keys as ``POST /_sim/config``; ``ValueError`` for bad values."""
        try:
            apply_config(self._core, ConfigIn.model_validate(knobs))
        except ValidationError as exc:
            raise ValueError(describe_validation_error(exc)) from exc
        except ControlError as exc:
            raise ValueError(exc.message) from exc

    def calls(self) -> list[dict[str, Any]]:
        """The Graph call log (``GET /_sim/calls``)."""
        return self._core.calls.snapshot()

    def reset(self) -> None:
        """Forget leads, faults, calls, usage and deliveries; keep Pages, forms, tokens, subscription."""
        self._core.reset()
