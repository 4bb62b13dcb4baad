"""The final PDF of an acceptance: the accepted PDF's bytes first, an acceptance page after them, and a PAdES
signature that pyHanko's validator accepts against the test CA that signed the certificate."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader, PdfWriter

from propos4l.gateway.final_pdf import (
    AcceptanceFacts,
    PdfSigner,
    SigningUnavailable,
    acceptance_page_html,
    append_page,
    render_acceptance_page,
    unsigned,
)
from tests.support.signing_ca import SigningCa, issue_tsa_certificate, make_signing_ca
from tests.support.timestamp_server import timestamp_server


def two_page_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def facts(original: bytes, signed_by: str | None, language: str = "pt-BR") -> AcceptanceFacts:
    return AcceptanceFacts(
        language="en" if language == "en" else "pt-BR",
        client_name="Cooperativa <Vale> & Verde",
        company_name="Consultoria Exemplo",
        version=2,
        name="Ana Souza",
        email="ana@cliente.example",
        role="Diretora de TI",
        note="De acordo.",
        accepted_at=datetime(2026, 12, 6, 15, 30, tzinfo=UTC),
        address="203.0.113.7",
        accepted_pdf_sha256=hashlib.sha256(original).hexdigest(),
        accepted_pdf_bytes=len(original),
        signed_by=signed_by,
    )


def page_text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[-1].extract_text()


def hashes_in(text: str) -> list[str]:
    return re.findall(r"[0-9a-f]{64}", re.sub(r"\s+", "", text))


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> SigningCa:
    return make_signing_ca(tmp_path_factory.mktemp("ca"))


def validation_context(ca: SigningCa) -> ValidationContext:
    _, _, der = pem.unarmor(ca.root_pem)
    return ValidationContext(trust_roots=[asn1_x509.Certificate.load(der)])


def test_the_acceptance_page_follows_the_unchanged_accepted_pdf_and_names_its_hash() -> None:
    original = two_page_pdf()
    page = render_acceptance_page(acceptance_page_html(facts(original, None)))
    final = unsigned(append_page(original, page))
    assert final.startswith(original)  # an incremental update: the accepted bytes are the file's prefix
    assert len(PdfReader(io.BytesIO(final)).pages) == 3
    text = page_text(final)
    assert hashes_in(text) == [hashlib.sha256(original).hexdigest()]
    assert "Ana Souza" in text and "203.0.113.7" in text and "Cooperativa <Vale> & Verde" in text
    assert "não está assinado digitalmente" in text


def test_the_page_is_in_the_proposals_language() -> None:
    original = two_page_pdf()
    text = page_text(render_acceptance_page(acceptance_page_html(facts(original, "X", language="en"))))
    assert "Acceptance record" in text and "Digitally signed (PAdES) by X" in text


def test_a_signed_final_pdf_validates_against_the_ca_and_covers_the_whole_file(test_ca: SigningCa) -> None:
    original = two_page_pdf()
    signer = PdfSigner.load(test_ca.pkcs12_path, test_ca.password)
    assert test_ca.signer_name in signer.subject and signer.level == "B-B"
    page = render_acceptance_page(acceptance_page_html(facts(original, signer.subject)))
    signed = asyncio.run(signer.sign(append_page(original, page), reason="Proposta aceita"))
    assert signed.startswith(original)
    reader = PdfFileReader(io.BytesIO(signed))
    (signature,) = reader.embedded_signatures
    status = asyncio.run(async_validate_pdf_signature(signature, validation_context(test_ca)))
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE"
    assert hashes_in(page_text(signed)) == [hashlib.sha256(original).hexdigest()]


def test_a_signature_from_another_ca_is_not_trusted(test_ca: SigningCa, tmp_path: Path) -> None:
    other = make_signing_ca(tmp_path)
    original = two_page_pdf()
    page = render_acceptance_page(acceptance_page_html(facts(original, None)))
    signed = asyncio.run(
        PdfSigner.load(other.pkcs12_path, other.password).sign(append_page(original, page), reason="x")
    )
    (signature,) = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    status = asyncio.run(async_validate_pdf_signature(signature, validation_context(test_ca)))
    assert status.intact and not status.trusted and not status.bottom_line


def test_a_wrong_password_or_file_is_refused_with_a_clear_message(test_ca: SigningCa, tmp_path: Path) -> None:
    with pytest.raises(SigningUnavailable, match="SIGNING_CERT_PASSWORD"):
        PdfSigner.load(test_ca.pkcs12_path, "wrong password")
    not_pkcs12 = tmp_path / "x.p12"
    not_pkcs12.write_bytes(b"not a certificate")
    with pytest.raises(SigningUnavailable, match="cannot be used"):
        PdfSigner.load(not_pkcs12, None)


def test_with_a_timestamp_server_the_signature_is_b_t_and_its_timestamp_is_trusted(test_ca: SigningCa) -> None:
    original = two_page_pdf()
    with timestamp_server(issue_tsa_certificate(test_ca)) as (url, answered):
        signer = PdfSigner.load(test_ca.pkcs12_path, test_ca.password, url)
        assert signer.level == "B-T"
        page = render_acceptance_page(acceptance_page_html(facts(original, signer.subject)))
        signed = asyncio.run(signer.sign(append_page(original, page), reason="Proposta aceita"))
    assert answered, "the timestamp server was asked"
    (signature,) = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    status = asyncio.run(async_validate_pdf_signature(signature, validation_context(test_ca)))
    assert status.bottom_line and status.trusted
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
