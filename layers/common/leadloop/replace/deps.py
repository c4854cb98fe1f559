"""What the replace tasks need, passed in so tests can build it around moto and the simulator."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leadloop.replace.meta import Graph
from leadloop.replace.staging_bucket import StagingStore
from leadloop.routing import Routing
from leadloop.rows.session import random_session_id
from leadloop.settings import AudienceReplaceSettings
from leadloop.state.replace_records import ReplaceRecords


@dataclass
class ReplaceDeps:
    graph: Callable[[], Graph]
    records: ReplaceRecords
    staging: Callable[[str], StagingStore]
    dynamodb: Any
    s3: Any
    routing: Callable[[], Routing]
    settings: AudienceReplaceSettings
    clock: Callable[[], float] = time.time
    new_session_id: Callable[[], int] = random_session_id
