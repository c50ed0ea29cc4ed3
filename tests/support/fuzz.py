"""Hostile input over a real channel: generated AssessRequests and raw bytes.

Whatever arrives, the answer is OK, INVALID_ARGUMENT (naming every bad field in a BadRequest)
or RESOURCE_EXHAUSTED, and the server stays up. The suite runs a bounded number of cases
(tests/transport/test_hostile.py); the long run prints its count of cases and outcomes:

    python -m tests.fuzz --examples 5000      # make fuzz-long
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from collections.abc import Callable

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.adapters.rules_files import load_ruleset
from service.config import DEFAULT_RULES_DIR
from service.gen.dermtriage.v1 import triage_pb2 as pb

ALLOWED = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED}
ASSESS = "/dermtriage.v1.TriageService/Assess"
_CATALOG = load_ruleset(DEFAULT_RULES_DIR).catalog
_KNOWN = sorted({c.code for c in _CATALOG.all_concepts()})

# Text that breaks naive code: control characters, combining marks, right-to-left, characters
# whose lower case is longer (İ), emoji, NUL; and plain words and codes in odd case.
_ODD = st.sampled_from(
    ["\x00", "\x1b[31m", "\u0130", "\u202e", "\ufeff", "\u0301", "\U0001f9d1\u200d\U0001f52c", "\r\n", "\t",
     "ß", "ﬁ", "𝐁𝐨𝐭𝐨𝐱", "\\", "%s", "{0}", "'; DROP TABLE", "../../etc/passwd", "i am ١", "٣٠ years old",
     "２５mm", "dont'i am 4"]
)  # fmt: skip
_TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(_ODD, st.text(max_size=8), st.sampled_from(["mole", "bleeding", "botox", "pregnant"]))).map(
        "".join
    ),
    st.text(min_size=1990, max_size=2100),
    st.just("a" * 65_000),  # with the rest, over the 64 KiB limit
)
_CODE = st.one_of(
    st.sampled_from(_KNOWN),
    st.sampled_from(_KNOWN).map(str.upper),
    st.sampled_from(_KNOWN).map(str.title),
    st.sampled_from(_KNOWN).map(lambda c: f" {c} "),
    _TEXT,
    st.just(""),
)
_ENUM = st.one_of(st.integers(0, 8), st.integers(-(2**31), 2**31 - 1))


def _repeated(element: st.SearchStrategy, big: int = 400) -> st.SearchStrategy:  # type: ignore[type-arg]
    return st.one_of(
        st.lists(element, max_size=4),
        st.lists(element, min_size=18, max_size=24),
        st.lists(element, min_size=big, max_size=big),
    )


def _codes(kind: str) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(_CATALOG.codes(kind)))


_PHRASE = ["my", "mole", "is", "bleeding", "no", "fever", "i want", "botox", "i'm", "34", "pregnant", "not", "on",
           "isotretinoin", ",", "."]  # fmt: skip
_WORDS = st.lists(st.sampled_from(_PHRASE), max_size=30).map(" ".join)


@st.composite
def plausible_requests(draw: st.DrawFn) -> pb.AssessRequest:
    """What a booking system sends: known codes, set enums, sizes in bounds."""
    request = pb.AssessRequest(channel=draw(st.sampled_from([pb.CHANNEL_BOOKING, pb.CHANNEL_TELEHEALTH_INTAKE])))
    if draw(st.booleans()):
        request.patient.age_years = draw(st.integers(0, 100))
        request.patient.pregnant = draw(st.booleans())
        request.patient.conditions.extend(draw(st.lists(_codes("condition"), max_size=2, unique=True)))
        request.patient.medications.extend(draw(st.lists(_codes("medication"), max_size=2, unique=True)))
    for code in draw(st.lists(_codes("concern"), max_size=3)):
        concern = request.concerns.add(code=code, text=draw(st.one_of(st.just(""), _WORDS)))
        concern.findings.extend(draw(st.lists(_codes("finding"), max_size=3, unique=True)))
    for code in draw(st.lists(_codes("treatment"), max_size=3)):
        request.requested_treatments.add(code=code)
    request.free_text = draw(st.one_of(st.just(""), _WORDS))
    if not (request.concerns or request.requested_treatments or request.free_text):
        request.requested_treatments.add(code="facial")
    return request


@st.composite
def hostile_requests(draw: st.DrawFn) -> pb.AssessRequest:
    request = pb.AssessRequest(request_id=draw(st.one_of(st.just(""), _TEXT)), channel=draw(_ENUM))
    if draw(st.booleans()):
        patient = request.patient
        patient.SetInParent()
        if draw(st.booleans()):
            patient.age_years = draw(st.integers(0, 2**32 - 1))
        for name in ("pregnant", "breastfeeding"):
            if draw(st.booleans()):
                setattr(patient, name, draw(st.booleans()))
        patient.fitzpatrick = draw(_ENUM)
        patient.conditions.extend(draw(_repeated(_CODE)))
        patient.medications.extend(draw(_repeated(_CODE)))
    for _ in range(draw(st.sampled_from([0, 1, 3, 25]))):
        concern = request.concerns.add(
            code=draw(_CODE), body_site=draw(_CODE), text=draw(st.one_of(st.just(""), _TEXT))
        )
        concern.findings.extend(draw(_repeated(_CODE, big=60)))
    for _ in range(draw(st.sampled_from([0, 1, 3, 25]))):
        request.requested_treatments.add(code=draw(_CODE), body_site=draw(_CODE))
    if draw(st.booleans()):
        request.venue.kind = draw(_ENUM)
        if draw(st.booleans()):
            request.venue.medical_supervision = draw(st.booleans())
    request.free_text = draw(st.one_of(st.just(""), _TEXT))
    return request


def _big_random(seed: int) -> bytes:
    """70,000 random bytes (hypothesis draws each byte of its own, too slow at this size)."""
    return random.Random(seed).randbytes(70_000)


# Mostly small bodies; one in 20 over the 64 KiB limit (gRPC takes 0.1-0.8 s to refuse one:
# it reads the body before it resets the stream).
_RAW = st.integers(0, 19).flatmap(
    lambda k: st.integers(0, 2**32).map(_big_random) if k == 0 else st.binary(max_size=512)
)


def outcome(call: Callable[[], object]) -> str:
    """The status name of one call, after checking what it must show; raises AssertionError if
    the answer is one a caller must never get."""
    try:
        response = call()
    except grpc.RpcError as error:
        code = error.code()
        assert code in ALLOWED, f"{code.name}: {error.details()}"
        if code is grpc.StatusCode.INVALID_ARGUMENT:
            status = rpc_status.from_call(error)  # type: ignore[arg-type]
            assert status is not None, "INVALID_ARGUMENT without a google.rpc.Status"
            bad = error_details_pb2.BadRequest()
            assert any(d.Unpack(bad) for d in status.details), "INVALID_ARGUMENT without a BadRequest"
            assert bad.field_violations, "a BadRequest that names no field"
            for violation in bad.field_violations:
                assert violation.field and violation.field in (error.details() or ""), violation.field
        return code.name
    if isinstance(response, pb.AssessResponse):
        assert response.route != pb.ROUTE_UNSPECIFIED and response.ruleset_version and response.decision_id
    return "OK"


def fuzz(
    channel: grpc.Channel, examples: int, tally: Counter[str] | None = None, derandomize: bool = False
) -> Counter[str]:
    """Generated requests through the Assess stub, then raw bytes to the method; the tally of
    outcomes. The suite derandomizes (the same cases every run); the long run explores."""
    tally = Counter() if tally is None else tally
    assess = channel.unary_unary(
        ASSESS,
        request_serializer=pb.AssessRequest.SerializeToString,
        response_deserializer=pb.AssessResponse.FromString,
    )
    raw = channel.unary_unary(ASSESS)  # bytes as they are, and bytes back
    quiet = settings(max_examples=examples, deadline=None, database=None, derandomize=derandomize,
                     suppress_health_check=list(HealthCheck))  # fmt: skip

    @quiet
    @given(request=st.one_of(plausible_requests(), hostile_requests()))
    def structured(request: pb.AssessRequest) -> None:
        tally["request: " + outcome(lambda: assess(request, timeout=20))] += 1

    @quiet
    @given(data=_RAW)
    def raw_bytes(data: bytes) -> None:
        tally["raw bytes: " + outcome(lambda: raw(data, timeout=20))] += 1

    structured()
    raw_bytes()
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=5000, help="cases of each kind (requests, raw bytes)")
    args = parser.parse_args()
    from service.app import build_triage
    from service.transport.server import create_server, set_serving

    server, port, health, _ = create_server("127.0.0.1:0", build_triage(DEFAULT_RULES_DIR), threads=4)
    server.start()
    set_serving(health, True)
    tally: Counter[str] = Counter()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            fuzz(channel, args.examples, tally)
    except AssertionError as failure:
        print(f"FAILED after {sum(tally.values())} cases: {failure}", file=sys.stderr)
        return 1
    finally:
        server.stop(None)
    print(f"{sum(tally.values())} cases, every answer allowed (OK, INVALID_ARGUMENT naming fields, RESOURCE_EXHAUSTED)")
    for name, count in sorted(tally.items()):
        print(f"  {name:<34}{count:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
