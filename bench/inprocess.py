"""Where the time of one assessment goes, in one process (no network).

For each reference intake (bench/intakes.py): the whole assessment (codec, core and engine,
as the servicer runs it), the raw durable-rules evaluation of its facts, and the proto
decode plus encode (with wire serialization), as median and p99 over the same run.
"""

from __future__ import annotations

from bench.intakes import REFERENCE
from bench.timing import sample
from service.adapters.engine import Engine
from service.app import build_triage, engine_of
from service.config import DEFAULT_RULES_DIR
from service.domain.facts import build_facts
from service.gen.dermtriage.v1 import triage_pb2 as pb
from service.transport import codec

ROUNDS = 3000


def rows() -> list[tuple[str, tuple[float, float], tuple[float, float], tuple[float, float]]]:
    triage = build_triage(DEFAULT_RULES_DIR)
    engine: Engine = engine_of(triage)
    out = []
    for name, request in REFERENCE.items():
        wire = request.SerializeToString()

        def assess(wire: bytes = wire) -> bytes:
            decision = triage.assess(codec.decode_intake(pb.AssessRequest.FromString(wire)))
            return codec.encode_decision(decision).SerializeToString()

        intake = codec.decode_intake(request)
        facts = build_facts(intake, triage.ruleset.catalog)
        decision = triage.assess(intake)

        def engine_only(facts: list[dict] = facts) -> object:  # type: ignore[type-arg]
            return engine.evaluate([dict(f) for f in facts])

        def codec_only(wire: bytes = wire, decision: object = decision) -> bytes:
            codec.decode_intake(pb.AssessRequest.FromString(wire))
            return codec.encode_decision(decision).SerializeToString()  # type: ignore[arg-type]

        out.append((name, sample(assess, ROUNDS), sample(engine_only, ROUNDS), sample(codec_only, ROUNDS)))
    return out


def main() -> int:
    print("in process, microseconds: median / p99")
    print(f"{'intake':<34}{'Assess':>16}{'durable-rules':>18}{'proto codec':>16}{'engine share':>14}")
    for name, assess, engine, codec_cost in rows():
        share = engine[0] / assess[0]
        print(
            f"{name:<34}{assess[0]:>8.0f} / {assess[1]:<6.0f}{engine[0]:>9.0f} / {engine[1]:<6.0f}"
            f"{codec_cost[0]:>8.0f} / {codec_cost[1]:<6.0f}{share:>13.0%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
