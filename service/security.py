"""Transport security settings, read and checked at start-up (standard library only: the
supervisor checks them before it forks, without loading gRPC).

- TLS from PEM files (``--tls-cert``, ``--tls-key``); mutual TLS when ``--tls-client-ca`` names
  the CA that client certificates must chain to.
- Bearer tokens from a file (``--auth-tokens``): one token a line, ``#`` comments and blank
  lines ignored. Only SHA-256 digests are kept, and a presented token is compared with every
  one of them in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config, StartupError

MIN_TOKEN_LENGTH = 16  # shorter tokens are guessable; start-up refuses them
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 b64token: what a bearer header can carry


class SecurityConfigError(StartupError):
    """A security flag is wrong (a missing, unreadable or invalid file); the message names the flag."""


@dataclass(frozen=True)
class Security:
    cert: bytes | None = None
    key: bytes | None = None
    client_ca: bytes | None = None
    token_digests: tuple[bytes, ...] = ()

    @property
    def tls(self) -> bool:
        return self.cert is not None

    @property
    def mutual_tls(self) -> bool:
        return self.client_ca is not None

    @property
    def tokens(self) -> bool:
        return bool(self.token_digests)

    def token_ok(self, presented: str) -> bool:
        """Whether a presented token is one of ours; the time taken does not depend on which
        token matched, how much of one did, or whether any did."""
        digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
        found = False
        for known in self.token_digests:
            found |= hmac.compare_digest(digest, known)
        return found


def _decode_cert(path: Path) -> dict[str, Any] | None:
    """The first certificate of a PEM file as the ssl module decodes it, if this Python can."""
    decode = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    try:
        return decode(str(path)) if decode else None
    except (ssl.SSLError, OSError, ValueError):
        return None


def _check_dates(flag: str, certificates: Sequence[Mapping[str, Any] | None]) -> None:
    now = time.time()
    for cert in certificates:
        if not cert or "notAfter" not in cert:
            continue
        if ssl.cert_time_to_seconds(cert["notAfter"]) < now:
            raise SecurityConfigError(f"{flag}: the certificate expired on {cert['notAfter']}")
        if "notBefore" in cert and ssl.cert_time_to_seconds(cert["notBefore"]) > now:
            raise SecurityConfigError(f"{flag}: the certificate is not valid before {cert['notBefore']}")


def _read(flag: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SecurityConfigError(f"{flag}: cannot read {path} ({exc.strerror or type(exc).__name__})") from None


def security_for(config: Config) -> Security:
    """The settings of ``serve``'s security flags, checked (SecurityConfigError naming the flag)."""
    return load_security(config.tls_cert, config.tls_key, config.tls_client_ca, config.auth_tokens)


def load_security(
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    tls_client_ca: Path | None = None,
    auth_tokens: Path | None = None,
) -> Security:
    """The settings the flags name, checked: a certificate with its key, a CA that parses,
    tokens long enough. Raises SecurityConfigError naming the flag."""
    if tls_cert is not None and tls_key is None:
        raise SecurityConfigError("--tls-key: needed with --tls-cert (the certificate's private key)")
    if tls_key is not None and tls_cert is None:
        raise SecurityConfigError("--tls-cert: needed with --tls-key (the key's certificate chain)")
    if tls_client_ca is not None and tls_cert is None:
        raise SecurityConfigError("--tls-client-ca: mutual TLS needs --tls-cert and --tls-key too")
    cert = key = client_ca = None
    if tls_cert is not None and tls_key is not None:
        cert, key = _read("--tls-cert", tls_cert), _read("--tls-key", tls_key)
        try:
            # A password callback, so that an encrypted key fails here instead of prompting.
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(tls_cert, tls_key, password=b"")
        except (ssl.SSLError, ValueError) as exc:
            raise SecurityConfigError(
                f"--tls-cert/--tls-key: not a PEM certificate and its unencrypted key ({exc})"
            ) from None
        _check_dates("--tls-cert", [_decode_cert(tls_cert)])
    if tls_client_ca is not None:
        client_ca = _read("--tls-client-ca", tls_client_ca)
        try:
            authorities = ssl.create_default_context(cadata=client_ca.decode("ascii")).get_ca_certs()
        except (ssl.SSLError, ValueError, UnicodeDecodeError):
            raise SecurityConfigError("--tls-client-ca: not a PEM CA certificate") from None
        if not authorities:  # OpenSSL lists only certificates that may sign others
            raise SecurityConfigError(
                "--tls-client-ca: no CA certificate in the file (a server or client certificate?)"
            )
        _check_dates("--tls-client-ca", authorities)
    digests: list[bytes] = []
    if auth_tokens is not None:
        try:
            text = _read("--auth-tokens", auth_tokens).decode("utf-8")
        except UnicodeDecodeError:
            raise SecurityConfigError("--auth-tokens: the file is not UTF-8 text") from None
        for number, line in enumerate(text.splitlines(), 1):
            token = line.strip()
            if not token or token.startswith("#"):
                continue
            if len(token) < MIN_TOKEN_LENGTH:
                raise SecurityConfigError(f"--auth-tokens: line {number} is shorter than {MIN_TOKEN_LENGTH} characters")
            if not _TOKEN68.fullmatch(token):  # anything else cannot travel in an authorization header
                raise SecurityConfigError(
                    f"--auth-tokens: line {number} has characters a bearer token cannot have (RFC 6750)"
                )
            digests.append(hashlib.sha256(token.encode("ascii")).digest())
        if not digests:
            raise SecurityConfigError("--auth-tokens: the file has no tokens (every call would be refused)")
    return Security(cert, key, client_ca, tuple(digests))
