"""Meta's test leads (meta-api.md §1.10): the one lead a Page's advertiser may create on a form.

Rules, from Meta's lead-ads testing page (``marketing-api/guides/lead-ads/testing-troubleshooting``)
and the SDK's ``LeadgenForm.create_test_lead`` / ``get_test_leads`` and ``Lead.api_delete``:

* ``POST /{form_id}/test_leads`` needs a Page token of the form's Page whose person holds the
  Advertiser role or higher there. The simulator knows no Page roles, so the role is modelled by
  the token's ``pages_manage_ads`` scope (a person who may advertise for the Page grants it).
* One test lead per form; the existing one must be deleted before another is created. Meta's
  pages state the rule but not the error it answers with; the simulator uses code 100 (Graph's
  family for a request the object refuses), HTTP 400, wording the documented rule.
* Optional ``field_data=[{name, values}]`` and ``custom_disclaimer_responses=[{checkbox_key,
  is_checked}]`` (a JSON array, or a list in a JSON body; Meta's own example writes them with
  single quotes, which is accepted too). Without ``field_data`` the lead carries placeholder
  answers ``<test lead: dummy data for NAME>`` for full_name, email and phone_number, the shape
  the Testing Tool's dummy leads are reported with (not on Meta's pages).
* Test leads are organic (no ad ids) and are real leads of the form otherwise: read by id, listed
  by ``/{form}/leads``, announced by the signed ``leadgen`` webhook when the app is subscribed to
  ``leadgen`` and the Page has installed it with ``leadgen`` in ``subscribed_apps``.
* ``DELETE /{lead_id}`` removes a test lead; only its creator may (Meta: owner only).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from leadloop_cli.graphsim.auth import require_page, require_scope
from leadloop_cli.graphsim.errors import GraphError, invalid_param, permission_denied, unsupported_request
from leadloop_cli.graphsim.models import DisclaimerResponse, FieldAnswer, TokenKind
from leadloop_cli.graphsim.schemas import DisclaimerIn, FieldAnswerIn
from leadloop_cli.graphsim.state import derived_id

if TYPE_CHECKING:
    from leadloop_cli.graphsim.core import SimCore
    from leadloop_cli.graphsim.models import Form, Lead, TokenGrant
    from leadloop_cli.graphsim.state import SimState

ONE_PER_FORM_MESSAGE = (
    "(#100) This form already has a test lead. Only one test lead can exist per form: "
    "delete the existing test lead before creating a new one"
)
PAGE_TOKEN_MESSAGE = "(#210) A page access token is required to request this resource."
ADVERTISER_SCOPE = "pages_manage_ads"
DUMMY_FIELDS = ("full_name", "email", "phone_number")
_ANSWERS = TypeAdapter(list[FieldAnswerIn])
_DISCLAIMERS = TypeAdapter(list[DisclaimerIn])


def person_id(token: str) -> str:
    """Who a token acts for, as ``debug_token``'s ``user_id`` shows it (never the token itself)."""
    return derived_id("token-user", token)


def require_creator(grant: TokenGrant, form: Form) -> None:
    """A Page token (210), of the form's Page (200), whose person may advertise there (200)."""
    if grant.kind is not TokenKind.PAGE:
        raise GraphError(210, PAGE_TOKEN_MESSAGE)
    require_page(grant, form.page_id)
    require_scope(grant, ADVERTISER_SCOPE, "and the Advertiser role (or higher) on the Page to create test leads")


def dummy_answers() -> tuple[FieldAnswer, ...]:
    """The placeholder answers of a test lead created without ``field_data``."""
    return tuple(FieldAnswer(name=name, values=(f"<test lead: dummy data for {name}>",)) for name in DUMMY_FIELDS)


def parse_answers(raw: object) -> tuple[FieldAnswer, ...]:
    """``field_data`` → answers; absent → the dummy answers; malformed → 100."""
    if raw is None or raw == "":
        return dummy_answers()
    try:
        answers = _ANSWERS.validate_python(_json_list(raw, "field_data"))
    except ValidationError as exc:
        raise invalid_param("param field_data must be an array of objects with name and values (strings)") from exc
    return tuple(FieldAnswer(name=a.name, values=tuple(a.values)) for a in answers)


def parse_disclaimers(raw: object) -> tuple[DisclaimerResponse, ...]:
    """``custom_disclaimer_responses`` → responses (``is_checked`` as ``"1"``/``""``); malformed → 100."""
    if raw is None or raw == "":
        return ()
    try:
        responses = _DISCLAIMERS.validate_python(_json_list(raw, "custom_disclaimer_responses"))
    except ValidationError as exc:
        raise invalid_param(
            "param custom_disclaimer_responses must be an array of objects with checkbox_key and is_checked"
        ) from exc
    return tuple(DisclaimerResponse(checkbox_key=r.checkbox_key, is_checked=r.as_text()) for r in responses)


def _json_list(raw: object, name: str) -> list[Any]:
    if isinstance(raw, list):
        return [item.model_dump() if isinstance(item, BaseModel) else item for item in raw]
    if isinstance(raw, str):
        for text in (raw, raw.replace("'", '"')):
            try:
                document = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(document, list):
                return document
    raise invalid_param(f"param {name} must be a JSON array")


def delivers_webhook(state: SimState, page_id: str) -> bool:
    """Meta notifies only an app subscribed to ``leadgen`` that the Page installed for ``leadgen``."""
    subscription = state.subscription
    page = state.page(page_id)
    return (
        subscription is not None
        and "leadgen" in subscription.fields
        and page is not None
        and "leadgen" in page.subscribed_fields
    )


def create_test_lead(
    core: SimCore,
    token: str,
    form: Form,
    answers: tuple[FieldAnswer, ...],
    disclaimers: tuple[DisclaimerResponse, ...],
) -> Lead:
    """Store the form's test lead (refused while one exists), then send its webhook if Meta would."""
    state = core.state
    with state.lock:
        if state.form_test_leads(form.id):
            raise invalid_param(ONE_PER_FORM_MESSAGE)
        lead = state.create_lead(
            page_id=form.page_id,
            form_id=form.id,
            field_data=answers,
            custom_disclaimer_responses=disclaimers,
            test_creator=person_id(token),
        )
    if delivers_webhook(state, form.page_id):
        core.webhooks.send([lead])
    return lead


def delete_test_lead(state: SimState, grant: TokenGrant, token: str, lead_id: str) -> None:
    """``DELETE /{lead_id}``: test leads only (else 100/33), by their creator only (else 200)."""
    lead = state.lead(lead_id)
    if lead is None or lead.test_creator is None or lead.page_id not in grant.page_ids:
        raise unsupported_request("DELETE", lead_id)
    if lead.test_creator != person_id(token):
        raise permission_denied("(#200) Permissions error: only the person who created a test lead may delete it")
    state.remove_lead(lead_id)
