"""The durable-rules adapter against every point of docs/durable-rules.md."""

from __future__ import annotations

import copy
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from google.protobuf import json_format

from service.adapters.engine import Engine, RuleFailure, compile_rule
from service.app import build_triage, engine_of
from service.config import DEFAULT_RULES_DIR
from service.domain.errors import EngineFault
from service.domain.facts import build_facts
from service.domain.model import Concern, Intake, TreatmentRequest, Venue
from service.gen.dermtriage.v1 import triage_pb2 as pb
from service.transport import codec
from service.transport.server import create_server
from tests.support.casebook import load_cases

CASES = load_cases()


def _answer(response: pb.AssessResponse) -> str:
    """The response as JSON without the per-evaluation decision id, for comparing answers."""
    d = json_format.MessageToDict(response, preserving_proto_field_name=True)
    d.pop("decision_id")
    return json.dumps(d, sort_keys=True)


def test_two_thousand_assessments_in_one_process(triage) -> None:  # type: ignore[no-untyped-def]
    """Past durable-rules' 1,024 live sessions a ruleset: each session is deleted."""
    requests = [c.request_message() for c in CASES]
    first = {i: _answer(codec.encode_decision(triage.assess(codec.decode_intake(r)))) for i, r in enumerate(requests)}
    for n in range(2000):
        i = n % len(requests)
        got = _answer(codec.encode_decision(triage.assess(codec.decode_intake(requests[i]))))
        assert got == first[i], f"assessment {n} differs from the same request answered first"


def test_concurrent_requests_equal_the_same_requests_answered_alone(stub, assess_core) -> None:  # type: ignore[no-untyped-def]
    """16 threads x 200 mixed requests through a real server; every answer equals the lone one."""
    requests = [c.request_message() for c in CASES]
    alone = [_answer(assess_core(r)) for r in requests]
    barrier = threading.Barrier(16)

    def worker(t: int) -> list[tuple[int, str]]:
        barrier.wait()
        out = []
        for k in range(200):
            i = (t * 31 + k * 7) % len(requests)
            out.append((i, _answer(stub.Assess(requests[i], timeout=30))))
        return out

    with ThreadPoolExecutor(16) as pool:
        results = [r for rs in pool.map(worker, range(16)) for r in rs]
    assert len(results) == 16 * 200
    wrong = [i for i, got in results if got != alone[i]]
    assert not wrong, f"{len(wrong)} answers differ from the request answered alone"


def test_decision_ids_are_unique(triage) -> None:  # type: ignore[no-untyped-def]
    intake = codec.decode_intake(CASES[0].request_message())
    ids = {triage.assess(intake).decision_id for _ in range(500)}
    assert len(ids) == 500


def test_a_fact_that_matches_no_rule_is_an_outcome(triage) -> None:  # type: ignore[no-untyped-def]
    """The patient and intake facts often match nothing; that must not lose other firings."""
    intake = Intake(channel="BOOKING", treatments=(TreatmentRequest("facial"),))
    decision = triage.assess(intake)
    assert [r.rule_id for r in decision.reasons] == ["treatment.esthetician_scope"]


def test_a_rule_is_reported_once_per_facts_when_several_alternatives_hold() -> None:
    """durable fires a rule once for each alternative of an `any` that holds (its own loop does
    too); the adapter reports the rule on those facts once."""
    from service.adapters.rules_files import load_ruleset
    from service.domain.rulebook import Rulebook
    from tests.support.reference_engine import HostLoopEngine

    catalog = load_ruleset(DEFAULT_RULES_DIR).catalog
    rule = {
        "id": "test.any_feature",
        "summary": "A bleeding or inflamed lesion.",
        "source": "test",
        "when": [{"concern": {"findings": {"any": ["lesion_bleeding", "lesion_inflamed"]}}}],
        "then": {"route": "DERMATOLOGIST"},
    }
    rulebook = Rulebook.from_data({"rules/decision/test.yaml": {"rules": [rule]}}, catalog)
    both = Intake(channel="BOOKING", concerns=(Concern("mole", ("lesion_bleeding", "lesion_inflamed")),))
    facts = build_facts(both, catalog)
    assert [f.rule_id for f in HostLoopEngine(rulebook).evaluate(copy.deepcopy(facts))] == ["test.any_feature"] * 2
    assert [(f.rule_id, f.refs) for f in Engine(rulebook, "test_any_once").evaluate(copy.deepcopy(facts))] == [
        ("test.any_feature", ("concerns[0]",))
    ]


