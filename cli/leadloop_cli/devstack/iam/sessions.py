"""Each function's role session (its workers' credentials) and the identity of Step Functions tasks.

Assumed while moto still lets every request through, as the service principals in the roles' trust
policies would assume them on AWS. A session name is the function's name, as Lambda names it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..resources import ProvisionResult
from .identities import Credentials, assume_role
from .sam_roles import STATES_TRUST

__all__ = ["RoleSessions", "open_sessions"]

_STATES = "\x00states"  # the Step Functions tasks' session among the functions' (never a logical id)


@dataclass(frozen=True)
class RoleSessions:
    """function logical id -> its role's session; the session Step Functions tasks sign with."""

    functions: dict[str, Credentials] = field(default_factory=dict)
    state_machines: Credentials | None = None


def _states_role_arn(result: ProvisionResult, iam: Any, stack_name: str) -> str | None:
    """The role Step Functions tasks run with: the one state machine's, or one with all their policies."""
    roles = {result.roles[lid].arn: result.roles[lid] for lid in result.state_machines if lid in result.roles}
    if len(roles) <= 1:
        return next(iter(roles), None)
    name = f"{stack_name}-StatesTasks"[:64]
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(STATES_TRUST))["Role"]["Arn"])
    for spec in roles.values():
        for policy_name, document in spec.moto_policies.items():
            iam.put_role_policy(
                RoleName=name, PolicyName=f"{spec.logical_id}-{policy_name}"[:128], PolicyDocument=json.dumps(document)
            )
    result.notes.append(f"{len(roles)} state machines: their tasks run with one role holding all their policies")
    return arn


def open_sessions(result: ProvisionResult, clients: Callable[[str], Any], stack_name: str) -> RoleSessions:
    """Assume every function's role, and the Step Functions tasks' role (before IAM is enforced)."""
    sts = clients("sts")
    wanted = {lid: (result.roles[lid].arn, spec.name) for lid, spec in result.functions.items() if lid in result.roles}
    states_arn = _states_role_arn(result, clients("iam"), stack_name)
    if states_arn:
        wanted[_STATES] = (states_arn, "states-tasks")

    def assume(call: tuple[str, str]) -> Credentials:
        return assume_role(sts, *call)

    with ThreadPoolExecutor(max_workers=8) as pool:  # one round trip each: a few at a time
        sessions = dict(zip(wanted, pool.map(assume, wanted.values()), strict=True))
    states = sessions.pop(_STATES, None)
    return RoleSessions(sessions, states)
