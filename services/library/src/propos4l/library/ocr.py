"""Optical character recognition of a rendered page with Tesseract (Debian's tesseract-ocr, Portuguese and English)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytesseract
from PIL import Image

__all__ = ["DEFAULT_OCR_LANGUAGES", "OcrEngine", "OcrUnavailable", "find_tesseract"]

DEFAULT_OCR_LANGUAGES: Final = "por+eng"
# 300 dots per inch is what Tesseract is trained for; fewer loses accents, more costs time for nothing.
RENDER_DPI: Final = 300


class OcrUnavailable(Exception):
    """Tesseract, or one of its languages, is not installed."""


def find_tesseract(command: str | None = None) -> str | None:
    """The Tesseract program to run: `command` if given, else `tesseract` on the PATH (None when there is none)."""
    if command:
        return command if Path(command).exists() or shutil.which(command) else None
    return shutil.which("tesseract")


@dataclass(frozen=True, slots=True)
class OcrEngine:
    """Reads text from page images with Tesseract, one thread each (several workers share the machine's cores)."""

    command: str
    languages: str = DEFAULT_OCR_LANGUAGES

    def read(self, image: Image.Image, *, timeout_seconds: float) -> str:
        """The text Tesseract finds on `image`, paragraphs separated by blank lines."""
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        pytesseract.pytesseract.tesseract_cmd = self.command
        try:
            text: str = pytesseract.image_to_string(
                image, lang=self.languages, config="--psm 3", timeout=max(timeout_seconds, 1.0)
            )
        except pytesseract.TesseractNotFoundError as error:
            raise OcrUnavailable(f"Tesseract was not found at {self.command}") from error
        except pytesseract.TesseractError as error:
            if "Failed loading language" in str(error.message):
                raise OcrUnavailable(f"Tesseract lacks a language of {self.languages}: {error.message}") from error
            raise
        return text
