"""Configuration in one place: command-line flags with DERMTRIAGE_* environment fallbacks."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from .rules_loader import DEFAULT_RULES_DIR


@dataclass(frozen=True)
class Config:
    host: str = "[::]"
    port: int = 50051
    rules_dir: Path = DEFAULT_RULES_DIR
    threads: int = 8
    max_in_flight: int = 64
    grace_seconds: float = 10.0
    log_level: str = "INFO"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"DERMTRIAGE_{name}", default)


def add_serve_flags(parser: argparse.ArgumentParser) -> None:
    d = Config()
    parser.add_argument("--host", default=_env("HOST", d.host), help="address to bind (env DERMTRIAGE_HOST)")
    parser.add_argument(
        "--port",
        type=int,
        default=int(_env("PORT", str(d.port))),
        help="port; 0 picks a free one (env DERMTRIAGE_PORT)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=int(_env("THREADS", str(d.threads))),
        help="gRPC handler threads (env DERMTRIAGE_THREADS)",
    )
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=int(_env("MAX_IN_FLIGHT", str(d.max_in_flight))),
        help="calls in progress past which new calls get RESOURCE_EXHAUSTED at once (env DERMTRIAGE_MAX_IN_FLIGHT)",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=float(_env("GRACE", str(d.grace_seconds))),
        help="seconds to finish in-flight calls on SIGTERM (env DERMTRIAGE_GRACE)",
    )


def add_common_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules-dir",
        type=Path,
        default=Path(_env("RULES_DIR", str(DEFAULT_RULES_DIR))),
        help="the rules/ directory (env DERMTRIAGE_RULES_DIR)",
    )
    parser.add_argument("--log-level", default=_env("LOG_LEVEL", "INFO"), help="log level (env DERMTRIAGE_LOG_LEVEL)")


def from_args(args: argparse.Namespace) -> Config:
    return Config(
        host=getattr(args, "host", Config.host),
        port=getattr(args, "port", Config.port),
        rules_dir=args.rules_dir,
        threads=getattr(args, "threads", Config.threads),
        max_in_flight=getattr(args, "max_in_flight", Config.max_in_flight),
        grace_seconds=getattr(args, "grace", Config.grace_seconds),
        log_level=args.log_level,
    )
