"""Each preflight check on plain facts: pass, warn, block, and the advice given."""

from __future__ import annotations

from dataclasses import replace

import pytest

from leadloop.health.findings import Status
from leadloop_cli.preflight import concurrency, contents, logging_role, services
from leadloop_cli.preflight.facts import AccountConcurrency, Failure, Read, SecretShape
from leadloop_cli.preflight.gather import secret_shape
from leadloop_cli.preflight.report import build_report
from leadloop_cli.preflight.stack import check_identity, check_stack

from .preflight_fakes import STACK_ROLE, denied, deployed, facts, params

OTHER_ROLE = "arn:aws:iam::111122223333:role/team-apigw-logs"


# ------------------------------------------------------------------ stack
@pytest.mark.parametrize(
    ("status", "expected", "action"),
    [
        (None, Status.OK, ""),
        ("UPDATE_COMPLETE", Status.OK, ""),
        ("UPDATE_ROLLBACK_COMPLETE", Status.OK, ""),
        ("ROLLBACK_COMPLETE", Status.FAIL, "aws cloudformation delete-stack --stack-name leadloop-dev"),
        ("UPDATE_ROLLBACK_FAILED", Status.FAIL, "continue-update-rollback --stack-name leadloop-dev"),
        ("UPDATE_IN_PROGRESS", Status.FAIL, "wait for it to end"),
    ],
)
def test_stack_state(status, expected, action):
    found = check_stack(deployed(status=status))
    assert found.status is expected and action in found.action
    if status is None:
        assert "the deploy creates it" in found.detail


def test_missing_credentials_stop_the_report_at_one_row():
    report = build_report(facts(identity=Read(failure=Failure("credentials", "NoCredentialsError"))), params())
    assert [(f.check, f.status) for f in report.findings] == [("account", Status.FAIL)]
    assert "aws sso login" in report.findings[0].action


def test_identity_names_the_account_and_region():
    assert check_identity(Read(value="111122223333"), deployed()).detail == "account 111122223333, region eu-west-1"


# ------------------------------------------------------------------ API Gateway logging role
@pytest.mark.parametrize(
    ("mode", "role", "expected", "words"),
    [
        ("Off", Read(value=None), Status.OK, "no account role needed"),
        ("UseAccountRole", Read(value=OTHER_ROLE), Status.OK, "uses the account's role team-apigw-logs"),
        ("UseAccountRole", Read(value=None), Status.FAIL, "no account role in eu-west-1"),
        ("CreateAccountRole", Read(value=None), Status.OK, "the stack creates one"),
        ("CreateAccountRole", Read(value=f"arn:aws:iam::1:role/{STACK_ROLE}"), Status.OK, "this stack's own"),
        ("CreateAccountRole", Read(value=OTHER_ROLE), Status.WARN, "will replace that region-wide setting"),
        ("CreateAccountRole", denied(), Status.WARN, "cannot read API Gateway's account settings"),
        ("UseAccountRole", denied(), Status.WARN, "the deploy fails if the account has no role"),
        ("Sometimes", Read(value=None), Status.FAIL, "not an allowed value"),
    ],
)
def test_logging_role(mode, role, expected, words):
    found = logging_role.check(mode, role, deployed())
    assert found.status is expected and words in found.detail, found


def test_a_missing_account_role_says_how_to_set_one_or_choose_another_mode():
    found = logging_role.check("UseAccountRole", Read(value=None), deployed())
    assert "update-account --patch-operations op=replace,path=/cloudwatchRoleArn" in found.action
    assert "AmazonAPIGatewayPushToCloudWatchLogs" in found.action
    assert "WebhookLogging=CreateAccountRole" in found.action


def test_replacing_another_role_is_a_note_with_the_way_to_keep_it():
    found = logging_role.check("CreateAccountRole", Read(value=OTHER_ROLE), deployed())
    assert found.action == "to keep the account's role, deploy with WebhookLogging=UseAccountRole"


# ------------------------------------------------------------------ reserved concurrency
def account(limit: int, unreserved: int) -> Read[AccountConcurrency]:
    return Read(value=AccountConcurrency(limit=limit, unreserved=unreserved))


def test_unreserved_by_default_fits_any_account():
    [found] = concurrency.check(params(), account(1000, 1000), {})
    assert found.status is Status.OK and found.subject == "unreserved" and "1000 stay unreserved" in found.detail


def test_reservations_that_leave_100_unreserved_pass():
    chosen = params(LeadFetchReservedConcurrency="50", LeadHasherReservedConcurrency="10")
    [found] = concurrency.check(chosen, account(1000, 1000), {})
    assert found.status is Status.OK and found.subject == "60 reserved" and "940 stay unreserved" in found.detail


def test_the_original_64_on_a_new_account_blocks_with_the_figures_and_what_to_do():
    chosen = params(
        LeadFetchReservedConcurrency="50",
        BackfillReservedConcurrency="1",
        LeadHasherReservedConcurrency="10",
        AudienceUploaderReservedConcurrency="3",
    )
    [found] = concurrency.check(chosen, account(150, 150), {})
    assert found.status is Status.FAIL and found.subject == "64 reserved"
    assert "account limit 150, 150 unreserved" in found.detail and "at most 50 can be reserved" in found.detail
    assert "lower LeadFetchReservedConcurrency=50 (--parameter-overrides)" in found.action
    assert "Service Quotas → AWS Lambda → Concurrent executions" in found.action


