"""The local stack: moto + the SAM template + real handlers + event sources + the Graph simulator.

``LocalStack`` (in :mod:`.stack`) is the entry point; ``leadloop dev up`` wraps it. Module map:
``cfn_yaml``/``intrinsics``/``template`` read the template, ``provision`` creates resources,
``lambda_hook`` routes moto's Lambda invokes to ``runtime`` (worker subprocesses, ``worker``),
``wiring`` turns ``Events`` into ``events.api``/``events.sqs``/``events.dynamodb``/``events.schedule``,
``seed`` creates the demo Meta objects, ``logsink`` writes the single log file.
"""

from __future__ import annotations

from .runtime import InvokeResult
from .stack import LocalStack, StackError, find_template

__all__ = ["InvokeResult", "LocalStack", "StackError", "find_template"]
