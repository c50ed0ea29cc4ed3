"""Bearer-token check for every call except the health service (a server interceptor)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc

from . import logs
from .security import Security

# Probes (load balancers, Kubernetes) carry no token; health says nothing about patients.
OPEN_METHODS = frozenset({"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"})


def _presented_token(metadata: Any) -> str | None:
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str) and value[:7].lower() == "bearer ":
            return value[7:].strip()
    return None


class BearerTokens(grpc.ServerInterceptor):  # type: ignore[misc]
    """Refuses a call without ``authorization: Bearer <token>`` naming one of the tokens:
    UNAUTHENTICATED, before any request byte is read, with one access-log line."""

    def __init__(self, security: Security, ruleset_version: str, worker: int | None = None):
        self._security = security
        self._fields: dict[str, Any] = {"ruleset_version": ruleset_version, "status": "UNAUTHENTICATED"}
        if worker is not None:
            self._fields["worker"] = worker

    def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], Any], details: grpc.HandlerCallDetails
    ) -> Any:
        if details.method in OPEN_METHODS:
            return continuation(details)
        start = time.perf_counter()
        token = _presented_token(details.invocation_metadata)
        if token is not None and self._security.token_ok(token):
            return continuation(details)
        fields = {
            **self._fields,
            "method": details.method.rsplit("/", 1)[-1],
            "latency_ms": round((time.perf_counter() - start) * 1000, 3),
        }
        logs.access(fields)
        message = "missing bearer token" if token is None else "unknown bearer token"
        return _refusal(continuation(details), message)


def _refusal(handler: Any, message: str) -> Any:
    """A handler of the same shape as the method's that answers UNAUTHENTICATED."""

    def deny(_request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    if handler is None or not (handler.request_streaming or handler.response_streaming):
        return grpc.unary_unary_rpc_method_handler(deny)
    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(deny)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(deny)
    return grpc.unary_stream_rpc_method_handler(deny)
