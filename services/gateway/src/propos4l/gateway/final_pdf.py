"""The final PDF of an accepted proposal: the accepted version's PDF byte for byte, then, as an incremental update, an
acceptance page (who, when, from where, the accepted PDF's SHA-256), then a PAdES signature with the consultancy's
certificate when one is configured (ADR 0024).

Because the acceptance page and the signature are incremental updates, the final file starts with the accepted PDF's
exact bytes: anyone can check the hash printed on the page against the file's first `accepted_bytes` bytes.
"""

# pyHanko's PDF object constructors and writer methods carry no type hints.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import html
import io
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.aiohttp_client import HTTPTimeStamper

from propos4l.shared.sections import Language

__all__ = [
    "AcceptanceFacts",
    "FinalPdf",
    "PdfSigner",
    "SigningUnavailable",
    "acceptance_page_html",
    "append_page",
    "render_acceptance_page",
    "unsigned",
]

logger = logging.getLogger(__name__)

SIGNATURE_FIELD: Final = "Propos4lAcceptance"


class SigningUnavailable(ValueError):
    """The signing certificate cannot be used (unreadable file, wrong password, no private key)."""


@dataclass(frozen=True, slots=True)
class AcceptanceFacts:
    """What the acceptance page says."""

    language: Language
    client_name: str
    company_name: str
    version: int
    name: str
    email: str
    role: str | None
    note: str | None
    accepted_at: datetime
    address: str | None
    accepted_pdf_sha256: str
    accepted_pdf_bytes: int
    signed_by: str | None  # the certificate's subject, or None: the PDF is not digitally signed


@dataclass(frozen=True, slots=True)
class FinalPdf:
    """The final PDF's bytes, and its PAdES level (None: not signed)."""

    data: bytes
    signature_level: str | None


_WORDS: Final[dict[str, dict[str, str]]] = {
    "pt-BR": {
        "title": "Termo de aceite",
        "intro": "A proposta abaixo foi aceita pelo cliente pela página de compartilhamento.",
        "proposal": "Proposta",
        "version": "versão",
        "by": "Aceita por",
        "email": "E-mail",
        "role": "Cargo",
        "note": "Observação",
        "when": "Data e hora (UTC)",
        "address": "Endereço IP",
        "hash": "SHA-256 do PDF aceito",
        "size": "Tamanho do PDF aceito",
        "bytes": "bytes (os primeiros bytes deste arquivo são o PDF aceito, sem alteração)",
        "signed": "Documento assinado digitalmente (PAdES) por",
        "unsigned": "Este PDF não está assinado digitalmente: nenhum certificado de assinatura está configurado.",
    },
    "en": {
        "title": "Acceptance record",
        "intro": "The proposal below was accepted by the client through its share page.",
        "proposal": "Proposal",
        "version": "version",
        "by": "Accepted by",
        "email": "E-mail",
        "role": "Role",
        "note": "Note",
        "when": "Date and time (UTC)",
        "address": "IP address",
        "hash": "SHA-256 of the accepted PDF",
        "size": "Size of the accepted PDF",
        "bytes": "bytes (this file's first bytes are the accepted PDF, unchanged)",
        "signed": "Digitally signed (PAdES) by",
        "unsigned": "This PDF is not digitally signed: no signing certificate is configured.",
    },
}


