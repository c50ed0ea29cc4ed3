"""``python -m service healthcheck``: exit 0 when the local server reports SERVING (for Docker).

It asks the plaintext health port when one is configured (the setting for TLS or mutual TLS
on the main port), else the main port.
"""

from __future__ import annotations

import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVICE = "dermtriage.v1.TriageService"


def check(address: str, timeout: float) -> bool:
    """Whether the server at ``address`` reports SERVING for the triage service; says so on stdout
    (or why not on stderr)."""
    try:
        with grpc.insecure_channel(address) as channel:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=SERVICE), timeout=timeout
            )
    except grpc.RpcError as error:
        print(f"unhealthy: {error.code().name}", file=sys.stderr)
        return False
    serving = response.status == health_pb2.HealthCheckResponse.SERVING
    print("SERVING" if serving else health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))
    return serving
