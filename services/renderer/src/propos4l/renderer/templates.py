"""Template folders: install the packaged default one, and load one by name with its manifest checked."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from propos4l.renderer.errors import TemplateError, TemplateNotFound
from propos4l.renderer.manifest import TemplateManifest
from propos4l.renderer.paths import PathOutsideFolder, resolve_inside

__all__ = [
    "DEFAULT_TEMPLATE_NAME",
    "MANIFEST_FILE",
    "PACKAGED_DEFAULT_TEMPLATE",
    "TEMPLATE_FILE",
    "TemplateFolder",
    "install_default_template",
    "load_template",
]

DEFAULT_TEMPLATE_NAME: Final = "default"
MANIFEST_FILE: Final = "manifest.json"
TEMPLATE_FILE: Final = "template.html"
PACKAGED_DEFAULT_TEMPLATE: Final = Path(__file__).parent / "default_template"
_NAME: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


@dataclass(frozen=True, slots=True)
class TemplateFolder:
    """A checked template folder: its name, real path and manifest."""

    name: str
    path: Path
    manifest: TemplateManifest


def install_default_template(templates_dir: Path) -> None:
    """Copy the packaged default template to `templates_dir/default` unless it exists, atomically."""
    templates_dir.mkdir(parents=True, exist_ok=True)
    target = templates_dir / DEFAULT_TEMPLATE_NAME
    if target.exists():
        return
    staging = Path(tempfile.mkdtemp(prefix=f".{DEFAULT_TEMPLATE_NAME}-", dir=templates_dir))
    try:
        shutil.copytree(PACKAGED_DEFAULT_TEMPLATE, staging, dirs_exist_ok=True)
        staging.chmod(0o755)
        try:
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():  # not another installer winning the race: a real error
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_template(templates_dir: Path, name: str) -> TemplateFolder:
    """Return the template folder `name` under `templates_dir`; raise `TemplateError`/`TemplateNotFound`."""
    if not _NAME.fullmatch(name):
        raise TemplateError(
            f"{name[:80]!r} is not a valid template name: use 1 to 64 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    folder = templates_dir / name
    if not folder.is_dir():
        raise TemplateNotFound(f"there is no template named {name!r}")  # not where: that is the server's
    real = folder.resolve(strict=True)
    for required in (MANIFEST_FILE, TEMPLATE_FILE):
        _require_file(real, required, name)
    try:
        manifest = TemplateManifest.model_validate_json(resolve_inside(real, MANIFEST_FILE).read_bytes(), strict=False)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'manifest'}: {error['msg']}"
            for error in exc.errors()[:5]
        )
        raise TemplateError(f"the manifest of template {name!r} is invalid: {problems}") from None
    if manifest.name != name:
        raise TemplateError(f"the manifest of template {name!r} names it {manifest.name!r}; they must match")
    _require_file(real, manifest.brand.logo, name)
    return TemplateFolder(name=name, path=real, manifest=manifest)


def _require_file(folder: Path, relative: str, name: str) -> None:
    try:
        path = resolve_inside(folder, relative)
    except PathOutsideFolder:
        raise TemplateError(f"{relative!r} of template {name!r} points outside its folder") from None
    if not path.is_file():
        raise TemplateError(f"template {name!r} has no file {relative!r}")
