"""Checks of an archival PDF that tests share: its PDF/A identification, its embedded fonts, qpdf's verdict."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

__all__ = ["pdfa_identification", "qpdf", "qpdf_check", "unembedded_fonts"]

ROOT = Path(__file__).parents[2]


def qpdf() -> str | None:
    """qpdf on the PATH, or the one `make qpdf` (and `make test`) unpacked into .tools/bin."""
    local = ROOT / ".tools" / "bin" / "qpdf"
    return shutil.which("qpdf") or (str(local) if local.exists() else None)


def pdfa_identification(reader: PdfReader) -> dict[str, str]:
    """The pdfaid values of the XMP metadata ({"part": "3", "conformance": "B"}), as elements or attributes."""
    xmp = reader.xmp_metadata
    if xmp is None:
        return {}
    identification = xmp.rdf_root.getElementsByTagNameNS("http://www.aiim.org/pdfa/ns/id/", "*")
    found = {node.localName: (node.firstChild.data if node.firstChild else node.nodeValue) for node in identification}
    attributes = {
        attribute.localName: attribute.value
        for description in xmp.rdf_root.getElementsByTagNameNS("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "*")
        for attribute in (description.attributes.values() if description.attributes else ())
        if attribute.namespaceURI == "http://www.aiim.org/pdfa/ns/id/"
    }
    return {**attributes, **{key: value for key, value in found.items() if value}}


def unembedded_fonts(reader: PdfReader) -> list[str]:
    """The base names of the fonts the pages use without embedding them ([] for an archival PDF); a PDF without
    fonts fails the check too."""
    fonts: list[DictionaryObject] = []
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        fonts.extend(font.get_object() for font in resources.get("/Font", {}).values())
    if not fonts:
        return ["(no fonts at all)"]
    missing = []
    for font in fonts:
        descriptor = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descriptor["/FontDescriptor"].get_object()
        if not {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor):
            missing.append(str(font.get("/BaseFont")))
    return missing


def qpdf_check(data: bytes, program: str) -> subprocess.CompletedProcess[str]:
    """`qpdf --check` of the PDF bytes."""
    with tempfile.TemporaryDirectory(prefix="propos4l-qpdf-") as folder:
        pdf = Path(folder) / "checked.pdf"
        pdf.write_bytes(data)
        return subprocess.run([program, "--check", str(pdf)], capture_output=True, text=True, timeout=60, check=False)
