"""A throwaway certificate authority for signing tests: a root CA and a signer certificate, as a PKCS#12 file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["SigningCa", "TimestampAuthority", "issue_tsa_certificate", "make_signing_ca"]


@dataclass(frozen=True)
class SigningCa:
    """The root's certificate (PEM, for a validation context) and the signer's PKCS#12 file and its password."""

    root_pem: bytes
    pkcs12_path: Path
    password: str
    signer_name: str
    root_certificate: x509.Certificate
    root_key: rsa.RSAPrivateKey


@dataclass(frozen=True)
class TimestampAuthority:
    """A timestamping certificate the root issued (DER) and its private key (PKCS#8 DER)."""

    certificate_der: bytes
    key_der: bytes


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Propos4l Test Consultoria"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_signing_ca(folder: Path, password: str = "test-pkcs12-password") -> SigningCa:  # noqa: S107 - a test file
    """A root CA and a signer certificate it issued (digital signature, non-repudiation), written as PKCS#12."""
    now = dt.datetime.now(dt.UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = _name("Propos4l Test Root CA")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
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
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    signer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer_name = "Propos4l Test Signer"
    signer = (
        x509.CertificateBuilder()
        .subject_name(_name(signer_name))
        .issuer_name(root_name)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"signer",
        signer_key,
        signer,
        [root],
        serialization.BestAvailableEncryption(password.encode()),
    )
    path = folder / "signer.p12"
    path.write_bytes(data)
    return SigningCa(root.public_bytes(serialization.Encoding.PEM), path, password, signer_name, root, root_key)


def issue_tsa_certificate(ca: SigningCa) -> TimestampAuthority:
    """A certificate for an RFC 3161 timestamp server (extended key usage timeStamping, critical), issued by `ca`."""
    now = dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name("Propos4l Test TSA"))
        .issuer_name(ca.root_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.root_key.public_key()), critical=False)
        .sign(ca.root_key, hashes.SHA256())
    )
    return TimestampAuthority(
        certificate.public_bytes(serialization.Encoding.DER),
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
