"""A version's PDF is written once: later writes of the same version leave it as it is and report what is stored."""

from __future__ import annotations

import errno
import hashlib
import os
import uuid
from pathlib import Path

import pytest

from propos4l.renderer.storage import pdf_relative_path, store_once


def test_the_first_write_stores_the_pdf(tmp_path: Path) -> None:
    relative = pdf_relative_path(uuid.uuid4(), 2)
    stored = store_once(tmp_path, relative, b"first")
    assert stored.written and (stored.sha256, stored.size) == (hashlib.sha256(b"first").hexdigest(), 5)
    assert (tmp_path / relative).read_bytes() == b"first"
    assert relative.endswith("/v2.pdf")


def test_a_later_write_keeps_the_stored_pdf_and_reports_it(tmp_path: Path) -> None:
    relative = pdf_relative_path(uuid.uuid4(), 1)
    store_once(tmp_path, relative, b"first")
    again = store_once(tmp_path, relative, b"second, different")
    assert not again.written
    assert (again.sha256, again.size) == (hashlib.sha256(b"first").hexdigest(), 5)
    assert (tmp_path / relative).read_bytes() == b"first"
    assert [path.name for path in (tmp_path / relative).parent.iterdir()] == ["v1.pdf"]  # no temporary file left


def test_without_hard_links_the_stored_pdf_is_still_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(source: object, target: object) -> None:
        raise OSError(errno.EPERM, "hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    relative = pdf_relative_path(uuid.uuid4(), 1)
    assert store_once(tmp_path, relative, b"first").written
    again = store_once(tmp_path, relative, b"second")
    assert not again.written and (tmp_path / relative).read_bytes() == b"first"
    assert [path.name for path in (tmp_path / relative).parent.iterdir()] == ["v1.pdf"]
