"""The same version renders to the same bytes, whenever and wherever it is rendered, so its recorded hash stays true."""

from __future__ import annotations

import hashlib
import io
import os
import time
import types
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fontTools.misc import timeTools
from pypdf import PdfReader

from propos4l.renderer.pdf import render_drafted
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import install_default_template
from propos4l.shared.sections import Language


def _clock_at(moment: float) -> types.SimpleNamespace:
    """A stand-in for the `time` module as fontTools sees it: `time()` says `moment`."""
    return types.SimpleNamespace(time=lambda: moment)


def test_a_version_rendered_twice_a_day_apart_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_default_template(tmp_path)
    drafted = sample_drafted(Language.PT_BR)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    # fontTools stamps the subset fonts it embeds with the current time (head.modified) unless told otherwise.
    monkeypatch.setattr(timeTools, "time", _clock_at(time.time()))
    first = render_drafted(drafted, tmp_path)
    monkeypatch.setattr(timeTools, "time", _clock_at(time.time() + 86_400))
    second = render_drafted(drafted, tmp_path)
    assert hashlib.sha256(first.data).hexdigest() == hashlib.sha256(second.data).hexdigest()


def test_a_render_leaves_the_environment_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_default_template(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "12345")
    render_drafted(sample_drafted(Language.EN), tmp_path)

    assert os.environ["SOURCE_DATE_EPOCH"] == "12345"


def test_the_pdf_is_dated_and_identified_by_its_version(tmp_path: Path) -> None:
    install_default_template(tmp_path)
    drafted = sample_drafted(Language.EN).model_copy(
        update={"occurred_at": datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC), "version": 3}
    )
    reader = PdfReader(io.BytesIO(render_drafted(drafted, tmp_path).data))
    assert reader.metadata is not None
    assert reader.metadata.creation_date == drafted.occurred_at
    assert reader.metadata.modification_date == drafted.occurred_at
    identifier = reader.trailer["/ID"][0]
    assert str(drafted.proposal_id) in bytes(identifier.original_bytes).decode()
    assert "v3" in bytes(identifier.original_bytes).decode()
