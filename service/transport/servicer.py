"""The gRPC servicer: decodes, delegates to the domain, encodes; errors by the status table."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import grpc
from grpc_status import rpc_status

from .. import logs
from ..domain.errors import EngineFault, FieldViolation, InvalidIntake, TriageError
from ..domain.triage import Triage
from ..gen.dermtriage.v1 import triage_pb2 as pb
from ..gen.dermtriage.v1 import triage_pb2_grpc
from . import codec
from .status import to_status

log = logging.getLogger("dermtriage")
MAX_CAUSES = 5  # exception classes of a chain named in a fault's log line


class Undecodable:
    """A request body that is not the method's message: answered INVALID_ARGUMENT naming it,
    where gRPC's own deserializer failure would answer INTERNAL and log a traceback."""

    __slots__ = ()


UNDECODABLE = Undecodable()
_BAD_BODY = FieldViolation("request", "not a valid protobuf message of this method's request type")


def _lenient(parse: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def deserialize(data: bytes) -> Any:
        try:
            return parse(data)
        except Exception:
            return UNDECODABLE

    return deserialize


def add_to_server(servicer: TriageServicer, server: grpc.Server) -> None:
    """Registers TriageService like the generated ``add_TriageServiceServicer_to_server``, with
    request decoding that cannot fail."""
    handlers = {
        "Assess": grpc.unary_unary_rpc_method_handler(
            servicer.Assess,
            request_deserializer=_lenient(pb.AssessRequest.FromString),
            response_serializer=pb.AssessResponse.SerializeToString,
        ),
        "GetRuleset": grpc.unary_unary_rpc_method_handler(
            servicer.GetRuleset,
            request_deserializer=_lenient(pb.GetRulesetRequest.FromString),
            response_serializer=pb.GetRulesetResponse.SerializeToString,
        ),
    }
    name = pb.DESCRIPTOR.services_by_name["TriageService"].full_name
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(name, handlers),))
    server.add_registered_method_handlers(name, handlers)


class TriageServicer(triage_pb2_grpc.TriageServiceServicer):
    """Delegates every call to one Triage; logs one JSON line a call and nothing from the request."""

    def __init__(self, triage: Triage, worker: int | None = None):
        self._triage = triage
        self._worker = worker  # which worker process answered, in the access log
        rs = triage.ruleset
        self._ruleset_response = codec.encode_ruleset(rs.version, rs.rulebook, rs.catalog)

    def Assess(self, request: pb.AssessRequest, context: grpc.ServicerContext) -> pb.AssessResponse:
        def run(fields: dict[str, Any]) -> pb.AssessResponse:
            if request is UNDECODABLE:
                raise InvalidIntake([_BAD_BODY])  # a fresh exception: one shared would share tracebacks
            remaining = context.time_remaining()
            decision = self._triage.assess(codec.decode_intake(request), timeout=remaining)
            fields["decision_id"] = decision.decision_id
            return codec.encode_decision(decision)

        return self._call("Assess", context, run)

    def GetRuleset(self, request: pb.GetRulesetRequest, context: grpc.ServicerContext) -> pb.GetRulesetResponse:
        def run(fields: dict[str, Any]) -> pb.GetRulesetResponse:
            if request is UNDECODABLE:
                raise InvalidIntake([_BAD_BODY])  # a fresh exception: one shared would share tracebacks
            return self._ruleset_response

        return self._call("GetRuleset", context, run)

    def _call(self, method: str, context: grpc.ServicerContext, run: Callable[[dict[str, Any]], Any]) -> Any:
        start = time.perf_counter()
        fields: dict[str, Any] = {"method": method, "ruleset_version": self._triage.ruleset.version}
        if self._worker is not None:
            fields["worker"] = self._worker
        try:
            response = run(fields)
            fields["status"] = "OK"
            return response
        except Exception as error:
            if isinstance(error, EngineFault):
                fields["decision_id"] = error.decision_id
                log.error(
                    json.dumps({"event": "engine_fault", "decision_id": error.decision_id, "cause": _cause(error)})
                )
            elif not isinstance(error, TriageError):
                log.error(json.dumps({"event": "unexpected_error", "method": method, "cause": _cause(error)}))
            status, grpc_code = to_status(error)
            fields["status"] = grpc_code.name
            context.abort_with_status(rpc_status.to_status(status))
        finally:
            fields["latency_ms"] = round((time.perf_counter() - start) * 1000, 3)
            logs.access(fields)


def _cause(error: BaseException) -> str:
    """The exception class names of the chain: never messages, which could carry request data."""
    names: list[str] = []
    current: BaseException | None = error
    while current is not None and len(names) < MAX_CAUSES:
        names.append(type(current).__name__)
        current = current.__cause__
    return " <- ".join(names)
