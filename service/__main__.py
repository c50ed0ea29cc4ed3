"""Command line: ``serve``, ``assess FILE.json`` and ``rules check``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import config as cfg
from .core.errors import InvalidIntake, RulesError
from .security import SecurityConfigError


def _setup_logging(level: str) -> None:
    from .logs import setup

    setup(level)


def _assess(conf: cfg.Config, path: Path) -> int:
    from google.protobuf import json_format

    from . import codec
    from .gen.dermtriage.v1 import triage_pb2 as pb
    from .server import build_triage

    try:
        request = json_format.Parse(path.read_text(encoding="utf-8"), pb.AssessRequest())
    except (OSError, json_format.ParseError) as exc:
        print(f"cannot read an AssessRequest from {path}: {exc}", file=sys.stderr)
        return 2
    triage = build_triage(conf.rules_dir)
    try:
        decision = triage.assess(codec.decode_intake(request))
    except InvalidIntake as exc:
        for v in exc.violations:
            print(f"{v.field}: {v.description}", file=sys.stderr)
        return 2
    out = json_format.MessageToDict(
        codec.encode_decision(decision), preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    print(json.dumps(out, indent=2))
    return 0


def _check(conf: cfg.Config) -> int:
    from .rules_loader import load_ruleset

    rs = load_ruleset(conf.rules_dir)
    counts = ", ".join(f"{len(rs.catalog.codes(k))} {k}s" for k in ("concern", "finding", "treatment", "flag"))
    print(f"rules OK: version {rs.version}, {len(rs.rulebook.rules)} rules, {counts}")
    return 0


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
    rules.add_argument("action", choices=["check"], help="check: load and validate rules/")
    cfg.add_common_flags(rules)
    args = parser.parse_args(argv)
    conf = cfg.from_args(args)
    for problem in cfg.problems(conf):
        parser.error(problem)
    _setup_logging(conf.log_level)
    try:
        if args.command == "serve":
            from .supervisor import run

            return run(conf)
        if args.command == "assess":
            return _assess(conf, args.file)
        return _check(conf)
    except RulesError as exc:
        print(f"invalid rules: {exc}", file=sys.stderr)
        return 3
    except SecurityConfigError as exc:
        print(f"invalid security settings: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # BindError or PortInUse: the port is taken
        if type(exc).__name__ not in ("BindError", "PortInUse"):
            raise
        print(str(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
