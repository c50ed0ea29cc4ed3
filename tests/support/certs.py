"""Certificates the tests make for themselves: a CA, a server certificate for localhost and
127.0.0.1, a client certificate from that CA and one from a CA the server does not trust."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Pem:
    cert: bytes
    key: bytes


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _issue(subject: str, issuer: Pem | None, *, ca: bool = False, server: bool = False, expired: bool = False) -> Pem:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC) - (datetime.timedelta(days=3) if expired else datetime.timedelta(0))
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    if issuer is None:
        signer_key, issuer_name = key, _name(subject)
    else:
        signer_key = serialization.load_pem_private_key(issuer.key, None)  # type: ignore[assignment]
        issuer_name = x509.load_pem_x509_certificate(issuer.cert).subject
    cert = builder.issuer_name(issuer_name).sign(signer_key, hashes.SHA256())  # type: ignore[arg-type]
    return Pem(
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


@dataclass(frozen=True)
class Certificates:
    ca: Pem
    server: Pem
    client: Pem
    rogue_client: Pem  # signed by a CA the server does not trust
    expired_server: Pem
    expired_ca: Pem

    def write(self, folder: Path) -> dict[str, Path]:
        """Each as NAME.crt and NAME.key, and the server's key encrypted as encrypted.key."""
        paths = {}
        named = (("ca", self.ca), ("server", self.server), ("client", self.client), ("expired", self.expired_server),
                 ("expired_ca", self.expired_ca))  # fmt: skip
        for name, pem in named:
            paths[f"{name}.crt"] = folder / f"{name}.crt"
            paths[f"{name}.key"] = folder / f"{name}.key"
            paths[f"{name}.crt"].write_bytes(pem.cert)
            paths[f"{name}.key"].write_bytes(pem.key)
        key = serialization.load_pem_private_key(self.server.key, None)
        paths["encrypted.key"] = folder / "encrypted.key"
        paths["encrypted.key"].write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"a passphrase"),
            )
        )
        return paths


def make_certificates() -> Certificates:
    ca = _issue("dermtriage test CA", None, ca=True)
    other_ca = _issue("some other CA", None, ca=True)
    return Certificates(
        ca=ca,
        server=_issue("localhost", ca, server=True),
        client=_issue("booking-system", ca),
        rogue_client=_issue("booking-system", other_ca),
        expired_server=_issue("localhost", ca, server=True, expired=True),
        expired_ca=_issue("an old CA", None, ca=True, expired=True),
    )
