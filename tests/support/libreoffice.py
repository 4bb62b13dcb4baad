"""LibreOffice headless, as the tests and the examples use it: find it, and convert a DOCX to PDF with it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

__all__ = ["converted_to_pdf", "soffice"]

ROOT = Path(__file__).parents[2]


def soffice() -> str | None:
    """LibreOffice on the PATH, or the one `make libreoffice` (and `make test`) unpacked into .tools/bin."""
    local = ROOT / ".tools" / "bin" / "soffice"
    return shutil.which("soffice") or (str(local) if local.exists() else None)


def converted_to_pdf(docx: Path, program: str) -> Path:
    """The DOCX converted to PDF by LibreOffice headless, with a throwaway profile so runs never share state."""
    profile = docx.parent / "profile"
    subprocess.run(
        [
            program,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(docx.parent),
            str(docx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return docx.with_suffix(".pdf")
