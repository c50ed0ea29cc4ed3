"""Command line: ``serve``, ``assess FILE.json``, ``rules check`` and ``healthcheck``.

Exit codes are the table in ``service.config`` (README "Exit codes"). ``assess`` and ``rules
check`` import no gRPC: they run on the composition root alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import config as cfg
from .domain.errors import InvalidIntake, RulesError
from .logs import setup as setup_logs


def _assess(conf: cfg.Config, path: Path) -> int:
    from google.protobuf import json_format  # protobuf messages only: no gRPC

    from .app import build_triage
    from .gen.dermtriage.v1 import triage_pb2 as pb
    from .transport import codec

    try:
        request = json_format.Parse(path.read_text(encoding="utf-8"), pb.AssessRequest())
    except (OSError, UnicodeDecodeError, json_format.ParseError) as exc:
        print(f"cannot read an AssessRequest from {path}: {exc}", file=sys.stderr)
        return cfg.EXIT_USAGE
    triage = build_triage(conf.rules_dir)
    try:
        decision = triage.assess(codec.decode_intake(request))
    except InvalidIntake as exc:
        for v in exc.violations:
            print(f"{v.field}: {v.description}", file=sys.stderr)
        return cfg.EXIT_USAGE
    out = json_format.MessageToDict(
        codec.encode_decision(decision), preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    print(json.dumps(out, indent=2))
    return cfg.EXIT_OK


def _check(conf: cfg.Config) -> int:
    from .adapters.rules_files import load_ruleset

    rs = load_ruleset(conf.rules_dir)
    counts = ", ".join(f"{len(rs.catalog.codes(k))} {k}s" for k in ("concern", "finding", "treatment", "flag"))
    print(f"rules OK: version {rs.version}, {len(rs.rulebook.rules)} rules, {counts}")
    return cfg.EXIT_OK


def _healthcheck(conf: cfg.Config, timeout: float) -> int:
    from .transport.healthcheck import check

    port = conf.health_port or conf.port
    return cfg.EXIT_OK if check(f"127.0.0.1:{port}", timeout) else cfg.EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m service", description="dermtriage: dermatologist or med spa triage service"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the gRPC service")
    cfg.add_serve_flags(serve)
    cfg.add_common_flags(serve)
    assess = sub.add_parser("assess", help="assess one AssessRequest in JSON and print the answer as JSON")
    assess.add_argument("file", type=Path)
    cfg.add_common_flags(assess)
    rules = sub.add_parser("rules", help="work with rules/")
    rules.add_argument("action", choices=["check"], help="check: load and validate rules/, printing every problem")
    cfg.add_common_flags(rules)
    health = sub.add_parser("healthcheck", help="exit 0 when the local server reports SERVING (Docker HEALTHCHECK)")
    cfg.add_flags(health, ("port", "health_port", "log_level"))
    health.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for the answer")
    args = parser.parse_args(argv)
    conf = cfg.from_args(args)
    for problem in cfg.problems(conf):
        parser.error(problem)
    setup_logs(conf.log_level)
    try:
        if args.command == "serve":
            from .runtime.supervisor import run

            return run(conf)
        if args.command == "assess":
            return _assess(conf, args.file)
        if args.command == "healthcheck":
            return _healthcheck(conf, args.timeout)
        return _check(conf)
    except RulesError as exc:
        count = len(exc.problems)
        print(f"invalid rules: {count} problem{'s' if count > 1 else ''}", file=sys.stderr)
        for each in exc.problems:
            print(each, file=sys.stderr)
        return cfg.EXIT_RULES
    except cfg.StartupError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
