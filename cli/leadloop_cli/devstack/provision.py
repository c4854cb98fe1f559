"""Create the template's resources with boto3 against the moto endpoint.

moto's CloudFormation cannot deploy a SAM template faithfully (no API Gateway body, no secrets, no
Scheduler, empty state-machine definitions), so each supported type gets a small creator here that
translates CloudFormation properties into the service API call. Unknown types are skipped with a note.
Event-source mappings are deliberately *not* created in moto: :mod:`events` polls with Lambda's
semantics instead. Dynamic references (``{{resolve:secretsmanager:...}}``, ``ssm``, ``ssm-secure``) are
replaced with the stored values as each resource is created, as CloudFormation does
(:mod:`.dynamicrefs`); EventBridge's creators live in :mod:`.provision_eventbridge`.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import string
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .dynamicrefs import DynamicReferences
from .iam.roles import RoleBuilder
from .iam.sam_roles import function_role, state_machine_role
from .intrinsics import Resolver, TemplateError
from .naming import NameFactory
from .provision_eventbridge import EVENTBRIDGE_CREATORS
from .resources import (
    ApiSpec,
    FunctionSpec,
    Provisioned,
    ProvisionResult,
    ScheduleSpec,
    StateMachineSpec,
)
from .servicerules.apigateway import NO_LOG_ROLE_MESSAGE, stage_logs
from .servicerules.dashboard import dashboard_body_errors
from .servicerules.notifications import cloudwatch_publish_error, is_aws_managed_key
from .template import LATE_PROPERTIES, ResourceDef, Template

__all__ = ["Provisioner", "generate_secret_string", "layer_python_dir"]

log = logging.getLogger(__name__)

ClientFactory = Callable[[str], Any]
_Creator = Callable[["Provisioner", ResourceDef, dict[str, Any]], None]


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _attr_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _dummy_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Code runs in the leadloop devstack worker, not in moto.\n")
    return buffer.getvalue()


def generate_secret_string(spec: dict[str, Any]) -> str:
    """Secrets Manager's GenerateSecretString, locally (template JSON + generated key, or a password)."""
    length = int(spec.get("PasswordLength", 32))
    excluded = set(str(spec.get("ExcludeCharacters", "")))
    groups = []
    if not _bool(spec.get("ExcludeLowercase", False)):
        groups.append(string.ascii_lowercase)
    if not _bool(spec.get("ExcludeUppercase", False)):
        groups.append(string.ascii_uppercase)
    if not _bool(spec.get("ExcludeNumbers", False)):
        groups.append(string.digits)
    if not _bool(spec.get("ExcludePunctuation", False)):
        groups.append(string.punctuation)
    if _bool(spec.get("IncludeSpace", False)):
        groups.append(" ")
    groups = ["".join(c for c in group if c not in excluded) for group in groups]
    groups = [group for group in groups if group]
    if not groups:
        raise TemplateError("GenerateSecretString excludes every character")
    alphabet = "".join(groups)
    password = [secrets.choice(alphabet) for _ in range(length)]
    if _bool(spec.get("RequireEachIncludedType", True)) and length >= len(groups):
        positions = list(range(length))
        secrets.SystemRandom().shuffle(positions)
        for group, position in zip(groups, positions, strict=False):
            password[position] = secrets.choice(group)
    value = "".join(password)
    template = spec.get("SecretStringTemplate")
    key = spec.get("GenerateStringKey")
    if template is not None and key:
        document = json.loads(template)
        document[str(key)] = value
        return json.dumps(document)
    return value


def layer_python_dir(content_dir: Path) -> Path:
    """Where a layer's importable code is: ``python/`` when present (packaged layout), else the root."""
    python_dir = content_dir / "python"
    return python_dir if python_dir.is_dir() else content_dir


