"""Meta's official Python SDK (facebook-business) pointed at the running simulator.

The SDK builds every URL as ``FacebookSession.GRAPH/{api_version}/...``. The fixture points
``GRAPH`` at the simulator for the test (so no call can leave the machine), keeps the SDK's own
default API version, and leaves the SDK's crash reporter off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from facebook_business.api import FacebookAdsApi
from facebook_business.session import FacebookSession

from leadloop_cli.graphsim import GraphSimulator
from tests.integration.graphsim.sdk.sdk_support import ACCOUNT, Sdk


@pytest.fixture
def sdk(sim: GraphSimulator, ids: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sdk]:
    monkeypatch.setattr(FacebookSession, "GRAPH", sim.base_url)
    monkeypatch.setattr(FacebookAdsApi, "_default_api", None)  # init() sets it; restored after the test
    api = FacebookAdsApi.init(
        app_id=ids.app_id, app_secret=ids.app_secret, access_token=ids.page_token, crash_log=False
    )
    sim.add_ad_account(ACCOUNT)
    yield Sdk(api=api, sim=sim, app_id=ids.app_id, app_secret=ids.app_secret)
