"""A small certificate authority for a hall without its own PKI (``make-ca``, ``make-cert``).

    python -m hall make-ca /etc/hall/tls              # ca.pem (give to kiosks), ca-key.pem
    python -m hall make-cert hall.local --ca-dir /etc/hall/tls [--ip 192.168.1.10]
    python -m hall serve --certfile /etc/hall/tls/hall.local.pem \\
                         --keyfile /etc/hall/tls/hall.local-key.pem ...

Kiosks verify the server against ``ca.pem`` (``[hall] ca_file`` in their settings). Keys are
EC P-256, written 0600 in a 0700 directory; the CA is valid 10 years, a server certificate
about 2 (825 days, what browsers accept). Keep ``ca-key.pem`` off the server if you can:
it is needed only to make the next certificate.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
CA_DAYS = 3650
CERT_DAYS = 825


@dataclass(frozen=True)
class CertFiles:
    cert: Path
    key: Path


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, mode)  # an existing file keeps its old mode through O_CREAT


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_ca(
    directory: Path, name: str = "Hall kiosk CA", *, now: dt.datetime | None = None
) -> CertFiles:
    """A self-signed CA in ``directory`` (created 0700); refuses to overwrite one."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    files = CertFiles(directory / CA_CERT, directory / CA_KEY)
    if files.cert.exists() or files.key.exists():
        raise FileExistsError(f"{directory} already holds a CA ({CA_CERT}/{CA_KEY})")
    now = now or dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(files.key, _key_pem(key), 0o600)
    _write(files.cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return files


def make_cert(
    ca_dir: Path,
    host: str,
    *,
    ips: list[str] | None = None,
    out_dir: Path | None = None,
    now: dt.datetime | None = None,
) -> CertFiles:
    """A server certificate for ``host`` (and ``ips``) signed by the CA in ``ca_dir``:
    ``HOST.pem`` (the chain: server, then CA) and ``HOST-key.pem`` (0600) in ``out_dir``."""
    out_dir = out_dir or ca_dir
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca_cert = x509.load_pem_x509_certificate((ca_dir / CA_CERT).read_bytes())
    ca_key = serialization.load_pem_private_key((ca_dir / CA_KEY).read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{ca_dir / CA_KEY}: not an EC key made by make-ca")
    now = now or dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.DNSName(host))
    for ip in ips or []:
        names.append(x509.IPAddress(ipaddress.ip_address(ip)))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=CERT_DAYS), ca_cert.not_valid_after_utc))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    stem = host.replace(":", "_")
    files = CertFiles(out_dir / f"{stem}.pem", out_dir / f"{stem}-key.pem")
    _write(files.key, _key_pem(key), 0o600)
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(
        serialization.Encoding.PEM
    )
    _write(files.cert, chain, 0o644)
    return files
