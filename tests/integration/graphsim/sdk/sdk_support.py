"""Helpers for the SDK conformance tests: the SDK's API object for the simulator, hashing, errors."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.customaudience import CustomAudience
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession

from leadloop_cli.graphsim import GraphSimulator

ACCOUNT = "act_700000000000009"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Sdk:
    """The SDK's API object for the simulator, and ways to make more of its objects."""

    api: FacebookAdsApi
    sim: GraphSimulator
    app_id: str
    app_secret: str

    def with_token(self, token: str) -> FacebookAdsApi:
        """Another API object signed with ``token`` (the SDK computes its appsecret_proof)."""
        return FacebookAdsApi(FacebookSession(self.app_id, self.app_secret, token), FacebookAdsApi.API_VERSION)

    def account(self) -> AdAccount:
        return AdAccount(ACCOUNT, api=self.api)

    def new_audience(self, name: str = "SDK audience") -> CustomAudience:
        """A customer-file audience created as Meta documents it (subtype CUSTOM + customer_file_source)."""
        params = {
            CustomAudience.Field.name: name,
            CustomAudience.Field.subtype: CustomAudience.Subtype.custom,
            CustomAudience.Field.customer_file_source: CustomAudience.CustomerFileSource.user_provided_only,
        }
        created = self.account().create_custom_audience(params=params)
        return CustomAudience(created["id"], api=self.api)

    def members(self, audience: CustomAudience) -> list[list[Any]]:
        """The audience's exact members, from the simulator's control API."""
        view = self.sim.audience(audience["id"])
        assert view is not None
        members: list[list[Any]] = view["members"]
        return members


def raised(call: Callable[[], Any]) -> FacebookRequestError:
    """The SDK's error for a call that must fail."""
    with pytest.raises(FacebookRequestError) as caught:
        call()
    return caught.value
