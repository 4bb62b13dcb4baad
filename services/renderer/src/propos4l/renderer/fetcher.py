"""WeasyPrint URL fetcher that serves only the template's own files and `data:` URLs."""

from __future__ import annotations

import mimetypes
import os
import stat
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit
from urllib.request import url2pathname

from propos4l.renderer.paths import PathOutsideFolder, resolve_inside
from propos4l.renderer.weasy import URLFetcher, URLFetcherResponse

__all__ = ["MAX_ASSET_BYTES", "FetchRefused", "TemplateUrlFetcher"]

MAX_ASSET_BYTES: Final = 20 * 1024 * 1024


class FetchRefused(PermissionError):
    """The renderer refused to load a resource; WeasyPrint logs this and leaves the resource out."""


class TemplateUrlFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no type hints
    """Serve files inside one template folder (no `..`, no symlink escapes) and `data:` URLs; refuse the rest."""

    def __init__(self, template_dir: Path, *, max_bytes: int = MAX_ASSET_BYTES) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False)
        self._root = template_dir.resolve(strict=True)
        self._max_bytes = max_bytes
        self.problems: list[str] = []  # every refusal and missing file, since WeasyPrint only logs them

    @property
    def root(self) -> Path:
        """The real path of the folder files are served from."""
        return self._root

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        """Return a `URLFetcherResponse` for a template file or a `data:` URL; raise `FetchRefused` otherwise."""
        try:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                return self._fetch_file(url)
            raise FetchRefused(
                f"refused to load {_shorten(url)!r}: a proposal may only use files from its template folder "
                "and data: URLs, never the network"
            )
        except FileNotFoundError:
            self.problems.append(f"{self._relative(url)!r} is not in the template folder")
            raise
        except FetchRefused as refusal:
            self.problems.append(str(refusal))
            raise
        except Exception as error:
            self.problems.append(f"could not load {self._relative(url)!r}: {type(error).__name__}")
            raise

    def _relative(self, url: str) -> str:
        """A file URL as a path relative to the template folder, for messages."""
        path = url2pathname(urlsplit(url).path)
        if not url.lower().startswith("file:"):
            return _shorten(url)
        # Relative to the folder even when outside it ("../x.png", as the template wrote it): where the server keeps
        # its folders is nobody's business.
        return _shorten(Path(os.path.relpath(path, self._root)).as_posix())

    def _fetch_file(self, url: str) -> Any:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"refused to load {_shorten(url)!r}: file URLs on another host are not allowed")
        try:
            path = resolve_inside(self._root, url2pathname(parts.path))
        except PathOutsideFolder:
            raise FetchRefused(f"refused to load {self._relative(url)!r}: it is outside the template folder") from None
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise FetchRefused(f"refused to load {_shorten(url)!r}: not a regular file")
            if info.st_size > self._max_bytes:
                raise FetchRefused(
                    f"refused to load {_shorten(url)!r}: {info.st_size} bytes, more than {self._max_bytes}"
                )
            file_obj = os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise
        content_type = mimetypes.guess_type(path.name, strict=False)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), file_obj, {"Content-Type": content_type})


def _shorten(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit else url[: limit - 1] + "…"
