"""No patient data in logs: everything a running service writes, read back whole."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import grpc
import pytest

from service.gen.dermtriage.v1 import triage_pb2 as pb
from service.gen.dermtriage.v1 import triage_pb2_grpc
from tests.support.paths import ROOT
from tests.support.processes import serve_argv

TOKEN = "token-of-the-intake-app-0001"
SECRETS = (
    "corr-zz-4711",
    "Quixotic",
    "Zanzibar",
    "Wilhelmina",
    "Quarterfield",
    "seborrheic_keratosis",
    "lesion_bleeding",
    "isotretinoin",
    "tattoo_removal_laser",
    "submental",
    "zz_secret_code",
    "Xylophonic",
    TOKEN,
    "wrong-token-zz-9999",
)
# A request whose every text, code and identifier is distinctive, to look for in the logs.
DISTINCTIVE = pb.AssessRequest(
    request_id="corr-zz-4711",
    channel=pb.CHANNEL_TELEHEALTH_INTAKE,
    patient=pb.Patient(age_years=47, medications=["isotretinoin_current"]),
    concerns=[pb.Concern(code="seborrheic_keratosis", text="Quixotic Zanzibar lesion", findings=["lesion_bleeding"])],
    requested_treatments=[pb.TreatmentRequest(code="tattoo_removal_laser", body_site="submental")],
    free_text="my name is Wilhelmina Quarterfield and my mole got bigger",
)


def test_log_lines_in_process_carry_nothing_from_the_request(stub, caplog) -> None:  # type: ignore[no-untyped-def]
    """Patient data is health data: no text, codes or identifiers in any log line (no log set-up:
    access lines go through the logging module)."""
    with caplog.at_level("DEBUG"):
        stub.Assess(DISTINCTIVE, timeout=10)
        bad = pb.AssessRequest(channel=pb.CHANNEL_BOOKING, concerns=[pb.Concern(code="zz_secret_code")])
        with pytest.raises(grpc.RpcError):
            stub.Assess(bad, timeout=10)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert '"method": "Assess"' in logged, "the access log was captured"
    for secret in SECRETS:
        assert secret not in logged, f"{secret!r} reached a log line"


def test_the_service_writes_one_json_access_line_a_call_and_nothing_from_any_request(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(TOKEN + "\n")
    proc = subprocess.Popen(
        serve_argv(1, "--log-level", "DEBUG", "--auth-tokens", str(tokens), "--grace", "2"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stderr is not None
    lines: list[str] = []
    for line in proc.stderr:
        lines.append(line)
        if '"serving"' in line:
            break
    port = json.loads(lines[-1])["port"]
    auth = [("authorization", f"Bearer {TOKEN}")]
    request = DISTINCTIVE
    calls = []  # (what, expected status)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = triage_pb2_grpc.TriageServiceStub(channel)
            raw = channel.unary_unary("/dermtriage.v1.TriageService/Assess")
            decision_id = stub.Assess(request, metadata=auth, timeout=10).decision_id
            calls.append("OK")
            for call, status in (
                (lambda: stub.Assess(pb.AssessRequest(concerns=[pb.Concern(code="zz_secret_code")]), metadata=auth),
                 "INVALID_ARGUMENT"),
                (lambda: stub.Assess(request, metadata=[("authorization", "Bearer wrong-token-zz-9999")]),
                 "UNAUTHENTICATED"),
                (lambda: raw(b"\x0aXylophonic\xff", metadata=auth), "INVALID_ARGUMENT"),
            ):  # fmt: skip
                try:
                    call()
                except grpc.RpcError as error:
                    assert error.code().name == status
                calls.append(status)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, rest = proc.communicate(timeout=20)
    lines += rest.splitlines(keepends=True)
    assert out == "", "the service writes nothing to stdout"
    assert proc.returncode == 0
    everything = "".join(lines)
    for secret in SECRETS:
        assert secret not in everything, f"{secret!r} reached the log"
    events = [json.loads(line) for line in lines if line.strip()]  # every line is JSON
    access = [e for e in events if "method" in e and "status" in e]
    assert [e["status"] for e in access] == calls
    for entry in access:
        assert {"method", "status", "latency_ms", "ruleset_version"} <= set(entry)
    assert access[0]["decision_id"] == decision_id
