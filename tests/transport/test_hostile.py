"""Hostile input: generated requests, raw bytes and oversized bodies over a real channel."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from service.gen.dermtriage.v1 import triage_pb2 as pb
from service.transport.server import MAX_REQUEST_BYTES
from tests.support.fuzz import ASSESS, fuzz, outcome


def test_generated_requests_and_raw_bytes_get_only_allowed_answers_and_the_server_stays_up(channel) -> None:  # type: ignore[no-untyped-def]
    tally = fuzz(channel, examples=60, derandomize=True)
    assert sum(tally.values()) == 120
    # The same cases every run (derandomized), reaching every kind of answer: more than one path works.
    wanted = {
        "request: OK",
        "request: INVALID_ARGUMENT",
        "raw bytes: INVALID_ARGUMENT",
        "raw bytes: RESOURCE_EXHAUSTED",
    }
    assert wanted <= set(tally), tally
    check = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert check.status == health_pb2.HealthCheckResponse.SERVING


def test_a_request_over_64_kib_is_refused_before_decoding(stub) -> None:  # type: ignore[no-untyped-def]
    near = pb.AssessRequest(channel=pb.CHANNEL_BOOKING, free_text="a" * 1000)
    near.requested_treatments.add(code="facial")
    assert near.ByteSize() < MAX_REQUEST_BYTES
    assert stub.Assess(near, timeout=10).route == pb.ROUTE_MED_SPA
    over = pb.AssessRequest(channel=pb.CHANNEL_BOOKING, request_id="r", free_text="a" * MAX_REQUEST_BYTES)
    try:
        stub.Assess(over, timeout=10)
        raise AssertionError("a request over 64 KiB was answered")
    except grpc.RpcError as error:
        assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED


def test_bytes_that_are_no_message_are_invalid_argument_naming_the_request(channel) -> None:  # type: ignore[no-untyped-def]
    raw = channel.unary_unary(ASSESS)
    for body in (b"\xff\xff\xff\xff", b"\x0a\x05ab", b"\x3a\x02\xc3\x28"):  # bad tag, truncated, bad UTF-8
        assert outcome(lambda body=body: raw(body, timeout=10)) == "INVALID_ARGUMENT"
        try:
            raw(body, timeout=10)
        except grpc.RpcError as error:
            assert "request" in (error.details() or "")


def test_unknown_enum_numbers_and_odd_case_codes_name_their_fields(stub) -> None:  # type: ignore[no-untyped-def]
    request = pb.AssessRequest(channel=99)  # type: ignore[arg-type]
    request.requested_treatments.add(code="Facial")
    request.patient.fitzpatrick = 42  # type: ignore[assignment]
    try:
        stub.Assess(request, timeout=10)
        raise AssertionError("answered")
    except grpc.RpcError as error:
        assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
        details = error.details() or ""
        for field in ("channel", "requested_treatments[0].code", "patient.fitzpatrick"):
            assert field in details, (field, details)
