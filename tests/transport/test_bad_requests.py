"""Bad requests get INVALID_ARGUMENT with a BadRequest naming each bad field; nothing is evaluated."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from service.domain.errors import InvalidIntake
from service.gen.dermtriage.v1 import triage_pb2 as pb
from service.transport import codec
from tests.support.paths import DATA

TABLE = yaml.safe_load((DATA / "bad_requests.yaml").read_text())["cases"]
PLACEHOLDERS = {"LONG_TEXT": "x" * 2001, "FULL_TEXT": "x" * 2000, "LONG_ID": "r" * 129}


def _fill(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v) for v in value]
    return PLACEHOLDERS.get(value, value) if isinstance(value, str) else value


def _request(case: dict[str, Any]) -> pb.AssessRequest:
    return json_format.ParseDict(_fill(case["request"]), pb.AssessRequest())


@pytest.mark.parametrize("case", TABLE, ids=[c["name"] for c in TABLE])
def test_core_names_each_bad_field(case: dict[str, Any], triage) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidIntake) as info:
        triage.assess(codec.decode_intake(_request(case)))
    assert sorted(v.field for v in info.value.violations) == sorted(case["fields"])


@pytest.mark.parametrize("case", TABLE, ids=[c["name"] for c in TABLE])
def test_server_answers_invalid_argument_with_bad_request(case: dict[str, Any], stub) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as info:
        stub.Assess(_request(case), timeout=10)
    error = info.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(error)
    assert status is not None, "INVALID_ARGUMENT must carry a google.rpc.Status"
    bad = error_details_pb2.BadRequest()
    assert status.details and status.details[0].Unpack(bad)
    assert sorted(v.field for v in bad.field_violations) == sorted(case["fields"])
    assert all(v.description for v in bad.field_violations)


def test_error_messages_do_not_echo_the_values_sent(stub) -> None:  # type: ignore[no-untyped-def]
    secret = "zz_patient_secret_code"
    request = pb.AssessRequest(channel=pb.CHANNEL_BOOKING, concerns=[pb.Concern(code=secret, text="my name is Jane")])
    with pytest.raises(grpc.RpcError) as info:
        stub.Assess(request, timeout=10)
    status = rpc_status.from_call(info.value)
    assert status is not None
    assert secret not in status.message and secret not in str(status.details)
    assert secret not in (info.value.details() or "")


def test_the_status_table_follows_an_errors_ancestry() -> None:
    """A more specific invalid-intake error is still INVALID_ARGUMENT with its fields, not INTERNAL."""
    from service.domain.errors import FieldViolation
    from service.transport.status import to_status

    class TooManyConcerns(InvalidIntake):
        pass

    status, code = to_status(TooManyConcerns([FieldViolation("concerns", "more than 20")]))
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    bad = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad)
    assert [v.field for v in bad.field_violations] == ["concerns"]
    assert to_status(RuntimeError("x"))[1] is grpc.StatusCode.INTERNAL


def test_texts_together_up_to_the_bound_are_read(triage) -> None:  # type: ignore[no-untyped-def]
    """4,000 characters of text in one request (the bound) are evaluated, not refused."""
    request = pb.AssessRequest(
        channel=pb.CHANNEL_TELEHEALTH_INTAKE,
        concerns=[pb.Concern(text="a dry patch " * 166)],
        free_text="a dry patch " * 166,
    )
    assert len(request.free_text) + len(request.concerns[0].text) <= 4000
    assert triage.assess(codec.decode_intake(request)).route is not None
