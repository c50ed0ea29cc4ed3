"""``python -m service.healthcheck``: exit 0 when the local server reports SERVING (for Docker).

It asks the plaintext health port when ``DERMTRIAGE_HEALTH_PORT`` is set (the setting for TLS
or mutual TLS on the main port), else the main port.
"""

from __future__ import annotations

import argparse
import os
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    port = os.environ.get("DERMTRIAGE_HEALTH_PORT") or os.environ.get("DERMTRIAGE_PORT", "50051")
    parser.add_argument("--address", default=f"127.0.0.1:{port}")
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args(argv)
    try:
        with grpc.insecure_channel(args.address) as channel:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service="dermtriage.v1.TriageService"), timeout=args.timeout
            )
    except grpc.RpcError as error:
        print(f"unhealthy: {error.code().name}", file=sys.stderr)
        return 1
    serving = response.status == health_pb2.HealthCheckResponse.SERVING
    print("SERVING" if serving else health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))
    return 0 if serving else 1


if __name__ == "__main__":
    sys.exit(main())