def test_compiled_join_names_distinct_facts() -> None:
    """when_all(a, b) joins two facts: each pattern gets its own alias (docs/durable-rules.md, 2)."""
    from service.adapters.rules_files import load_ruleset

    rule = load_ruleset(DEFAULT_RULES_DIR).rulebook["treatment.botulinum_toxin.migraine"]
    compiled = compile_rule(rule)
    assert [next(iter(p)) for p in compiled["all"]] == ["f0", "f1"]
    assert compiled["run"] == rule.id


def test_action_exception_is_an_engine_fault_and_the_next_request_is_answered(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An action that fails is an engine fault (durable would have swallowed it into the state)."""
    triage = build_triage(DEFAULT_RULES_DIR)
    engine: Engine = engine_of(triage)
    intake = Intake(channel="BOOKING", treatments=(TreatmentRequest("facial"),))
    good = triage.assess(intake)

    def boom(*args: object) -> None:
        raise ValueError("action failed")

    monkeypatch.setattr(engine, "_record", boom)
    with pytest.raises(EngineFault) as info:
        triage.assess(intake)
    assert info.value.decision_id
    monkeypatch.undo()
    again = triage.assess(intake)
    assert again.route == good.route and again.reasons == good.reasons


def test_action_exception_through_the_server_is_internal_with_decision_id(monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    triage = build_triage(DEFAULT_RULES_DIR)
    engine: Engine = engine_of(triage)
    server, port, _, _ = create_server("127.0.0.1:0", triage)
    server.start()
    try:
        from service.gen.dermtriage.v1 import triage_pb2_grpc

        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
            stub = triage_pb2_grpc.TriageServiceStub(ch)
            request = pb.AssessRequest(
                channel=pb.CHANNEL_BOOKING, requested_treatments=[pb.TreatmentRequest(code="facial")]
            )

            def boom(*args: object) -> None:
                raise ValueError("action failed")

            monkeypatch.setattr(engine, "_record", boom)
            with caplog.at_level("INFO"), pytest.raises(grpc.RpcError) as info:
                stub.Assess(request, timeout=10)
            assert info.value.code() == grpc.StatusCode.INTERNAL
            message = info.value.details()
            assert "decision_id" in message and "Traceback" not in message and "engine.py" not in message
            decision_id = message.rsplit(" ", 1)[-1]
            faults = [json.loads(r.getMessage()) for r in caplog.records if "engine_fault" in r.getMessage()]
            assert [f["decision_id"] for f in faults] == [decision_id]
            # Only the id and the exception classes: never a message, which could carry request data.
            assert faults[0] == {
                "event": "engine_fault",
                "decision_id": decision_id,
                "cause": "EngineFault <- RuleFailure <- ValueError",
            }
            monkeypatch.undo()
            assert stub.Assess(request, timeout=10).route == pb.ROUTE_MED_SPA
    finally:
        server.stop(None)


def test_engine_wait_is_bounded_by_the_deadline() -> None:
    """A request does not wait for a busy engine past its timeout."""
    from service.domain.errors import DeadlineExceeded

    triage = build_triage(DEFAULT_RULES_DIR)
    engine: Engine = engine_of(triage)
    intake = Intake(channel="BOOKING", concerns=(Concern("acne"),), venue=Venue("MED_SPA", True))
    with engine.lock:  # the engine is busy
        with pytest.raises(DeadlineExceeded):
            triage.assess(intake, timeout=0.05)
    assert triage.assess(intake, timeout=0.05).route.name == "MED_SPA"


def test_a_fact_sent_twice_is_a_fault_and_the_engine_survives_it() -> None:
    """durable answers 2 ("already observed") for a repeated fact, with actions still queued;
    deleting such a session aborts the process unless the adapter empties the queue first."""
    triage = build_triage(DEFAULT_RULES_DIR)
    engine = engine_of(triage)
    intake = Intake(channel="BOOKING", treatments=(TreatmentRequest("facial"),))
    facts = build_facts(intake, triage.ruleset.catalog)
    repeated = [dict(f) for f in facts] + [dict(f) for f in facts if f["type"] == "treatment"]
    for _ in range(3):
        with pytest.raises(RuleFailure, match="answered 2"):
            engine.evaluate(copy.deepcopy(repeated))
    assert {f.rule_id for f in engine.evaluate(copy.deepcopy(facts))} == {
        f.rule_id for f in engine.evaluate(build_facts(intake, triage.ruleset.catalog))
    }
    assert triage.assess(intake).route.name == "MED_SPA"


def test_facts_that_match_no_rule_are_an_empty_answer_not_a_crash() -> None:
    """durable aborts the process when it deletes a session in which no fact matched; the adapter's
    own session rule means that cannot depend on whether the rules cover every fact."""
    engine = engine_of(build_triage(DEFAULT_RULES_DIR))
    for _ in range(3):
        assert engine.evaluate([{"type": "nothing_matches_this", "ref": "x"}]) == []
    assert engine.evaluate([]) == []