class Provisioner:
    """Creates every supported resource of ``template`` in dependency order."""

    def __init__(self, template: Template, clients: ClientFactory, *, name_seed: int | None = None) -> None:
        self.template = template
        self.clients = clients
        self.names = NameFactory(template.context.stack_name, seed=name_seed)
        self.result = ProvisionResult(region=template.context.region, account_id=template.context.account_id)
        self.resolver: Resolver = template.resolver(self.result)
        self.layer_dirs: dict[str, Path] = {}
        self.roles = RoleBuilder(self)
        self.dynamic_references = DynamicReferences(clients)
        self._zip = _dummy_zip()

    @property
    def region(self) -> str:
        return self.template.context.region

    @property
    def account_id(self) -> str:
        return self.template.context.account_id

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    def note(self, message: str) -> None:
        self.result.notes.append(message)
        log.info("%s", message)

    def provision_all(self) -> ProvisionResult:
        for logical_id, why in self.template.skipped.items():
            self.note(f"{logical_id} not created: {why}")
        for logical_id in self.template.provisioning_order():
            resource = self.template.resources[logical_id]
            creator = _CREATORS.get(resource.type)
            if creator is None:
                self.result.skipped_types[logical_id] = resource.type
                self.note(f"{logical_id} ({resource.type}) is not provisioned by the local stack")
                continue
            # Events, Policies and Role may name resources created later: wiring resolves events, and
            # the roles get their policies, once everything exists.
            late = LATE_PROPERTIES.get(resource.type, ())
            early = {key: value for key, value in resource.properties.items() if key not in late}
            try:
                properties = self.dynamic_references.resolve(self.resolver.resolve(early) or {})
                creator(self, resource, properties)
            except TemplateError as exc:
                raise TemplateError(f"{logical_id}: {exc}") from exc
        self.roles.attach_policies()
        return self.result

    # ------------------------------------------------------------------ helpers
    @property
    def partition(self) -> str:
        return self.template.context.partition

    def local_path(self, value: Any, what: str) -> Path | None:
        if not isinstance(value, str) or value.startswith("s3://"):
            return None
        path = (self.template.base_dir / value).resolve()
        if not path.exists():
            raise TemplateError(f"{what} {value!r} does not exist ({path})")
        return path

    def dummy_zip(self) -> bytes:
        return self._zip


