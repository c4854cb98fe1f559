"""The live routing document in SSM (``RoutingParameter``): read it, write it, keep its tier right.

A write always names the tier: never lower than the parameter's current one (SSM cannot move an
Advanced parameter back to Standard), and Advanced when the text is over the Standard tier's 4 KB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadloop_cli.routingdoc import ADVANCED_LIMIT, STANDARD_LIMIT
from leadloop_cli.target import Target

ROUTING_ID = "RoutingParameter"


class RoutingTooLarge(ValueError):
    """The document does not fit SSM's largest (Advanced) parameter value."""


@dataclass(frozen=True)
class StoredRouting:
    name: str
    text: str
    version: int
    tier: str


class RoutingStore:
    def __init__(self, ssm: Any, name: str) -> None:
        self.ssm = ssm
        self.name = name

    @classmethod
    def for_target(cls, target: Target) -> RoutingStore:
        return cls(target.client("ssm"), target.physical_id(ROUTING_ID))

    def read(self) -> StoredRouting:
        parameter = self.ssm.get_parameter(Name=self.name)["Parameter"]
        return StoredRouting(self.name, str(parameter["Value"]), int(parameter["Version"]), self._tier())

    def write(self, text: str) -> StoredRouting:
        """Overwrite the value with ``text`` (already validated or restored verbatim)."""
        size = len(text.encode("utf-8"))
        if size > ADVANCED_LIMIT:
            raise RoutingTooLarge(
                f"the document is {size} bytes; SSM holds at most {ADVANCED_LIMIT} (Advanced tier): "
                "drop forms no longer in use, optional names and field_map entries that repeat the defaults"
            )
        tier = "Advanced" if size > STANDARD_LIMIT or self._tier() == "Advanced" else "Standard"
        answer = self.ssm.put_parameter(Name=self.name, Value=text, Type="String", Overwrite=True, Tier=tier)
        return StoredRouting(self.name, text, int(answer["Version"]), str(answer.get("Tier") or tier))

    def _tier(self) -> str:
        only_this = [{"Key": "Name", "Option": "Equals", "Values": [self.name]}]
        answer = self.ssm.describe_parameters(ParameterFilters=only_this)
        found = answer.get("Parameters") or [{}]
        return str(found[0].get("Tier") or "Standard")
