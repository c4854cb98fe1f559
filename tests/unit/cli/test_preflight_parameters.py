"""The parameter values preflight checks are the ones `sam deploy` will send."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadloop_cli.preflight.parameters import (
    DEFAULTS,
    ParameterError,
    effective,
    parse_overrides,
    read_samconfig,
    template_defaults,
)

SAMCONFIG = """
version = 0.1
[default.global.parameters]
stack_name = "leadloop-dev"
region = "eu-west-1"
[default.deploy.parameters]
parameter_overrides = "Stage=dev LeadFetchReservedConcurrency=20 'WebhookLogging=UseAccountRole'"
[prod.deploy.parameters]
stack_name = "leadloop-prod"
profile = "ops"
parameter_overrides = ["Stage=prod", "ParameterKey=BackfillReservedConcurrency,ParameterValue=2"]
"""


def test_both_override_spellings_quotes_and_tables():
    assert parse_overrides(["A=1 'B=two words'", "ParameterKey=C,ParameterValue=x=y", {"D": 4, "E": None}, ["F="]]) == {
        "A": "1",
        "B": "two words",
        "C": "x=y",
        "D": "4",
        "E": "",
        "F": "",
    }


def test_a_token_without_equals_is_refused():
    with pytest.raises(ParameterError, match="'Stage' is not KEY=VALUE"):
        parse_overrides(["Stage"])


def test_samconfig_deploy_section_over_global(tmp_path: Path):
    path = tmp_path / "samconfig.toml"
    path.write_text(SAMCONFIG)
    dev = read_samconfig(path, "default")
    assert (dev.stack_name, dev.region, dev.profile) == ("leadloop-dev", "eu-west-1", None)
    assert dev.parameter_overrides == {
        "Stage": "dev",
        "LeadFetchReservedConcurrency": "20",
        "WebhookLogging": "UseAccountRole",
    }
    prod = read_samconfig(path, "prod")
    assert (prod.stack_name, prod.profile) == ("leadloop-prod", "ops")
    assert prod.parameter_overrides == {"Stage": "prod", "BackfillReservedConcurrency": "2"}
    assert read_samconfig(tmp_path / "absent.toml", "default").parameter_overrides == {}


def test_command_line_replaces_samconfig_then_stack_value_then_template_default():
    chosen = effective(
        defaults={"WebhookLogging": "Off"},
        previous={"BackfillReservedConcurrency": "1", "LeadHasherReservedConcurrency": "10"},
        samconfig={"LeadFetchReservedConcurrency": "20"},
        command_line={"LeadHasherReservedConcurrency": "5"},
    )
    assert chosen.values == {
        "WebhookLogging": "Off",
        "LeadFetchReservedConcurrency": "0",  # samconfig's is not merged with the command line's
        "BackfillReservedConcurrency": "1",
        "LeadHasherReservedConcurrency": "5",
        "AudienceUploaderReservedConcurrency": "0",
    }
    assert chosen.sources["LeadHasherReservedConcurrency"] == "--parameter-overrides"
    assert chosen.sources["BackfillReservedConcurrency"] == "the stack's current value"
    assert chosen.describe("WebhookLogging") == "WebhookLogging=Off (template default)"


def test_a_new_stack_ignores_previous_values_and_uses_samconfig():
    chosen = effective(defaults={}, previous=None, samconfig={"LeadFetchReservedConcurrency": "20"}, command_line={})
    assert chosen.values["LeadFetchReservedConcurrency"] == "20"
    assert chosen.sources["LeadFetchReservedConcurrency"] == "samconfig.toml"


def test_the_template_declares_every_checked_parameter_with_the_same_default():
    defaults = template_defaults(Path(__file__).parents[3] / "infra" / "template.yaml")
    assert {name: defaults.get(name) for name in DEFAULTS} == DEFAULTS
