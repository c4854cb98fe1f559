"""StateTable's one error family: what a refused call becomes, and which refusals are expected answers."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from leadloop.state.errors import AudienceLocked, StateError, error_code, is_condition_failure

THROTTLED = "ProvisionedThroughputExceededException"


def client_error(code: str | None) -> ClientError:
    response: dict[str, Any] = {"Error": {"Message": "refused"} | ({"Code": code} if code is not None else {})}
    return ClientError(response, "PutItem")  # type: ignore[arg-type]


def test_a_refused_call_is_named_by_dynamodbs_code():
    assert error_code(client_error(THROTTLED)) == THROTTLED


def test_a_refusal_without_a_code_is_named_by_its_class():
    assert error_code(client_error(None)) == "ClientError"


def test_a_transport_failure_is_named_by_its_class():
    assert error_code(EndpointConnectionError(endpoint_url="http://localhost:1")) == "EndpointConnectionError"


def test_a_failed_condition_is_recognised():
    assert is_condition_failure(client_error("ConditionalCheckFailedException")) is True


def test_another_refusal_is_not_a_failed_condition():
    assert is_condition_failure(client_error("ResourceNotFoundException")) is False


def test_a_transport_failure_is_not_a_failed_condition():
    assert is_condition_failure(EndpointConnectionError(endpoint_url="http://localhost:1")) is False


def test_a_held_lock_is_caught_as_a_state_error():
    # Given a caller that handles StateTable failures, When the lock is held, Then it is one of them
    assert isinstance(AudienceLocked("audience 1 is locked"), StateError)


def test_the_replace_state_machine_sees_the_held_lock_by_its_name():
    # The ASL stops on Error "AudienceLocked" (Lambda reports the class name): the name is a contract
    assert AudienceLocked.__name__ == "AudienceLocked"
