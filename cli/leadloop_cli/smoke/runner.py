"""One smoke run: create a test lead, wait for it to be stored through its webhook, always clean up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadloop.graph import GraphError
from leadloop.routing import FormRoute, Routing
from leadloop_cli.smoke.capture import FETCHED, Capture, wait_for_capture, webhook_seen
from leadloop_cli.smoke.cleanup import clean_up
from leadloop_cli.smoke.deps import SmokeDeps
from leadloop_cli.smoke.diagnosis import Clues, explain
from leadloop_cli.smoke.meta import ExistingTestLead
from leadloop_cli.smoke.person import field_data, new_address
from leadloop_cli.smoke.result import SmokeResult


class SmokeSetupError(Exception):
    """Nothing was created: the routing or the arguments do not allow a smoke run."""


def pick_route(routing: Routing, form_id: str | None) -> FormRoute:
    """The given form's route, or the first routed form (one feeding audiences first)."""
    if form_id is not None:
        route = routing.form(form_id)
        if route is None:
            raise SmokeSetupError(f"form {form_id} is not in the routing document (`leadloop routing show`)")
        return route
    if not routing.forms:
        raise SmokeSetupError("the routing document lists no form: write one first (`leadloop routing set FILE`)")
    return next((r for r in routing.forms if r.audience_ids), routing.forms[0])


def run_smoke(
    deps: SmokeDeps, *, form_id: str | None = None, timeout: float = 120.0, replace_existing: bool = False
) -> SmokeResult:
    """Create, wait, explain, clean up; the result says what happened (no token, no answer in it)."""
    route = pick_route(deps.routing(), form_id)
    answers = field_data(route, new_address())
    result = SmokeResult(form_id=route.form_id)
    try:
        lead_id = _create(deps, route, answers, replace_existing)
    except _Refused as exc:
        result.reason, result.cleaned_up = str(exc), True  # nothing was created
        return result
    created = deps.clock()
    result.lead_id = lead_id
    deps.say(f"created test lead {lead_id} on form {route.form_id}; waiting up to {timeout:.0f}s for it")
    capture: Capture | None = None
    try:
        capture = wait_for_capture(
            lambda: deps.store.get(lead_id),
            deadline=created + timeout,
            clock=deps.clock,
            sleep=deps.sleep,
            poll_seconds=deps.poll_seconds,
        )
        if capture.passed and capture.stored_at is not None:
            result.seconds_to_stored = round(capture.stored_at - created, 2)
            deps.say(f"stored through the webhook in {result.seconds_to_stored:.2f}s (origin {capture.origin})")
        else:
            result.reason = explain(capture.item, _clues(deps, route, capture, timeout))
        result.origin = capture.origin
    finally:
        deps.say("cleaning up: LeadsTable, the form's audiences, Meta")
        report = clean_up(deps, route, lead_id, answers)
        result.cleaned_up = report.done
        if not report.done:
            cleanup = "cleanup incomplete: " + "; ".join(report.problems)
            result.reason = f"{result.reason}; {cleanup}" if result.reason else cleanup
    return result


class _Refused(Exception):
    """Meta did not create the test lead; the message says why and what to do."""


def _create(deps: SmokeDeps, route: FormRoute, answers: Sequence[Mapping[str, Any]], replace: bool) -> str:
    try:
        return deps.meta.create(route.form_id, answers)
    except ExistingTestLead as exc:
        if not replace:
            raise _Refused(
                f"form {route.form_id} already has a test lead ({', '.join(exc.lead_ids)}); Meta allows one per "
                "form: delete it in the Lead Ads Testing Tool, or rerun with --replace-existing"
            ) from None
        _replace(deps, route, exc.lead_ids)
        try:
            return deps.meta.create(route.form_id, answers)
        except (ExistingTestLead, GraphError) as again:
            raise _Refused(_refusal(route, again)) from None
    except GraphError as exc:
        raise _Refused(_refusal(route, exc)) from None


def _replace(deps: SmokeDeps, route: FormRoute, lead_ids: Sequence[str]) -> None:
    """Clean up the form's existing test lead(s) like the smoke's own (answers from our store's copy)."""
    for lead_id in lead_ids:
        item = deps.store.get(lead_id)
        stored = item.get("field_data") if item and item.get("status") == FETCHED else None
        deps.say(f"removing the form's existing test lead {lead_id}")
        report = clean_up(deps, route, lead_id, list(stored or []))
        if not report.done:
            raise _Refused(f"the existing test lead {lead_id} could not be removed: " + "; ".join(report.problems))


def _refusal(route: FormRoute, exc: Exception) -> str:
    if isinstance(exc, ExistingTestLead):
        return f"form {route.form_id} still has a test lead ({', '.join(exc.lead_ids)}) after deleting it"
    code = getattr(exc, "code", None)
    said = f"Meta refused the test lead on form {route.form_id} (code={code})"
    if code == 210:
        return (
            f"{said}: it needs a Page token; put Page {route.page_id}'s token in the secret's "
            "page_access_tokens, or give the shared token's user a role on the Page"
        )
    if code == 190:
        return f"{said}: the token is invalid or expired; store a new long-lived token in the secret"
    if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
        return f"{said}: the token's person needs the Advertiser role (or higher) on Page {route.page_id}"
    return f"{said}: the form must exist on Page {route.page_id} and the token see it"


def _clues(deps: SmokeDeps, route: FormRoute, capture: Capture, timeout: float) -> Clues:
    """Ask Meta about the Page's install when the webhook is missing; count parked fetches otherwise."""
    item = capture.item
    webhook_missing = item is None or (item.get("status") == FETCHED and not webhook_seen(item))
    installed = deps.meta.page_installed(route.page_id) if webhook_missing else None
    parked = None if webhook_missing else deps.parked()
    return Clues(timeout=timeout, page_id=route.page_id, page_installed=installed, parked=parked)
