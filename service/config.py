"""Configuration in one place: command-line flags with DERMTRIAGE_* environment fallbacks, read
once at start-up, and the errors that stop start-up with the exit code each gives.

A leaf module: the runtime and the transport both use it, and it imports neither.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Exit codes of ``python -m service`` (README "Exit codes").
EXIT_OK = 0
# 1: the service failed while running (workers kept dying, one had to be killed), is unhealthy,
# or met an unexpected error.
EXIT_FAILED = 1
EXIT_USAGE = 2  # a bad flag or setting (named), an unreadable or invalid request file
EXIT_RULES = 3  # the rules folder is invalid: every problem is printed with file and line
EXIT_CANNOT_LISTEN = 4  # the port is taken, or not an address of this machine


class StartupError(Exception):
    """A problem that stops start-up before anything is served; the message names the flag."""

    exit_code = EXIT_USAGE


class CannotListen(StartupError):
    """The server could not listen on the address it was given."""

    exit_code = EXIT_CANNOT_LISTEN


def default_rules_dir() -> Path:
    """The rules a plain install ships inside the package, else the rules/ of the checkout the
    package runs from (a checkout or an editable install); start-up checks the folder exists."""
    package = Path(__file__).resolve().parent
    shipped, checkout = package / "rules", package.parent / "rules"
    return shipped if (shipped / "ruleset.yaml").is_file() else checkout


DEFAULT_RULES_DIR = default_rules_dir()
MAX_PORT = 65535


@dataclass(frozen=True)
class Config:
    host: str = "[::]"
    port: int = 50051
    rules_dir: Path = DEFAULT_RULES_DIR
    threads: int = 4  # the engine serializes; more threads only add GIL hand-offs (bench/README.md)
    max_in_flight: int = 64
    grace: float = 10.0
    log_level: str = "INFO"
    workers: int = os.cpu_count() or 1
    max_connection_age: float = 30.0
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    auth_tokens: Path | None = None
    health_port: int | None = None


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise argparse.ArgumentTypeError("use DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


# (flag, Config field, type, help). The environment variable is DERMTRIAGE_<FIELD>.
SERVE_FLAGS: list[tuple[str, str, Callable[[str], Any], str]] = [
    ("--host", "host", str, "address to bind"),
    ("--port", "port", int, "port; 0 picks a free one"),
    ("--threads", "threads", int, "gRPC handler threads"),
    ("--max-in-flight", "max_in_flight", int, "calls in progress past which new calls get RESOURCE_EXHAUSTED at once"),
    ("--grace", "grace", float, "seconds to finish in-flight calls on SIGTERM"),
    ("--workers", "workers", int, "worker processes sharing the port, one rule engine each (default: cores)"),
    (
        "--max-connection-age",
        "max_connection_age",
        float,
        "seconds after which a client connection is closed gracefully, so load rebalances over workers",
    ),
    ("--tls-cert", "tls_cert", Path, "PEM certificate chain: serve TLS (with --tls-key)"),
    ("--tls-key", "tls_key", Path, "PEM private key of --tls-cert"),
    ("--tls-client-ca", "tls_client_ca", Path, "PEM CA that client certificates must chain to: mutual TLS"),
    ("--auth-tokens", "auth_tokens", Path, "file of bearer tokens, one a line: calls without one are UNAUTHENTICATED"),
    (
        "--health-port",
        "health_port",
        int,
        "also serve grpc.health.v1 alone, in plaintext, on this port (probes when TLS is on)",
    ),
]
COMMON_FLAGS: list[tuple[str, str, Callable[[str], Any], str]] = [
    ("--rules-dir", "rules_dir", Path, "the rules/ directory to load"),
    ("--log-level", "log_level", _log_level, "log level"),
]


def _add(parser: argparse.ArgumentParser, flags: list[tuple[str, str, Callable[[str], Any], str]]) -> None:
    for flag, field, type_, help_ in flags:
        env = f"DERMTRIAGE_{field.upper()}"
        # A string default goes through `type`, so a bad environment value is a usage error, not a crash;
        # an unset optional setting stays None.
        value = getattr(Config, field)
        default = os.environ.get(env, None if value is None else str(value))
        parser.add_argument(
            flag, dest=field, type=type_, default=default, help=f"{help_} (env {env}; default %(default)s)"
        )


def add_flags(parser: argparse.ArgumentParser, fields: tuple[str, ...]) -> None:
    """The flags of these Config fields only."""
    _add(parser, [f for f in SERVE_FLAGS + COMMON_FLAGS if f[1] in fields])


def add_serve_flags(parser: argparse.ArgumentParser) -> None:
    _add(parser, SERVE_FLAGS)


def add_common_flags(parser: argparse.ArgumentParser) -> None:
    _add(parser, COMMON_FLAGS)


def problems(config: Config) -> list[str]:
    """What is wrong with a combination of settings, each naming its flag."""
    out = []
    for flag, value in (("--port", config.port), ("--health-port", config.health_port)):
        if value is not None and not 0 <= value <= MAX_PORT:
            out.append(f"{flag}: must be a port number from 0 to {MAX_PORT}")
    for flag, count in (
        ("--threads", config.threads),
        ("--workers", config.workers),
        ("--max-in-flight", config.max_in_flight),
    ):
        if count < 1:
            out.append(f"{flag}: must be 1 or more")
    for flag, seconds in (("--grace", config.grace), ("--max-connection-age", config.max_connection_age)):
        if not seconds >= 0:  # also refuses nan
            out.append(f"{flag}: must be 0 or more seconds")
    if config.health_port is not None and config.health_port != 0 and config.health_port == config.port:
        # Workers share ports with SO_REUSEPORT: the same number would mix plaintext health-only
        # listeners into the main port, not fail.
        out.append("--health-port: must differ from --port")
    return out


def from_args(args: argparse.Namespace) -> Config:
    """The Config for parsed arguments; fields a command has no flag for keep their defaults."""
    known = {field for _, field, _, _ in SERVE_FLAGS + COMMON_FLAGS}
    return Config(**{k: v for k, v in vars(args).items() if k in known})