def acceptance_page_html(facts: AcceptanceFacts) -> str:
    """The acceptance page as a self-contained HTML document (every value escaped)."""
    words = _WORDS[facts.language]

    def row(label: str, value: str | None) -> str:
        if not value:
            return ""
        return f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"

    rows = "".join(
        [
            row(words["proposal"], f"{facts.client_name} ({words['version']} {facts.version})"),
            row(words["by"], facts.name),
            row(words["email"], facts.email),
            row(words["role"], facts.role),
            row(words["note"], facts.note),
            row(words["when"], facts.accepted_at.strftime("%Y-%m-%d %H:%M:%S")),
            row(words["address"], facts.address),
            row(words["size"], f"{facts.accepted_pdf_bytes} {words['bytes']}"),
        ]
    )
    signature = (
        f"{html.escape(words['signed'])} {html.escape(facts.signed_by)}."
        if facts.signed_by
        else html.escape(words["unsigned"])
    )
    return f"""<!doctype html>
<html lang="{facts.language}"><head><meta charset="utf-8"><title>{html.escape(words["title"])}</title>
<style>
@page {{ size: A4; margin: 22mm 20mm; }}
body {{ font-family: sans-serif; font-size: 10.5pt; color: #1f2933; }}
h1 {{ font-size: 18pt; margin: 0 0 4mm; }}
p.company {{ color: #616e7c; margin: 0 0 8mm; }}
table {{ border-collapse: collapse; width: 100%; margin: 6mm 0; }}
th, td {{ text-align: left; vertical-align: top; padding: 2mm 3mm; border-bottom: 0.3pt solid #cbd2d9; }}
th {{ width: 32%; font-weight: bold; }}
.hash {{ font-family: monospace; font-size: 9.5pt; word-break: break-all; }}
</style></head>
<body>
<h1>{html.escape(words["title"])}</h1>
<p class="company">{html.escape(facts.company_name)}</p>
<p>{html.escape(words["intro"])}</p>
<table>{rows}</table>
<p><strong>{html.escape(words["hash"])}</strong></p>
<p class="hash">{facts.accepted_pdf_sha256}</p>
<p>{signature}</p>
</body></html>
"""


def render_acceptance_page(document: str) -> bytes:
    """The acceptance page's HTML as a one-page PDF (run in a render worker: WeasyPrint, nothing fetched)."""
    from propos4l.renderer.weasy import HTML, URLFetcher

    fetcher = URLFetcher(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False)
    data: bytes = HTML(string=document, url_fetcher=fetcher).write_pdf()
    return data


def append_page(original: bytes, page_pdf: bytes) -> IncrementalPdfFileWriter:
    """A writer that adds the first page of `page_pdf` after the last page of `original`, as an incremental update
    (the original bytes stay the file's prefix)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(original), strict=False)
    source = PdfFileReader(io.BytesIO(page_pdf), strict=False)
    page = source.root["/Pages"]["/Kids"][0].get_object()
    media_box = page["/MediaBox"]
    form = writer.import_page_as_xobject(source, 0)
    contents = generic.StreamObject(stream_data=b"q /Acceptance Do Q")
    new_page = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject([generic.NumberObject(int(value)) for value in media_box]),
            pdf_name("/Resources"): generic.DictionaryObject(
                {pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/Acceptance"): form})}
            ),
            pdf_name("/Contents"): writer.add_object(contents),
        }
    )
    writer.insert_page(new_page)
    return writer


class PdfSigner:
    """Signs PDFs with the consultancy's PKCS#12 certificate: PAdES B-B, or B-T with a timestamp server."""

    def __init__(self, signer: signers.SimpleSigner, tsa_url: str | None = None) -> None:
        self._signer = signer
        self._tsa_url = tsa_url

    @classmethod
    def load(cls, path: Path, password: str | None, tsa_url: str | None = None) -> PdfSigner:
        """The signer of the PKCS#12 file at `path`; `SigningUnavailable` when it cannot be used."""
        try:
            data = path.read_bytes()
            signer = signers.SimpleSigner.load_pkcs12_data(
                data, other_certs=(), passphrase=password.encode() if password else None
            )
        except (OSError, ValueError) as error:
            raise SigningUnavailable(
                f"SIGNING_CERT_PATH {path} cannot be used: {error} (a PKCS#12 file with its private key, and "
                "SIGNING_CERT_PASSWORD its password)"
            ) from None
        return cls(signer, tsa_url)

    @property
    def subject(self) -> str:
        """Who signs: the certificate's subject, as people read it."""
        certificate = self._signer.signing_cert
        return str(certificate.subject.human_friendly) if certificate is not None else ""

    @property
    def level(self) -> str:
        """The PAdES baseline level of the signatures it makes."""
        return "B-T" if self._tsa_url else "B-B"

    async def sign(self, writer: IncrementalPdfFileWriter, *, reason: str, location: str | None = None) -> bytes:
        """The signed PDF: `writer`'s document with one more incremental update holding the signature."""
        meta = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason,
            location=location,
        )
        timestamper = HTTPTimeStamper(self._tsa_url, timeout=10) if self._tsa_url else None
        output = io.BytesIO()
        await signers.async_sign_pdf(writer, meta, signer=self._signer, timestamper=timestamper, output=output)
        return output.getvalue()


def unsigned(writer: IncrementalPdfFileWriter) -> bytes:
    """`writer`'s document as bytes, without a signature."""
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