def test_what_this_stack_reserves_now_counts_as_available_again():
    chosen = params(LeadFetchReservedConcurrency="50")
    # 1000 limit, 880 unreserved because this stack holds 50 + 10 + 60 elsewhere; keeping 50 changes nothing.
    [same] = concurrency.check(chosen, account(1000, 880), {"LeadFetchFunction": 50, "LeadHasherFunction": 10})
    assert same.status is Status.OK and "(+60 this stack reserves now)" in same.detail
    # Moving 50 from LeadFetch to Backfill fits only once LeadFetch's 50 are released.
    moved = params(BackfillReservedConcurrency="50")
    [found] = concurrency.check(moved, account(150, 100), {"LeadFetchFunction": 50})
    assert found.status is Status.WARN and "fits only once this stack's current reservations" in found.detail
    assert "deploy once with the lowered values only" in found.action


def test_a_low_account_limit_warns_that_webhooks_will_be_throttled():
    findings = concurrency.check(params(), account(10, 10), {})
    assert [f.status for f in findings] == [Status.OK, Status.WARN]
    assert "10 concurrent executions: a burst of webhooks will be throttled" in findings[1].detail
    assert "(new accounts start low)" in findings[1].action


def test_a_value_that_is_not_a_count_blocks():
    [found] = concurrency.check(params(BackfillReservedConcurrency="-1"), account(1000, 1000), {})
    assert found.status is Status.FAIL and found.subject == "BackfillReservedConcurrency=-1 (--parameter-overrides)"


def test_the_local_stack_says_plainly_that_it_did_not_check():
    [found] = concurrency.check(params(), Read(), {}, "not checked on the local stack: ...")
    assert found.status is Status.OK and found.detail.startswith("not checked on the local stack")


def test_an_unreadable_account_setting_is_a_warning_naming_the_permission():
    [found] = concurrency.check(params(), denied(), {})
    assert found.status is Status.WARN and "lambda:GetAccountSettings" in found.action


# ------------------------------------------------------------------ regional services
def test_services_in_the_region():
    findings = services.check(
        {
            "stepfunctions": Read(value=True),
            "scheduler": Read(failure=Failure("unreachable", "EndpointConnectionError")),
        },
        "ap-southeast-7",
    )
    assert [f.status for f in findings] == [Status.OK, Status.FAIL]
    assert "EventBridge Scheduler cannot be reached in ap-southeast-7" in findings[1].detail
    assert "deploy to a region that offers EventBridge Scheduler" in findings[1].action


def test_a_denied_service_probe_is_only_a_warning():
    [found] = services.check({"scheduler": denied()}, "eu-west-1")
    assert found.status is Status.WARN and "scheduler:List*" in found.action


# ------------------------------------------------------------------ secret and routing of an existing stack
def test_the_secret_shape_keeps_field_names_never_values():
    text = (
        '{"app_secret": "REPLACE_ME", "verify_token": "s3cr3t-value", "access_token": "", '
        '"page_access_tokens": {"77": "REPLACE_ME", "78": "EAAB-real"}}'
    )
    shape = secret_shape(text)
    assert shape == SecretShape(placeholders=("app_secret", "page_access_tokens.77"), missing=("access_token",))
    assert "s3cr3t" not in repr(shape) and "EAAB" not in repr(shape)
    assert secret_shape("not json").not_json and secret_shape("[1]").not_json


def test_a_secret_on_its_placeholders_warns_with_the_command_to_fill_it():
    stack = deployed()
    shape = Read(value=SecretShape(placeholders=("app_secret", "access_token")))
    found = contents.check_secret(shape, stack)
    assert found.status is Status.WARN
    assert found.detail == "still unusable: app_secret, access_token: no lead can be fetched"
    assert f"put-secret-value --secret-id {stack.resources['MetaSecret']}" in found.action


def test_a_filled_secret_and_a_new_stack_pass():
    assert contents.check_secret(Read(value=SecretShape()), deployed()).status is Status.OK
    new = contents.check_secret(None, deployed(status=None))
    assert new.status is Status.OK and "fill them in after" in new.detail


def test_routing_that_does_not_validate_blocks_with_the_located_problem():
    found = contents.check_routing(Read(value='{"version":1,"forms":[{"form_id":"1","page_id":"p"}]}'))
    assert found.status is Status.FAIL
    assert "forms[0] (form_id 1): page_id: String should match" in found.detail
    assert "leadloop routing validate FILE, then leadloop routing set FILE" in found.action


def test_valid_routing_is_summarised():
    found = contents.check_routing(facts().routing)
    assert found.status is Status.OK and found.detail.startswith("1 form(s) on 1 Page(s), 1 audience(s)")


# ------------------------------------------------------------------ the whole report
def test_a_healthy_account_and_stack_pass_every_row():
    report = build_report(facts(), params())
    assert report.status is Status.OK
    assert [f.check for f in report.findings] == [
        "account",
        "stack",
        "logging_role",
        "concurrency",
        "service",
        "service",
        "secret",
        "routing",
    ]


def test_a_stack_that_cannot_be_read_is_a_warning_not_a_guess():
    report = build_report(
        facts(stack=replace(deployed(), status=None)), params(), stack_failure=denied("AccessDenied").failure
    )
    row = next(f for f in report.findings if f.check == "stack")
    assert row.status is Status.WARN and "cloudformation:DescribeStacks" in row.action