# ---------------------------------------------------------------------- DynamoDB
def _table(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    name = props.get("TableName") or p.names.physical_name(res.logical_id, res.type)
    billing = props.get("BillingMode", "PROVISIONED")
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": billing,
    }
    default_throughput = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    if billing == "PROVISIONED":
        kwargs["ProvisionedThroughput"] = props.get("ProvisionedThroughput", default_throughput)
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(key):
            indexes = [dict(index) for index in props[key]]
            if billing == "PROVISIONED" and key == "GlobalSecondaryIndexes":
                for index in indexes:
                    index.setdefault("ProvisionedThroughput", default_throughput)
            kwargs[key] = indexes
    stream = props.get("StreamSpecification")
    if stream and stream.get("StreamViewType"):
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    sse = props.get("SSESpecification")
    if sse:
        spec = {"Enabled": _bool(sse.get("SSEEnabled", False))}
        if sse.get("SSEType"):
            spec["SSEType"] = sse["SSEType"]
        if sse.get("KMSMasterKeyId"):
            spec["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
        kwargs["SSESpecification"] = spec
    if "DeletionProtectionEnabled" in props:
        kwargs["DeletionProtectionEnabled"] = _bool(props["DeletionProtectionEnabled"])
    if props.get("TableClass"):
        kwargs["TableClass"] = props["TableClass"]
    if props.get("Tags"):
        kwargs["Tags"] = props["Tags"]
    ddb = p.clients("dynamodb")
    description = ddb.create_table(**kwargs)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and _bool(ttl.get("Enabled", False)):
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr and _bool(pitr.get("PointInTimeRecoveryEnabled", False)):
        ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    attributes = {"Arn": description["TableArn"]}
    if description.get("LatestStreamArn"):
        attributes["StreamArn"] = description["LatestStreamArn"]
    p.result.add(Provisioned(res.logical_id, res.type, name, attributes))


def _simple_table(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    key = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
    kind = {"String": "S", "Number": "N", "Binary": "B"}[key.get("Type", "String")]
    table: dict[str, Any] = {
        "AttributeDefinitions": [{"AttributeName": key["Name"], "AttributeType": kind}],
        "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
        "BillingMode": "PROVISIONED" if props.get("ProvisionedThroughput") else "PAY_PER_REQUEST",
    }
    for prop in ("TableName", "ProvisionedThroughput", "SSESpecification", "Tags"):
        if prop in props:
            table[prop] = props[prop] if prop != "Tags" else [{"Key": k, "Value": v} for k, v in props[prop].items()]
    _table(p, res, table)


# ---------------------------------------------------------------------- SQS
_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)


def _queue(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    fifo = _bool(props.get("FifoQueue", False))
    name = props.get("QueueName") or p.names.physical_name(res.logical_id, res.type, ending=".fifo" if fifo else "")
    attributes = {key: _attr_str(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    if not fifo:
        attributes.pop("FifoQueue", None)
    kwargs: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
    if props.get("Tags"):
        kwargs["tags"] = {tag["Key"]: tag["Value"] for tag in props["Tags"]}
    sqs = p.clients("sqs")
    url = sqs.create_queue(**kwargs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    p.result.add(Provisioned(res.logical_id, res.type, url, {"Arn": arn, "QueueName": name, "QueueUrl": url}))


# ---------------------------------------------------------------------- S3
def _bucket(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    name = props.get("BucketName") or p.names.physical_name(res.logical_id, res.type)
    s3 = p.clients("s3")
    kwargs: dict[str, Any] = {"Bucket": name}
    if p.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": p.region}
    s3.create_bucket(**kwargs)
    versioning = props.get("VersioningConfiguration")
    if versioning:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning["Status"]})
    encryption = props.get("BucketEncryption")
    if encryption:
        # CloudFormation says ServerSideEncryptionByDefault where the S3 API says Apply...ByDefault.
        renamed = {"ServerSideEncryptionByDefault": "ApplyServerSideEncryptionByDefault"}
        rules = [{renamed.get(k, k): v for k, v in r.items()} for r in encryption["ServerSideEncryptionConfiguration"]]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    block = props.get("PublicAccessBlockConfiguration")
    if block:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={k: _bool(v) for k, v in block.items()})
    if props.get("Tags"):
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": props["Tags"]})
    for ignored in ("LifecycleConfiguration", "NotificationConfiguration", "ReplicationConfiguration"):
        if ignored in props:
            p.note(f"{res.logical_id}.{ignored} is not applied locally")
    attributes = {
        "Arn": f"arn:aws:s3:::{name}",
        "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{p.region}.amazonaws.com",
        "WebsiteURL": f"http://{name}.s3-website-{p.region}.amazonaws.com",
    }
    p.result.add(Provisioned(res.logical_id, res.type, name, attributes))


# ---------------------------------------------------------------------- Secrets, SSM, logs, SNS, IAM
def _secret(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    name = props.get("Name") or f"{res.logical_id}-{p.names.suffix()}"
    if "SecretString" in props:
        value = str(props["SecretString"])
    elif "GenerateSecretString" in props:
        value = generate_secret_string(props["GenerateSecretString"])
    else:
        value = generate_secret_string({})
    kwargs: dict[str, Any] = {"Name": name, "SecretString": value}
    if props.get("Description"):
        kwargs["Description"] = props["Description"]
    if props.get("KmsKeyId"):
        kwargs["KmsKeyId"] = props["KmsKeyId"]
    if props.get("Tags"):
        kwargs["Tags"] = props["Tags"]
    arn = p.clients("secretsmanager").create_secret(**kwargs)["ARN"]
    p.result.add(Provisioned(res.logical_id, res.type, arn, {"Id": arn, "Arn": arn, "Name": name}))


def _parameter(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    name = props.get("Name") or f"CFN-{res.logical_id}-{p.names.suffix()}"
    kind = props.get("Type", "String")
    value = props["Value"]
    if isinstance(value, list):
        value = ",".join(map(str, value))
    kwargs: dict[str, Any] = {"Name": name, "Value": str(value), "Type": kind}
    for key in ("Description", "Tier", "AllowedPattern", "DataType"):
        if props.get(key):
            kwargs[key] = props[key]
    if props.get("Tags"):
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in props["Tags"].items()]
    p.clients("ssm").put_parameter(**kwargs)
    p.result.add(Provisioned(res.logical_id, res.type, name, {"Type": kind, "Value": str(value)}))


def _log_group(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    name = props.get("LogGroupName") or p.names.physical_name(res.logical_id, res.type)
    logs = p.clients("logs")
    logs.create_log_group(logGroupName=name)
    if props.get("RetentionInDays"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    arn = p.arn("logs", f"log-group:{name}:*")
    p.result.add(Provisioned(res.logical_id, res.type, name, {"Arn": arn}))


def _topic(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    name = props.get("TopicName") or p.names.physical_name(res.logical_id, res.type)
    attributes = {"KmsMasterKeyId": str(props["KmsMasterKeyId"])} if props.get("KmsMasterKeyId") else {}
    arn = p.clients("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
    p.result.add(Provisioned(res.logical_id, res.type, arn, {"TopicArn": arn, "TopicName": name}))


# ---------------------------------------------------------------------- KMS
def _kms_key(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    kms = p.clients("kms")
    kwargs: dict[str, Any] = {"Description": str(props.get("Description", res.logical_id))}
    if props.get("KeyPolicy"):
        kwargs["Policy"] = json.dumps(props["KeyPolicy"])
    key = kms.create_key(**kwargs)["KeyMetadata"]
    if _bool(props.get("EnableKeyRotation", False)):
        kms.enable_key_rotation(KeyId=key["KeyId"])
    p.result.add(Provisioned(res.logical_id, res.type, key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]}))


def _subscription(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    arn = p.clients("sns").subscribe(
        TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"], ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    p.result.add(Provisioned(res.logical_id, res.type, arn, {}))


# ---------------------------------------------------------------------- CloudWatch
def _alarm(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    name = props.get("AlarmName") or p.names.physical_name(res.logical_id, res.type)
    kwargs: dict[str, Any] = {
        "AlarmName": name,
        "ComparisonOperator": props["ComparisonOperator"],
        "EvaluationPeriods": int(props["EvaluationPeriods"]),
        "Threshold": float(props["Threshold"]),
        "ActionsEnabled": True,
    }
    optional = (
        "AlarmDescription",
        "Namespace",
        "MetricName",
        "Statistic",
        "TreatMissingData",
        "AlarmActions",
        "OKActions",
    )
    kwargs |= {key: props[key] for key in optional if key in props}
    if "Period" in props:
        kwargs["Period"] = int(props["Period"])
    if "Dimensions" in props:
        kwargs["Dimensions"] = [{"Name": d["Name"], "Value": str(d["Value"])} for d in props["Dimensions"]]
    for action in {*kwargs.get("AlarmActions", []), *kwargs.get("OKActions", [])}:
        why = _cloudwatch_cannot_publish(p, str(action))
        if why:
            raise TemplateError(f"CloudWatch cannot notify {action}: {why}")
    p.clients("cloudwatch").put_metric_alarm(**kwargs)
    arn = p.arn("cloudwatch", f"alarm:{name}")
    p.result.add(Provisioned(res.logical_id, res.type, name, {"Arn": arn}))


def _cloudwatch_cannot_publish(p: Provisioner, action: str) -> str | None:
    """Why an alarm action (a topic ARN of this stack) would never be delivered, as AWS decides."""
    if not action.startswith("arn:aws:sns:"):
        return None
    attributes = p.clients("sns").get_topic_attributes(TopicArn=action)["Attributes"]
    key_id = attributes.get("KmsMasterKeyId")
    if not key_id or is_aws_managed_key(key_id):
        return cloudwatch_publish_error(key_id, None)
    policy = p.clients("kms").get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
    return cloudwatch_publish_error(key_id, json.loads(policy))


def _dashboard(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    """PutDashboard, refusing what CloudWatch refuses (moto stores any string)."""
    name = props.get("DashboardName") or p.names.physical_name(res.logical_id, res.type)
    body = str(props["DashboardBody"])
    try:
        errors = dashboard_body_errors(json.loads(body))
    except ValueError as exc:
        raise TemplateError(f"{res.logical_id}: DashboardBody is not JSON after substitutions: {exc}") from None
    if errors:
        raise TemplateError(f"{res.logical_id}: CloudWatch refuses the DashboardBody: {'; '.join(errors)}")
    p.clients("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=body)
    p.result.add(Provisioned(res.logical_id, res.type, name, {}))


def _iam_role(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    p.roles.create_declared(res, props)


# ---------------------------------------------------------------------- Lambda
def _layer(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    name = props.get("LayerName") or res.logical_id
    content = props.get("ContentUri", props.get("Content"))
    directory = p.local_path(content, "layer ContentUri")
    kwargs: dict[str, Any] = {"LayerName": name, "Content": {"ZipFile": p.dummy_zip()}}
    if props.get("CompatibleRuntimes"):
        kwargs["CompatibleRuntimes"] = props["CompatibleRuntimes"]
    if props.get("Description"):
        kwargs["Description"] = props["Description"]
    arn = p.clients("lambda").publish_layer_version(**kwargs)["LayerVersionArn"]
    if directory is None:
        p.note(f"{res.logical_id}: layer content {content!r} is not a local directory; not on PYTHONPATH")
    else:
        p.layer_dirs[arn] = layer_python_dir(directory)
    p.result.add(Provisioned(res.logical_id, res.type, arn, {"Arn": arn}))


def _function(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    name = props.get("FunctionName") or p.names.physical_name(res.logical_id, res.type)
    code = props.get("CodeUri", props.get("Code"))
    code_dir = p.local_path(code, "CodeUri")
    if code_dir is None:
        p.note(f"{res.logical_id}: code {code!r} is not a local directory; invoking it will fail locally")
    runtime = props.get("Runtime", "python3.13")
    handler = props.get("Handler", "app.handler")
    timeout = int(props.get("Timeout", 3))
    memory = int(props.get("MemorySize", 128))
    env = {k: _attr_str(v) for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()}
    layers = [str(arn) for arn in props.get("Layers") or []]
    generated = function_role(res.logical_id, res.properties, resolve=p.resolver.resolve, partition=p.partition)
    role_arn = p.roles.create_generated(res.logical_id, generated, res.properties.get("Role"))
    kwargs: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": runtime,
        "Role": role_arn,
        "Handler": handler,
        "Code": {"ZipFile": p.dummy_zip()},
        "Timeout": timeout,
        "MemorySize": memory,
        "Environment": {"Variables": env},
        "Publish": False,
    }
    if layers:
        kwargs["Layers"] = layers
    if props.get("Architectures"):
        kwargs["Architectures"] = props["Architectures"]
    if props.get("Description"):
        kwargs["Description"] = props["Description"]
    lam = p.clients("lambda")
    arn = lam.create_function(**kwargs)["FunctionArn"]
    reserved = props.get("ReservedConcurrentExecutions")
    if reserved is not None:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=int(reserved))
    logging_config = props.get("LoggingConfig") or {}
    missing_layers = [arn for arn in layers if arn not in p.layer_dirs]
    if missing_layers:
        p.note(f"{res.logical_id}: layers without local content: {', '.join(missing_layers)}")
    p.result.functions[res.logical_id] = FunctionSpec(
        logical_id=res.logical_id,
        name=name,
        arn=arn,
        handler=handler,
        runtime=runtime,
        timeout=timeout,
        memory_size=memory,
        environment=env,
        code_dir=code_dir,
        layer_dirs=tuple(p.layer_dirs[arn] for arn in layers if arn in p.layer_dirs),
        reserved_concurrency=int(reserved) if reserved is not None else None,
        log_group=str(logging_config.get("LogGroup") or f"/aws/lambda/{name}"),
        log_format=logging_config.get("LogFormat"),
        application_log_level=logging_config.get("ApplicationLogLevel"),
        events=dict(res.properties.get("Events") or {}),
    )
    p.result.add(Provisioned(res.logical_id, res.type, name, {"Arn": arn}))


def _lambda_function(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    if not isinstance(props.get("Code"), str):
        p.result.skipped_types[res.logical_id] = res.type
        p.note(f"{res.logical_id}: AWS::Lambda::Function without a local Code path is not run locally")
        return
    _function(p, res, props)


# ---------------------------------------------------------------------- API Gateway
def _api(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    """A REST API is served by the local API shim; only its id is made here.

    (moto's API Gateway backend costs ~2 s to load and nothing reads it back.)
    """
    stage = props.get("StageName")
    if not stage:
        raise TemplateError("StageName is required")
    if stage_logs(props) and not p.result.api_gateway_log_role:
        raise TemplateError(f"{res.logical_id} stage {stage}: {NO_LOG_ROLE_MESSAGE}")
    api_id = p.names.suffix(10).lower()
    root_id = p.names.suffix(10).lower()
    p.result.apis[res.logical_id] = ApiSpec(res.logical_id, api_id, str(stage))
    p.result.add(Provisioned(res.logical_id, res.type, api_id, {"RootResourceId": root_id}))


def _api_gateway_account(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    """The region's API Gateway account setting: only its logging role matters locally."""
    role = props.get("CloudWatchRoleArn")
    if not role:
        raise TemplateError("CloudWatchRoleArn is required")
    p.result.api_gateway_log_role = str(role)
    p.result.add(Provisioned(res.logical_id, res.type, f"{p.account_id}-{p.region}", {}))


# ---------------------------------------------------------------------- Step Functions
def _substitute(definition: str, substitutions: dict[str, Any]) -> str:
    for key, value in substitutions.items():
        text = value if isinstance(value, str) else _attr_str(value)
        definition = definition.replace("${" + key + "}", json.dumps(text)[1:-1])
    return definition


def _load_definition(p: Provisioner, props: dict[str, Any]) -> tuple[str, str]:
    """The definition text (before substitutions) and where it came from."""
    if props.get("Definition") is not None:
        return json.dumps(props["Definition"]), "Definition"
    if props.get("DefinitionString") is not None:
        return str(props["DefinitionString"]), "DefinitionString"
    uri = props.get("DefinitionUri")
    path = p.local_path(uri, "DefinitionUri")
    if path is None:
        raise TemplateError(f"DefinitionUri {uri!r} is not a local file (S3 definitions are not supported)")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            return json.dumps(yaml.safe_load(text)), str(path)
        except yaml.YAMLError as exc:
            raise TemplateError(f"state machine definition {path} is not valid YAML: {exc}") from exc
    return text, str(path)


def _state_machine(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    name = props.get("Name") or props.get("StateMachineName") or p.names.physical_name(res.logical_id, res.type)
    text, source = _load_definition(p, props)
    definition = _substitute(text, props.get("DefinitionSubstitutions") or {})
    try:
        json.loads(definition)  # CloudFormation substitutes first, then the JSON must be valid
    except ValueError as exc:
        raise TemplateError(f"state machine definition {source} is not valid JSON after substitutions: {exc}") from exc
    if props.get("RoleArn"):  # AWS::StepFunctions::StateMachine names its role
        role_arn = p.roles.use_declared(res.logical_id, props["RoleArn"])
    else:
        generated = state_machine_role(res.logical_id, res.properties, partition=p.partition)
        role_arn = p.roles.create_generated(res.logical_id, generated, res.properties.get("Role"))
    kind = props.get("Type") or props.get("StateMachineType") or "STANDARD"
    sfn = p.clients("stepfunctions")
    arn = sfn.create_state_machine(name=name, definition=definition, roleArn=role_arn, type=kind)["stateMachineArn"]
    p.result.state_machines[res.logical_id] = StateMachineSpec(
        res.logical_id, name, arn, events=dict(res.properties.get("Events") or {})
    )
    p.result.add(Provisioned(res.logical_id, res.type, arn, {"Name": name, "Arn": arn}))


# ---------------------------------------------------------------------- Scheduler
def _schedule(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    name = props.get("Name") or p.names.physical_name(res.logical_id, res.type)
    group = props.get("GroupName") or "default"
    target = props.get("Target") or {}
    target_arn = str(target.get("Arn", ""))
    kind = "statemachine" if ":states:" in target_arn else "function"
    p.result.schedules.append(
        ScheduleSpec(
            owner=res.logical_id,
            name=res.logical_id,
            kind="ScheduleV2",
            expression=str(props["ScheduleExpression"]),
            target_arn=target_arn,
            target_kind=kind,
            input=target.get("Input"),
            timezone=props.get("ScheduleExpressionTimezone"),
            enabled=str(props.get("State", "ENABLED")).upper() == "ENABLED",
        )
    )
    arn = p.arn("scheduler", f"schedule/{group}/{name}")
    p.result.add(Provisioned(res.logical_id, res.type, name, {"Arn": arn}))


_CREATORS: dict[str, _Creator] = {
    "AWS::DynamoDB::Table": _table,
    "AWS::Serverless::SimpleTable": _simple_table,
    "AWS::SQS::Queue": _queue,
    "AWS::S3::Bucket": _bucket,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::SSM::Parameter": _parameter,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::SNS::Topic": _topic,
    "AWS::KMS::Key": _kms_key,
    "AWS::ApiGateway::Account": _api_gateway_account,
    "AWS::SNS::Subscription": _subscription,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::CloudWatch::Dashboard": _dashboard,
    "AWS::IAM::Role": _iam_role,
    "AWS::Serverless::LayerVersion": _layer,
    "AWS::Lambda::LayerVersion": _layer,
    "AWS::Serverless::Function": _function,
    "AWS::Lambda::Function": _lambda_function,
    "AWS::Serverless::Api": _api,
    "AWS::Serverless::StateMachine": _state_machine,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::Scheduler::Schedule": _schedule,
    **EVENTBRIDGE_CREATORS,
}
