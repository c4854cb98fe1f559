"""The Lambda context object, as far as the handlers and Powertools read it."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext


class FakeContext(LambdaContext):
    """A context with ``seconds`` of the invocation left (the clock does not run)."""

    function_name = "leadloop-test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:leadloop-test"
    aws_request_id = "req-1"

    def __init__(self, seconds: float = 30.0) -> None:
        self.seconds = seconds

    # Powertools types this as a static method of its stand-in class; Lambda's real one is bound.
    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return int(self.seconds * 1000)
