"""The one table from domain errors to gRPC and google.rpc status codes."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from ..domain.errors import DeadlineExceeded, EngineFault, InvalidIntake, TriageError

# Core error -> (gRPC code, google.rpc code). Anything else is INTERNAL, never UNKNOWN.
STATUS: dict[type[TriageError], tuple[grpc.StatusCode, int]] = {
    InvalidIntake: (grpc.StatusCode.INVALID_ARGUMENT, code_pb2.INVALID_ARGUMENT),
    EngineFault: (grpc.StatusCode.INTERNAL, code_pb2.INTERNAL),
    DeadlineExceeded: (grpc.StatusCode.DEADLINE_EXCEEDED, code_pb2.DEADLINE_EXCEEDED),
}
INTERNAL = (grpc.StatusCode.INTERNAL, code_pb2.INTERNAL)


def status_codes(error: BaseException) -> tuple[grpc.StatusCode, int]:
    """The codes of the nearest class in the error's ancestry that the table names: a subclass
    of InvalidIntake is still INVALID_ARGUMENT. Anything else is INTERNAL."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return INTERNAL


def to_status(error: Exception) -> tuple[status_pb2.Status, grpc.StatusCode]:
    """The google.rpc.Status for an error, with a BadRequest naming each bad field."""
    grpc_code, rpc_code = status_codes(error)
    details = []
    if isinstance(error, InvalidIntake):
        message = "invalid request: " + "; ".join(v.field for v in error.violations)
        bad = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in error.violations
            ]
        )
        detail = any_pb2.Any()
        detail.Pack(bad)
        details.append(detail)
    elif isinstance(error, EngineFault):
        message = f"internal error; decision_id {error.decision_id}"
    elif isinstance(error, TriageError):
        message = str(error)
    else:
        message = "internal error"
    return status_pb2.Status(code=rpc_code, message=message, details=details), grpc_code
