"""The command line as a user runs it: settings refused by name, exit codes, and the commands
that need no transport running without gRPC."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from service.config import EXIT_OK, EXIT_USAGE
from tests.support.paths import ROOT

EXAMPLE = ROOT / "docs" / "examples" / "assess-request.json"


def _service(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "service", *args]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--port", "70000"], "--port: must be a port number from 0 to 65535"),
        (["--port", "-5"], "--port: must be a port number from 0 to 65535"),
        (["--health-port", "99999"], "--health-port: must be a port number from 0 to 65535"),
        (["--threads", "0"], "--threads: must be 1 or more"),
        (["--workers", "0"], "--workers: must be 1 or more"),
        (["--max-in-flight", "0"], "--max-in-flight: must be 1 or more"),
        (["--grace", "-1"], "--grace: must be 0 or more seconds"),
        (["--grace", "nan"], "--grace: must be 0 or more seconds"),
        (["--max-connection-age", "-3"], "--max-connection-age: must be 0 or more seconds"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_its_flag(flags: list[str], message: str) -> None:
    result = _service("serve", *flags)
    assert result.returncode == EXIT_USAGE, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_assess_and_rules_check_run_without_grpc() -> None:
    """`python -m service assess` and `rules check` run on the composition root alone: with
    gRPC made unimportable, both still answer."""
    block_grpc = (
        "import sys; sys.modules.update({m: None for m in ('grpc', 'grpc_health', 'grpc_reflection', 'grpc_status')}); "
        "from service.__main__ import main; sys.exit(main(sys.argv[1:]))"
    )
    assessed = _service("assess", str(EXAMPLE), code=block_grpc)
    assert assessed.returncode == EXIT_OK, assessed.stderr
    assert json.loads(assessed.stdout)["route"] == "ROUTE_DERMATOLOGIST"
    checked = _service("rules", "check", code=block_grpc)
    assert checked.returncode == EXIT_OK, checked.stderr
    assert checked.stdout.startswith("rules OK")
