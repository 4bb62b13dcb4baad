"""The URL fetcher serves the template's own files and data: URLs, and refuses everything else."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from propos4l.renderer.fetcher import FetchRefused, TemplateUrlFetcher
from propos4l.renderer.weasy import URLFetchingError, fetch


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "tmpl"
    (root / "assets").mkdir(parents=True)
    (root / "assets" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root / "style.css").write_text("p { color: red }")
    (tmp_path / "secret.txt").write_text("secret")
    return root


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.3)
    yield sock
    sock.close()


def _assert_no_connection(sock: socket.socket) -> None:
    with pytest.raises(TimeoutError):
        sock.accept()


def test_serves_a_file_in_the_folder(folder: Path) -> None:
    fetcher = TemplateUrlFetcher(folder)
    response = fetcher.fetch((folder / "assets" / "logo.svg").as_uri())
    try:
        assert response.read() == (folder / "assets" / "logo.svg").read_bytes()
        assert response.content_type == "image/svg+xml"
    finally:
        response.close()


def test_css_is_served_as_text_css(folder: Path) -> None:
    fetcher = TemplateUrlFetcher(folder)
    with fetch(fetcher, (folder / "style.css").as_uri()) as response:
        assert response.content_type == "text/css"
        assert response.read() == b"p { color: red }"


def test_serves_data_urls(folder: Path) -> None:
    with fetch(TemplateUrlFetcher(folder), "data:text/plain;base64,aGVsbG8=") as response:
        assert response.read() == b"hello"


@pytest.mark.parametrize(
    "url",
    ["file:///etc/hostname", "file:///etc/passwd", "file://otherhost/tmp/x", "ftp://127.0.0.1/x", "gopher://x/"],
)
def test_refuses_files_outside_and_other_schemes(folder: Path, url: str) -> None:
    with pytest.raises(FetchRefused, match="refused to load"):
        TemplateUrlFetcher(folder).fetch(url)


def test_refuses_dot_dot_out_of_the_folder(folder: Path) -> None:
    url = folder.as_uri() + "/../secret.txt"
    with pytest.raises(FetchRefused, match="outside the template folder"):
        TemplateUrlFetcher(folder).fetch(url)


def test_refuses_symlink_escapes(folder: Path) -> None:
    os.symlink(folder.parent / "secret.txt", folder / "assets" / "link.txt")
    os.symlink(folder.parent, folder / "up")
    fetcher = TemplateUrlFetcher(folder)
    for url in ((folder / "assets" / "link.txt").as_uri(), (folder / "up" / "secret.txt").as_uri()):
        with pytest.raises(FetchRefused, match="outside the template folder"):
            fetcher.fetch(url)


def test_symlink_inside_the_folder_is_served(folder: Path) -> None:
    os.symlink(folder / "style.css", folder / "assets" / "alias.css")
    with fetch(TemplateUrlFetcher(folder), (folder / "assets" / "alias.css").as_uri()) as response:
        assert response.read() == b"p { color: red }"


def test_refuses_directories(folder: Path) -> None:
    with pytest.raises(FetchRefused, match="not a regular file"):
        TemplateUrlFetcher(folder).fetch((folder / "assets").as_uri())


def test_refuses_oversized_files(folder: Path) -> None:
    (folder / "big.bin").write_bytes(b"x" * 2048)
    with pytest.raises(FetchRefused, match="more than 1024"):
        TemplateUrlFetcher(folder, max_bytes=1024).fetch((folder / "big.bin").as_uri())


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_refuses_the_network_without_connecting(folder: Path, listener: socket.socket, scheme: str) -> None:
    port = listener.getsockname()[1]
    with pytest.raises(FetchRefused, match="never the network"):
        TemplateUrlFetcher(folder).fetch(f"{scheme}://127.0.0.1:{port}/logo.png")
    _assert_no_connection(listener)


def test_weasyprint_sees_a_refusal_as_a_skippable_fetch_error(folder: Path) -> None:
    with (
        pytest.raises(URLFetchingError, match="FetchRefused"),
        fetch(TemplateUrlFetcher(folder), "file:///etc/hostname"),
    ):
        pass
