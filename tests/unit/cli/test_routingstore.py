"""The routing parameter's tier: never lowered, Advanced when the document needs it, 8 KB refused."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from leadloop_cli.routingstore import RoutingStore, RoutingTooLarge

NAME = "/leadloop-test/routing"


@pytest.fixture
def ssm():
    with mock_aws():
        yield boto3.client("ssm", region_name="us-east-1")


def document(size: int) -> str:
    head = '{"version":1,"forms":[],"pad":"'
    return head + "x" * (size - len(head) - 2) + '"}'


def tier(ssm) -> str:
    return ssm.describe_parameters()["Parameters"][0]["Tier"]


@pytest.mark.parametrize(
    ("start", "size", "expected"),
    [("Standard", 4096, "Standard"), ("Standard", 4097, "Advanced"), ("Advanced", 100, "Advanced")],
)
def test_the_tier_fits_the_document_and_is_never_lowered(ssm, start, size, expected):
    ssm.put_parameter(Name=NAME, Value="{}", Type="String", Tier=start)
    written = RoutingStore(ssm, NAME).write(document(size))
    assert (written.tier, tier(ssm)) == (expected, expected)
    assert ssm.get_parameter(Name=NAME)["Parameter"]["Value"] == document(size)
    assert written.version == 2


def test_a_document_over_8_kb_is_refused_and_the_live_one_kept(ssm):
    ssm.put_parameter(Name=NAME, Value="{}", Type="String", Tier="Advanced")
    store = RoutingStore(ssm, NAME)
    assert len(document(8192).encode()) == 8192
    store.write(document(8192))
    with pytest.raises(RoutingTooLarge, match="8193 bytes; SSM holds at most 8192"):
        store.write(document(8193))
    assert store.read().text == document(8192) and store.read().version == 2
