"""Thread-safe store of everything Meta would know: Pages, forms, leads, tokens, audiences.

One re-entrant lock guards it all; the server is threaded and webhook deliveries run
in their own threads, so every read and write goes through a method here.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from leadloop_cli.graphsim.audiences import EXPIRING
from leadloop_cli.graphsim.models import (
    Audience,
    DisclaimerResponse,
    FieldAnswer,
    Form,
    Lead,
    Page,
    Subscription,
    TokenGrant,
    TokenKind,
    TokenStatus,
)
from leadloop_cli.graphsim.replace import settle

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from leadloop_cli.graphsim.clock import VirtualClock
    from leadloop_cli.graphsim.config import SimConfig

_ACCOUNT_RE = re.compile(r"^(?:act_)?(\d+)$")
NINETY_DAYS = 90 * 86_400


def normalize_account_id(account_id: str) -> str:
    """``"act_123"`` or ``"123"`` → ``"act_123"``; anything else is a ``ValueError``."""
    match = _ACCOUNT_RE.match(str(account_id).strip())
    if not match:
        raise ValueError(f"ad account id must be 'act_<digits>' or digits, got {account_id!r}")
    return f"act_{match.group(1)}"


def derived_id(*parts: str) -> str:
    """A stable 18-digit id derived from other ids (ad set / campaign of a simulated ad)."""
    digest = int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:15], 16)
    return str(10**17 + digest % (9 * 10**17))


class SimState:
    """All simulated Meta objects plus the app-level webhook subscription."""

    def __init__(self, config: SimConfig, clock: VirtualClock) -> None:
        self.lock = threading.RLock()
        self.config = config
        self.clock = clock
        self._pages: dict[str, Page] = {}
        self._forms: dict[str, Form] = {}
        self._leads: dict[str, Lead] = {}
        self._form_leads: dict[str, list[Lead]] = {}
        self._accounts: set[str] = set()
        self._audiences: dict[str, Audience] = {}
        self._user_tokens: dict[str, TokenGrant] = {}
        self._token_status: dict[str, TokenStatus] = {}
        self._app_mode = "live"
        self._subscription: Subscription | None = None
        self._seq = itertools.count(1)
        self._id_rng = random.Random(config.seed)
        # Separate stream so audience/session ids never shift the (seeded) lead ids.
        self._audience_rng = random.Random(f"audiences-{config.seed}")
        self._account_grants: dict[str, set[str]] = {}
        self._any_sessions: dict[tuple[str, str], list[int]] = {}

    # -- registry -------------------------------------------------------------------------------

    def add_page(self, page_id: str, access_token: str, name: str | None = None) -> Page:
        """Register (or replace the token of) a Page."""
        page_id = _nonempty("page_id", page_id)
        access_token = _nonempty("access_token", access_token)
        with self.lock:
            existing = self._pages.get(page_id)
            page = Page(
                id=page_id,
                access_token=access_token,
                name=name or (existing.name if existing else f"Sim Page {page_id}"),
                subscribed_fields=existing.subscribed_fields if existing else [],
                leads_access=existing.leads_access if existing else True,
            )
            self._pages[page_id] = page
            return page

    def add_form(self, form_id: str, page_id: str, name: str | None = None) -> Form:
        """Register a form on an existing Page."""
        form_id = _nonempty("form_id", form_id)
        with self.lock:
            if page_id not in self._pages:
                raise ValueError(f"unknown page_id {page_id!r}; add the page first")
            form = Form(id=form_id, page_id=page_id, name=name or f"Sim form {form_id}")
            self._forms[form_id] = form
            self._form_leads.setdefault(form_id, [])
            return form

    def add_ad_account(self, account_id: str, token: str | None = None) -> str:
        """Register an ad account; returns its normalized ``act_<digits>`` id.

        ``token`` (a Page, user or system-user token, known yet or not) may then manage the
        account's audiences; without one, every token known at this moment (Page and user tokens)
        is granted it, which is what the single-tenant local stack wants.
        """
        normalized = normalize_account_id(account_id)
        with self.lock:
            self._accounts.add(normalized)
            tokens = [token] if token else [p.access_token for p in self._pages.values()] + list(self._user_tokens)
            for granted in tokens:
                self._account_grants.setdefault(granted, set()).add(normalized)
        return normalized

    def has_account(self, account_id: str) -> bool:
        """Whether the (normalized) ad account is registered."""
        with self.lock:
            return account_id in self._accounts

    def add_audience(
        self,
        audience_id: str | None,
        account_id: str,
        name: str | None = None,
        *,
        description: str = "",
        customer_file_source: str | None = None,
    ) -> Audience:
        """Register an empty Custom Audience under a known ad account (``None`` id → a new Meta-like id)."""
        normalized = normalize_account_id(account_id)
        with self.lock:
            if normalized not in self._accounts:
                raise ValueError(f"unknown ad account {normalized!r}; add it first")
            audience_id = self._new_audience_id() if audience_id is None else _nonempty("audience_id", audience_id)
            now = self.clock.now()
            audience = Audience(
                id=audience_id,
                account_id=normalized,
                name=name or f"Sim audience {audience_id}",
                description=description,
                customer_file_source=customer_file_source,
                time_created=now,
                time_updated=now,
            )
            self._audiences[audience_id] = audience
            return audience

    def _new_audience_id(self) -> str:
        while True:
            candidate = str(self._audience_rng.randrange(23_800_000_000_000_000, 23_900_000_000_000_000))
            if candidate not in self._audiences:
                return candidate

    def new_session_id(self) -> str:
        """A Meta-like int64 session id for uploads sent without ``session``."""
        with self.lock:
            return str(self._audience_rng.randrange(10**17, 2**63 - 1))

    def account_audiences(self, account_id: str) -> list[Audience]:
        """The ad account's audiences, oldest first."""
        with self.lock:
            return [a for a in self._audiences.values() if a.account_id == account_id]

    def settle_audience(self, audience: Audience) -> None:
        """Bring the audience's replace sessions up to the virtual now (windows, processing)."""
        with self.lock:
            settle(audience, self.clock.now(), self.config.replace_processing_seconds)

    def set_audience_status(self, audience_id: str, code: int, description: str) -> Audience:
        """Set ``operation_status`` (e.g. 471 flagged, 414 replace in progress); ``KeyError`` if unknown.

        Replaces due by now finish first, so they cannot overwrite the status set here later. 100
        (expiring) schedules ``delete_time`` 90 days ahead, as Meta does; an audience already expiring
        keeps its date.
        """
        with self.lock:
            audience = self._audiences[audience_id]
            self.settle_audience(audience)
            now = self.clock.now()
            if code == EXPIRING and audience.operation_status.get("code") != EXPIRING:
                audience.delete_time = now + NINETY_DAYS
            audience.operation_status = {"code": code, "description": description}
            audience.time_updated = now
            return audience

    def set_audience_size(self, audience_id: str, approximate_count: int | None) -> Audience:
        """Fake a size floor (reported bounds, the 100M replace limit); ``None`` clears it."""
        with self.lock:
            audience = self._audiences[audience_id]
            self.settle_audience(audience)
            audience.size_floor = approximate_count
            return audience

    def set_replace_outcome(self, audience_id: str, fail: bool) -> Audience:
        """Arm (or disarm) a one-shot failure (415) of the next replace to finish processing."""
        with self.lock:
            audience = self._audiences[audience_id]
            self.settle_audience(audience)
            audience.fail_next_replace = fail
            return audience

    def count_any_session(self, account_id: str, session_id: str, received: int, invalid: int) -> tuple[int, int]:
        """Cumulative (received, invalid) of one ``usersofanyaudience`` session."""
        with self.lock:
            totals = self._any_sessions.setdefault((account_id, session_id), [0, 0])
            totals[0] += received
            totals[1] += invalid
            return totals[0], totals[1]

    def add_user_token(
        self,
        token: str,
        page_ids: Iterable[str] = (),
        account_ids: Iterable[str] = (),
        *,
        system_user: bool = False,
    ) -> None:
        """Register a user/system-user token that may read the given Pages and ad accounts."""
        token = _nonempty("token", token)
        grant = TokenGrant(
            kind=TokenKind.SYSTEM_USER if system_user else TokenKind.USER,
            page_ids=frozenset(page_ids),
            account_ids=frozenset(normalize_account_id(a) for a in account_ids),
        )
        with self.lock:
            self._user_tokens[token] = grant

    def app_token(self) -> str:
        """The app access token ``app_id|app_secret``."""
        return f"{self.config.app_id}|{self.config.app_secret}"

    def grant(self, token: str) -> TokenGrant | None:
        """What ``token`` may do (its scopes included), or ``None`` when Meta would not know it."""
        with self.lock:
            grant = self._base_grant(token)
            if grant is None:
                return None
            return replace(grant, scopes=frozenset(self.token_status(token).effective_scopes(grant.kind)))

    def _base_grant(self, token: str) -> TokenGrant | None:
        if token == self.app_token():
            return TokenGrant(kind=TokenKind.APP)
        extra_accounts = frozenset(self._account_grants.get(token, ()))
        for page in self._pages.values():
            if page.access_token == token:
                return TokenGrant(kind=TokenKind.PAGE, page_ids=frozenset({page.id}), account_ids=extra_accounts)
        user = self._user_tokens.get(token)
        if user is None:
            return None
        return replace(user, account_ids=user.account_ids | extra_accounts)

    def token_status(self, token: str) -> TokenStatus:
        """A copy of the token's validity/expiry/scopes (the defaults until a test changed them)."""
        with self.lock:
            return replace(self._token_status.get(token) or TokenStatus())

    def set_token_status(self, token: str, status: TokenStatus) -> None:
        """Replace a known token's status; ``KeyError`` when Meta would not know the token."""
        with self.lock:
            if self._base_grant(token) is None:
                raise KeyError("unknown token")
            self._token_status[token] = replace(status)

    @property
    def app_mode(self) -> str:
        """``live`` (default) or ``development``."""
        with self.lock:
            return self._app_mode

    def set_app_mode(self, mode: str) -> None:
        """Switch the app between ``live`` and ``development``."""
        with self.lock:
            self._app_mode = mode

    def page(self, page_id: str) -> Page | None:
        """A Page by id."""
        with self.lock:
            return self._pages.get(page_id)

    def form(self, form_id: str) -> Form | None:
        """A form by id."""
        with self.lock:
            return self._forms.get(form_id)

    def audience(self, audience_id: str) -> Audience | None:
        """An audience by id."""
        with self.lock:
            return self._audiences.get(audience_id)

    def set_page_subscribed_fields(self, page_id: str, fields: Sequence[str]) -> Page:
        """Record a Page's ``subscribed_apps`` install (empty list = uninstalled); ``KeyError`` if unknown."""
        with self.lock:
            page = self._pages[page_id]
            page.subscribed_fields = list(dict.fromkeys(fields))
            return page

    def set_leads_access(self, page_id: str, granted: bool) -> Page:
        """Grant or revoke the app's Leads Access on a Page; ``KeyError`` if unknown."""
        with self.lock:
            page = self._pages[page_id]
            page.leads_access = granted
            return page

    # -- leads ----------------------------------------------------------------------------------

    def _new_lead_id(self) -> str:
        while True:
            candidate = str(self._id_rng.randrange(10**17, 10**18))
            if candidate not in self._leads:
                return candidate

    def create_lead(
        self,
        *,
        page_id: str,
        form_id: str,
        field_data: Sequence[FieldAnswer],
        created_time: int | None = None,
        custom_disclaimer_responses: Sequence[DisclaimerResponse] = (),
        ad_id: str | None = None,
        ad_name: str | None = None,
        adset_id: str | None = None,
        adset_name: str | None = None,
        campaign_id: str | None = None,
        campaign_name: str | None = None,
        platform: str = "fb",
        partner_name: str | None = None,
        by_app_role: bool = False,
        test_creator: str | None = None,
    ) -> Lead:
        """Store a new lead; ad set/campaign ids and names are derived from ``ad_id`` when omitted."""
        with self.lock:
            if page_id not in self._pages:
                raise ValueError(f"unknown page_id {page_id!r}")
            form = self._forms.get(form_id)
            if form is None:
                raise ValueError(f"unknown form_id {form_id!r}")
            if form.page_id != page_id:
                raise ValueError(f"form {form_id!r} belongs to page {form.page_id!r}, not {page_id!r}")
            lead = Lead(
                id=self._new_lead_id(),
                page_id=page_id,
                form_id=form_id,
                created_time=self.clock.now() if created_time is None else created_time,
                seq=next(self._seq),
                field_data=tuple(field_data),
                custom_disclaimer_responses=tuple(custom_disclaimer_responses),
                platform=platform,
                partner_name=partner_name,
                by_app_role=by_app_role,
                test_creator=test_creator,
            )
            if ad_id:
                adset = adset_id or derived_id(ad_id, "adset")
                campaign = campaign_id or derived_id(ad_id, "campaign")
                lead = replace(
                    lead,
                    ad_id=ad_id,
                    ad_name=ad_name or f"Sim ad {ad_id}",
                    adset_id=adset,
                    adset_name=adset_name or f"Sim ad set {adset}",
                    campaign_id=campaign,
                    campaign_name=campaign_name or f"Sim campaign {campaign}",
                )
            self._leads[lead.id] = lead
            self._form_leads[form_id].append(lead)
            return lead

    def lead(self, lead_id: str) -> Lead | None:
        """A lead by id."""
        with self.lock:
            return self._leads.get(lead_id)

    def form_leads(self, form_id: str) -> list[Lead]:
        """The form's leads, newest first."""
        with self.lock:
            leads = list(self._form_leads.get(form_id, ()))
        return sorted(leads, key=lambda lead: lead.sort_key, reverse=True)

    def ad_leads(self, ad_id: str) -> list[Lead]:
        """The leads an ad produced, newest first (the simulator knows an ad only through its leads)."""
        with self.lock:
            leads = [lead for lead in self._leads.values() if lead.ad_id == ad_id]
        return sorted(leads, key=lambda lead: lead.sort_key, reverse=True)

    def form_test_leads(self, form_id: str) -> list[Lead]:
        """The form's test leads (``/{form}/test_leads``), newest first."""
        return [lead for lead in self.form_leads(form_id) if lead.test_creator is not None]

    def remove_lead(self, lead_id: str) -> Lead | None:
        """Forget one lead (a deleted test lead); returns it, or ``None`` when unknown."""
        with self.lock:
            lead = self._leads.pop(lead_id, None)
            if lead is not None:
                self._form_leads[lead.form_id] = [kept for kept in self._form_leads[lead.form_id] if kept.id != lead_id]
            return lead

    def recent_lead_count(self, page_id: str) -> int:
        """Leads created on the Page in the last 90 days of the virtual clock (for the leadgen budget)."""
        since = self.clock.now() - NINETY_DAYS
        with self.lock:
            return sum(1 for lead in self._leads.values() if lead.page_id == page_id and lead.created_time >= since)

    def clear_leads(self) -> None:
        """Forget every lead (``POST /_sim/reset``)."""
        with self.lock:
            self._leads.clear()
            for leads in self._form_leads.values():
                leads.clear()

    # -- webhook subscription ---------------------------------------------------------------------

    @property
    def subscription(self) -> Subscription | None:
        """The app-level ``page`` subscription, if any."""
        with self.lock:
            return self._subscription

    def set_subscription(self, subscription: Subscription | None) -> None:
        """Replace the app-level subscription (Meta keeps one per object type)."""
        with self.lock:
            self._subscription = subscription


def _nonempty(name: str, value: str) -> str:
    text = str(value).strip() if value is not None else ""
    if not text:
        raise ValueError(f"{name} must be a non-empty string")
    return text
