"""Server interceptors, run when gRPC accepts a call and before a handler thread takes it:
the shutdown gate and the bearer-token check. Each refusal writes one access line."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import grpc

from .. import logs
from ..security import Security

# Probes (load balancers, Kubernetes) carry no token, and must see NOT_SERVING while the
# server drains; health says nothing about patients.
OPEN_METHODS = frozenset({"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"})
Continuation = Callable[[grpc.HandlerCallDetails], Any]
BEARER = "bearer "  # the authorization scheme, compared case-insensitively (RFC 6750)


class Gate(grpc.ServerInterceptor):  # type: ignore[misc]
    """Once closed (on shutdown), calls accepted from then on are answered UNAVAILABLE, which
    clients may retry elsewhere. Calls accepted before, running or still waiting for a
    thread, go on as usual: the server's stop waits for them."""

    def __init__(self, ruleset_version: str, worker: int | None = None):
        self._closed = threading.Event()
        self._fields = _fields(ruleset_version, worker, "UNAVAILABLE")

    def close(self) -> None:
        self._closed.set()

    def intercept_service(self, continuation: Continuation, details: grpc.HandlerCallDetails) -> Any:
        handler = continuation(details)
        if not self._closed.is_set() or details.method in OPEN_METHODS:
            return handler
        logs.access({**self._fields, "method": _method_name(details, handler)})
        return _refusal(handler, grpc.StatusCode.UNAVAILABLE, "the server is shutting down; retry")


class BearerTokens(grpc.ServerInterceptor):  # type: ignore[misc]
    """Refuses a call without ``authorization: Bearer <token>`` naming one of the tokens:
    UNAUTHENTICATED, before the request is parsed."""

    def __init__(self, security: Security, ruleset_version: str, worker: int | None = None):
        self._security = security
        self._fields = _fields(ruleset_version, worker, "UNAUTHENTICATED")

    def intercept_service(self, continuation: Continuation, details: grpc.HandlerCallDetails) -> Any:
        handler = continuation(details)
        if details.method in OPEN_METHODS:
            return handler
        token = _presented_token(details.invocation_metadata)
        if token is not None and self._security.token_ok(token):
            return handler
        logs.access({**self._fields, "method": _method_name(details, handler)})
        message = "missing bearer token" if token is None else "unknown bearer token"
        return _refusal(handler, grpc.StatusCode.UNAUTHENTICATED, message)


def _fields(ruleset_version: str, worker: int | None, status: str) -> dict[str, Any]:
    fields: dict[str, Any] = {"ruleset_version": ruleset_version, "status": status, "latency_ms": 0.0}
    if worker is not None:
        fields["worker"] = worker
    return fields


def _method_name(details: grpc.HandlerCallDetails, handler: Any) -> str:
    """The method's short name when the server has it; a name the caller made up is not logged."""
    return details.method.rsplit("/", 1)[-1] if handler is not None else "unknown"


def _presented_token(metadata: Any) -> str | None:
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str) and value[: len(BEARER)].lower() == BEARER:
            return value[len(BEARER) :].strip()
    return None


def _refusal(handler: Any, code: grpc.StatusCode, message: str) -> Any:
    """A handler of the same shape as the method's that answers ``code``."""

    def deny(_request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(code, message)

    if handler is None or not (handler.request_streaming or handler.response_streaming):
        return grpc.unary_unary_rpc_method_handler(deny)
    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(deny)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(deny)
    return grpc.unary_stream_rpc_method_handler(deny)
