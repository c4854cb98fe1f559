"""Who calls the local AWS: an admin user (provisioning, operators, tests) and each role's session.

With IAM enforced, moto only accepts requests signed by an access key it issued: an IAM user's key, or
an assumed role's session (key, secret and token). The admin is an IAM user with ``Action: "*"``.
Roles are assumed before enforcement starts, the way Lambda and Step Functions assume them as their
service principals (the admin is not in the roles' trust policies, and should not be).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["ADMIN_USER", "Credentials", "assume_role", "create_admin"]

ADMIN_USER = "leadloop-local-admin"
_ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass(frozen=True)
class Credentials:
    """An access key (and session token, for a role's session)."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def environment(self) -> dict[str, str]:
        """``AWS_*`` variables as Lambda sets them for a function's role."""
        env = {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}
        if self.session_token:
            env["AWS_SESSION_TOKEN"] = self.session_token
        return env

    def session_arguments(self) -> dict[str, str]:
        """Keyword arguments for ``boto3.session.Session``/``client``."""
        arguments = {"aws_access_key_id": self.access_key_id, "aws_secret_access_key": self.secret_access_key}
        if self.session_token:
            arguments["aws_session_token"] = self.session_token
        return arguments


def create_admin(iam: Any) -> Credentials:
    """An IAM user allowed everything, and its access key."""
    iam.create_user(UserName=ADMIN_USER)
    iam.put_user_policy(UserName=ADMIN_USER, PolicyName="AdministratorAccess", PolicyDocument=json.dumps(_ADMIN_POLICY))
    key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
    return Credentials(str(key["AccessKeyId"]), str(key["SecretAccessKey"]))


def assume_role(sts: Any, role_arn: str, session_name: str) -> Credentials:
    """A session of ``role_arn`` (moto does not expire sessions; AWS would after DurationSeconds)."""
    answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name[:64])["Credentials"]
    return Credentials(str(answer["AccessKeyId"]), str(answer["SecretAccessKey"]), str(answer["SessionToken"]))
