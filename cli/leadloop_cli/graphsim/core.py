"""The simulator's parts wired together, and the operations shared by HTTP and Python callers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadloop_cli.graphsim.calllog import CallLog
from leadloop_cli.graphsim.faults import FaultRegistry
from leadloop_cli.graphsim.models import DisclaimerResponse, FieldAnswer, Subscription
from leadloop_cli.graphsim.state import SimState
from leadloop_cli.graphsim.usage import UsageTracker
from leadloop_cli.graphsim.webhooks import WebhookDispatcher, verify_callback

if TYPE_CHECKING:
    from collections.abc import Sequence

    from leadloop_cli.graphsim.clock import VirtualClock
    from leadloop_cli.graphsim.config import SimConfig
    from leadloop_cli.graphsim.models import Lead
    from leadloop_cli.graphsim.schemas import LeadIn


@dataclass
class SimCore:
    """Everything a route handler may need."""

    config: SimConfig
    clock: VirtualClock
    state: SimState
    faults: FaultRegistry
    usage: UsageTracker
    calls: CallLog
    webhooks: WebhookDispatcher

    @classmethod
    def build(cls, config: SimConfig, clock: VirtualClock) -> SimCore:
        """Create the parts for one simulator instance."""
        state = SimState(config, clock)
        return cls(
            config=config,
            clock=clock,
            state=state,
            faults=FaultRegistry(config.seed),
            usage=UsageTracker(clock, state),
            calls=CallLog(),
            webhooks=WebhookDispatcher(state),
        )

    def create_lead(self, spec: LeadIn) -> Lead:
        """Store a lead and, with ``deliver``, send its webhook (checked before storing)."""
        if spec.deliver:
            self.webhooks.ensure_ready([spec.page_id])
        lead = self.state.create_lead(
            page_id=spec.page_id,
            form_id=spec.form_id,
            field_data=[FieldAnswer(name=a.name, values=tuple(a.values)) for a in spec.field_data],
            created_time=spec.created_time,
            custom_disclaimer_responses=[
                DisclaimerResponse(checkbox_key=r.checkbox_key, is_checked=r.as_text())
                for r in spec.custom_disclaimer_responses
            ],
            ad_id=spec.ad_id,
            ad_name=spec.ad_name,
            adset_id=spec.adset_id,
            adset_name=spec.adset_name,
            campaign_id=spec.campaign_id,
            campaign_name=spec.campaign_name,
            platform=spec.platform,
            partner_name=spec.partner_name,
            by_app_role=spec.by_app_role,
        )
        if spec.deliver:
            self.webhooks.send([lead])
        return lead

    def send_webhooks(self, lead_ids: Sequence[str], copies: int = 1) -> list[str]:
        """One POST carrying every listed lead, ``copies`` times; ``ValueError`` for unknown ids."""
        leads = []
        for lead_id in lead_ids:
            lead = self.state.lead(lead_id)
            if lead is None:
                raise ValueError(f"unknown lead id {lead_id!r}")
            leads.append(lead)
        return self.webhooks.send(leads, copies)

    def subscribe(self, callback_url: str, verify_token: str, fields: Sequence[str] = ("leadgen",)) -> None:
        """Verify the callback the way Meta does, then store the app's ``page`` subscription."""
        verify_callback(callback_url, verify_token, self.config.webhook_timeout)
        self.state.set_subscription(
            Subscription(callback_url=callback_url, verify_token=verify_token, fields=tuple(fields))
        )

    def reset(self) -> None:
        """Forget leads, faults, calls, usage and finished deliveries; keep Pages, forms and tokens."""
        self.state.clear_leads()
        self.faults.clear()
        self.faults.reseed(self.config.seed)
        self.calls.clear()
        self.usage.reset()
        self.webhooks.clear()
