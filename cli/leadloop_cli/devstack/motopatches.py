"""Every change the local stack makes to moto, in one place, each pinned to the moto version it was written for.

DESIGN §4 allows one hook into moto (Lambda); the others exist because no narrower place does their
job. Each is checked against moto's version before it is installed.

* ``lambda_hook``: ``moto.awslambda.models.LambdaFunction._invoke_lambda``. Every invoke (boto3, Step
  Functions tasks) runs the real handler in a worker, within Lambda's 6 MB payload quotas. Installed
  by ``LocalStack`` with its router. Tests: ``tests/integration/devstack/test_devstack_runtime.py``,
  ``tests/integration/devstack/test_devstack_limits.py``.
* ``ddb_atomic``: ``moto.dynamodb.responses.DynamoHandler.call_action`` (and
  ``DynamoDBStreamsHandler``'s). DynamoDB applies each request atomically; moto evaluates a
  condition and writes without a lock, so concurrent conditional writes could all win. Tests:
  ``tests/integration/devstack/test_devstack_ddb_atomic.py``.
* ``sqs_scaling``: moto's private SQS message list (``moto.sqs.models.Queue``), ``Message.mark_received``
  and ``SQSBackend`` delete, visibility and send. moto scans every message on each request, so a
  10,000-message batch measures moto instead of leadloop. The widest patch; it stays because it
  changes nothing observable (its tests hold it to moto's own answers) and the alternative, another
  SQS emulator, would lose the redrive and visibility semantics the pollers rely on. Tests:
  ``tests/unit/devstack/test_sqs_scaling.py``.
* ``motorules``: ``moto.sqs.responses.SQSResponse.send_message`` / ``send_message_batch``,
  ``moto.stepfunctions.parser.models.StepFunctionsParserBackend.start_execution``, the parser's
  ``lambda_eval_utils.execute_lambda_function_integration`` and
  ``moto.events.models.EventsBackend.put_events``. Limits and names AWS enforces and moto does not:
  SQS message and batch sizes, an unnamed execution's UUID name, 256 KB of execution input and of
  Lambda task payload, 256 KB of PutEvents entries and a ``Detail`` that is a JSON object. Tests:
  ``tests/integration/devstack/test_devstack_limits.py``,
  ``tests/integration/devstack/test_devstack_eventbridge.py``.
* ``eventbridge_hook``: ``moto.events.models.Rule.send_to_targets``. EventBridge delivers to an API
  destination on its own time: the event as a JSON body with the connection's auth, at the
  destination's rate, retried with backoff within the target's ``RetryPolicy``, dead-lettered with
  EventBridge's attributes when the queue's policy admits ``events.amazonaws.com``. moto sends one
  bodyless request inside PutEvents, only with ``MOTO_EVENTS_INVOKE_HTTP``, and fails PutEvents for
  target types it lacks. The hook hands API-destination targets to the stack's delivery threads
  (``events.eventbridge``), leaves moto the targets it delivers (SQS, logs, buses, archives), skips
  disabled rules as AWS does. Installed by ``LocalStack`` with its delivery. Tests:
  ``tests/integration/devstack/test_devstack_eventbridge.py``,
  ``tests/unit/devstack/test_eventbridge_rules.py``.
* ``sfn_nested``: ``StateTaskServiceSfn._normalise_parameters`` / ``_normalise_response`` in
  ``moto.stepfunctions.parser``. Step Functions' own integration (``states:startExecution.sync:2``,
  the replace fan-out's child executions) names its parameters and answers as Step Functions does;
  moto 5.2.5 dropped that translation and fails every such task ``States.Runtime``. Tests:
  ``tests/unit/devstack/test_sfn_nested.py``, ``tests/integration/functions/test_all_replaces.py``.

* ``iam.moto_checks``: the name ``IAMRequest`` in ``moto.iam.access_control`` (looked up per request).
  With IAM enforced, moto recomputes the signature of a request without body or query string over
  its headers (so a Lambda ``GetFunctionConfiguration`` fails ``SignatureDoesNotMatch``), and renders
  every refusal as XML, which JSON-protocol clients report as code ``"403"``; the subclass verifies
  the body that was sent and refuses as AWS does (``AccessDeniedException``...). Installed by
  ``LocalStack`` when it enforces IAM. Tests: ``tests/integration/devstack/test_devstack_iam.py``.
* ``iam.sfn_identity``: the name ``boto3`` in ``moto.stepfunctions.parser.asl.utils.boto_client``.
  moto's Step Functions tasks sign with a fixed key (``ak``) its own IAM checks refuse; the proxy signs
  them with the state machine role's session, so a Lambda task needs ``lambda:InvokeFunction`` as on
  AWS. Installed by ``LocalStack`` when it enforces IAM. Tests:
  ``tests/integration/devstack/test_devstack_iam.py``.

:func:`install` installs ``ddb_atomic``, ``sqs_scaling``, ``motorules`` and ``sfn_nested`` when moto starts.
``tests/unit/devstack/test_moto_patches.py`` fails when moto's pin and :data:`SUPPORTED_MOTO_VERSION`
part ways, or when a target is gone.
"""

from __future__ import annotations

from . import ddb_atomic, eventbridge_hook, lambda_hook, motorules, sfn_nested, sqs_scaling
from .iam import moto_checks, sfn_identity

__all__ = ["SUPPORTED_MOTO_VERSION", "check_version", "install"]

SUPPORTED_MOTO_VERSION = "5.2.5"

#: The modules that patch moto, each with its own ``SUPPORTED_MOTO_VERSION`` check where it has one.
PATCH_MODULES = (
    lambda_hook,
    ddb_atomic,
    sqs_scaling,
    motorules,
    eventbridge_hook,
    sfn_nested,
    moto_checks,
    sfn_identity,
)


def check_version() -> None:
    """Refuse to patch a moto these patches were not written for."""
    import moto

    if moto.__version__ != SUPPORTED_MOTO_VERSION:
        raise RuntimeError(
            f"the local stack's moto patches support moto {SUPPORTED_MOTO_VERSION}, found {moto.__version__}; "
            "re-check each target listed in leadloop_cli/devstack/motopatches.py"
        )


def install() -> None:
    """Install the backend patches (idempotent); the Lambda and EventBridge hooks come with the stack."""
    check_version()
    sqs_scaling.install()
    ddb_atomic.install()
    motorules.install()
    sfn_nested.install()
