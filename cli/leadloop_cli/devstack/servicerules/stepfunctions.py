"""What Step Functions' ``StartExecution`` does with its request, where moto 5.2.5 differs.

* Name: "If you don't provide a name for the execution, Step Functions automatically generates a
  universally unique identifier (UUID) as the execution name" (API reference). moto's executing
  backend keeps ``None``, so ``$$.Execution.Name`` is null and the ARN ends in ``:None``.
* Input: at most 262,144 bytes ("Length constraints apply to the payload size, and are expressed as
  bytes in UTF-8 encoding"); a longer one is refused with ``ValidationException``. moto accepts any
  size.
* Task input: "The maximum input or output size for a task, state, or execution is 256 KiB" (quotas).
  moto checks every state's output and a task's result (``States.DataLimitExceeded``), not what a
  Lambda task sends once ``Parameters`` have built its payload.
"""

from __future__ import annotations

import uuid

__all__ = ["MAX_INPUT_BYTES", "execution_name", "input_size_error", "task_input_error"]

MAX_INPUT_BYTES = 262_144


def execution_name(name: str | None) -> str:
    """The execution's name: the caller's, or a generated UUID as AWS gives it."""
    return name if name else str(uuid.uuid4())


def input_size_error(execution_input: str | None) -> str | None:
    """Step Functions' refusal of an input over 262,144 bytes, or None when it fits."""
    if execution_input is None or len(execution_input.encode()) <= MAX_INPUT_BYTES:
        return None
    return (
        "1 validation error detected: Value at 'input' failed to satisfy constraint: "
        f"Member must have length less than or equal to {MAX_INPUT_BYTES}"
    )


def task_input_error(payload: bytes) -> str | None:
    """Why a Lambda task may not send ``payload`` (over 256 KiB: ``States.DataLimitExceeded``), or None."""
    if len(payload) <= MAX_INPUT_BYTES:
        return None
    return f"The state/task input of {len(payload)} bytes exceeds the maximum number of bytes service limit."
