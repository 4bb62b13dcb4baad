"""Reading the deployment without Docker: the compose files, their interpolation, .env.example, Dockerfiles and
.dockerignore files, and the settings each service reads."""

from __future__ import annotations

import copy
import importlib
import json
import pkgutil
import re
import secrets
import shlex
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from pydantic_settings import BaseSettings

from propos4l.shared.localrun.supervisor import SERVICES
from propos4l.shared.telemetry.bootstrap import TelemetrySettings

__all__ = [
    "COMPOSE_FILE",
    "DEPLOY",
    "ENV_EXAMPLE",
    "GPU_COMPOSE_FILE",
    "PYTHON_SERVICES",
    "REPO",
    "DockerIgnore",
    "Dockerfile",
    "EnvExample",
    "InterpolationError",
    "deployment_environment",
    "env_name",
    "interpolate",
    "load_yaml",
    "lock_dependencies",
    "settings_classes",
    "settings_names",
    "variables_in",
]

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yml"
GPU_COMPOSE_FILE = DEPLOY / "compose.gpu.yml"
ENV_EXAMPLE = DEPLOY / ".env.example"
# The Python services, as the local run (`make run`) starts them: each is a folder, a compose service and a package.
PYTHON_SERVICES: tuple[str, ...] = tuple(SERVICES)


def load_yaml(path: Path) -> Any:
    """A YAML file as plain data (merge keys resolved, as Compose resolves them)."""
    return yaml.safe_load(path.read_text())


# --- interpolation, as the Compose specification defines it -----------------------------------------------------------

_REFERENCE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<modifier>:?[-?+])(?P<argument>.*))?$", re.DOTALL)


class InterpolationError(ValueError):
    """A required variable is missing, or a reference is malformed."""


def _substitute(text: str, environment: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        if match.group("named"):
            return environment.get(match.group("named"), "")
        braced = _BRACED.match(match.group("braced"))
        if braced is None:
            raise InterpolationError(f"invalid interpolation: ${{{match.group('braced')}}}")
        name, modifier, argument = braced.group("name", "modifier", "argument")
        value = environment.get(name)
        empty = value is None or value == ""
        if modifier is None:
            return value or ""
        if modifier == ":-":
            return argument if empty else value  # type: ignore[return-value]
        if modifier == "-":
            return argument if value is None else value
        if modifier in (":?", "?"):
            if value is None or (modifier == ":?" and empty):
                raise InterpolationError(f"required variable {name} is missing a value: {argument}")
            return value
        if modifier == ":+":
            return "" if empty else argument
        return "" if value is None else argument  # "+"

    return _REFERENCE.sub(replace, text)


def interpolate(document: Any, environment: Mapping[str, str]) -> Any:
    """`document` with every ${...} in its string values resolved from `environment` (keys are left alone)."""
    if isinstance(document, str):
        return _substitute(document, environment)
    if isinstance(document, list):
        return [interpolate(item, environment) for item in document]
    if isinstance(document, dict):
        return {key: interpolate(value, environment) for key, value in document.items()}
    return copy.copy(document)


def variables_in(document: Any) -> Iterator[tuple[str, str | None, str]]:
    """Every ${NAME...} reference in `document`'s strings: (name, modifier or None, argument)."""
    if isinstance(document, str):
        for match in _REFERENCE.finditer(document):
            if match.group("named"):
                yield match.group("named"), None, ""
            elif match.group("braced") is not None:
                braced = _BRACED.match(match.group("braced"))
                if braced is None:
                    raise InterpolationError(f"invalid interpolation: ${{{match.group('braced')}}}")
                yield braced.group("name"), braced.group("modifier"), braced.group("argument") or ""
    elif isinstance(document, list):
        for item in document:
            yield from variables_in(item)
    elif isinstance(document, dict):
        for value in document.values():
            yield from variables_in(value)


# --- .env.example -----------------------------------------------------------------------------------------------------

_ENV_LINE = re.compile(r"^(?P<comment>#\s*)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


@dataclass(frozen=True)
class EnvExample:
    """deploy/.env.example: the values it sets, and every name it documents (set, or shown commented out)."""

    values: dict[str, str]
    documented: frozenset[str]

    @classmethod
    def read(cls, path: Path = ENV_EXAMPLE) -> EnvExample:
        """Parse the file."""
        values: dict[str, str] = {}
        documented: set[str] = set()
        for line in path.read_text().splitlines():
            match = _ENV_LINE.match(line.strip())
            if match is None:
                continue
            documented.add(match.group("name"))
            if not match.group("comment"):
                value = match.group("value").strip()
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                    value = value[1:-1]
                values[match.group("name")] = value
        return cls(values, frozenset(documented))

    @property
    def required(self) -> frozenset[str]:
        """The names set with an empty value: the secrets an operator must fill in."""
        return frozenset(name for name, value in self.values.items() if value == "")


def deployment_environment(**overrides: str) -> dict[str, str]:
    """What an operator's deploy/.env would hold: .env.example, with a fresh secret for each empty value."""
    example = EnvExample.read()
    environment = {name: value or secrets.token_hex(24) for name, value in example.values.items()}
    environment.update(overrides)
    return environment


# --- the settings each service reads ----------------------------------------------------------------------------------


def _modules(package: str) -> Iterator[ModuleType]:
    root = importlib.import_module(package)
    yield root
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        yield importlib.import_module(info.name)


@cache
def settings_classes(service: str) -> tuple[type[BaseSettings], ...]:
    """The pydantic settings classes the service `service` reads: those its package defines, and the telemetry's."""
    package = f"propos4l.{service}"
    found: dict[str, type[BaseSettings]] = {}
    for module in _modules(package):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseSettings)
                and value.__module__.startswith(f"{package}.")
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    main = importlib.import_module(f"{package}.__main__")
    if hasattr(main, "running_telemetry"):  # the process starts its telemetry from OTEL_* settings
        found["telemetry"] = TelemetrySettings
    return tuple(found.values())


def env_name(settings_class: type[BaseSettings], field_name: str) -> str:
    """The environment variable a settings field is read from."""
    info = settings_class.model_fields[field_name]
    alias = info.validation_alias or info.alias
    prefix = settings_class.model_config.get("env_prefix", "")
    return (alias if isinstance(alias, str) else prefix + field_name).upper()


def settings_names(service: str) -> frozenset[str]:
    """Every environment variable the service `service` reads through its settings."""
    return frozenset(
        env_name(settings_class, name)
        for settings_class in settings_classes(service)
        for name in settings_class.model_fields
    )


# --- uv.lock ----------------------------------------------------------------------------------------------------------


@cache
def _lock() -> dict[str, dict[str, Any]]:
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    return {package["name"]: package for package in lock["package"]}


def lock_dependencies(package: str) -> frozenset[str]:
    """Every package `package` depends on, directly or not, as uv.lock records them."""
    packages = _lock()
    seen: set[str] = set()
    pending = [package]
    while pending:
        for dependency in packages[pending.pop()].get("dependencies", []):
            if dependency["name"] not in seen:
                seen.add(dependency["name"])
                pending.append(dependency["name"])
    return frozenset(seen)


# --- Dockerfiles ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, with its continuation lines joined."""

    keyword: str
    arguments: str
    stage: int

    def exec_form(self) -> list[str] | None:
        """The arguments as a JSON array, when they are written as one."""
        text = self.arguments.strip()
        if not text.startswith("["):
            return None
        parsed = json.loads(text)
        return [str(item) for item in parsed]

    def flags(self) -> dict[str, str]:
        """The --name=value flags of a COPY, RUN or FROM."""
        return dict(re.findall(r"--([a-z-]+)=(\S+)", self.arguments))

    def words(self) -> list[str]:
        """The arguments without their flags, split as a shell would."""
        return [word for word in shlex.split(self.arguments) if not word.startswith("--")]


@dataclass(frozen=True)
class Stage:
    """One FROM and what follows it."""

    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile: its stages and their instructions."""

    path: Path
    stages: list[Stage]

    @classmethod
    def read(cls, path: Path) -> Dockerfile:
        """Parse `path` (comments, continuations and exec forms; no parser directives needed here)."""
        logical: list[str] = []
        pending = ""
        for raw in path.read_text().splitlines():
            line = raw.strip()
            if not pending and (not line or line.startswith("#")):
                continue
            if line.startswith("#"):  # a comment inside a continued instruction
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            logical.append(pending + line)
            pending = ""
        stages: list[Stage] = []
        for line in logical:
            keyword, _, arguments = line.partition(" ")
            keyword = keyword.upper()
            if keyword == "FROM":
                words = [word for word in arguments.split() if not word.startswith("--")]
                name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
                stages.append(Stage(image=words[0], name=name))
            elif not stages:
                raise ValueError(f"{path}: {keyword} before the first FROM")
            stages[-1].instructions.append(Instruction(keyword, arguments.strip(), len(stages) - 1))
        return cls(path, stages)

    @property
    def instructions(self) -> list[Instruction]:
        """Every instruction, stage after stage."""
        return [instruction for stage in self.stages for instruction in stage.instructions]

    def last(self, keyword: str) -> Instruction | None:
        """The last `keyword` instruction of the final stage."""
        matching = [instruction for instruction in self.stages[-1].instructions if instruction.keyword == keyword]
        return matching[-1] if matching else None

    def external_images(self) -> list[str]:
        """The images it pulls: FROM lines that are not earlier stages, and COPY --from=<image>."""
        names = {stage.name for stage in self.stages if stage.name}
        images = [stage.image for stage in self.stages if stage.image not in names]
        for instruction in self.instructions:
            source = instruction.flags().get("from") if instruction.keyword == "COPY" else None
            if source is not None and source not in names and not source.isdigit():
                images.append(source)
        return images

    def context_sources(self) -> list[str]:
        """What the COPY and ADD instructions take from the build context."""
        sources: list[str] = []
        for instruction in self.instructions:
            if instruction.keyword in ("COPY", "ADD") and "from" not in instruction.flags():
                sources.extend(instruction.words()[:-1])
        return sources


# --- .dockerignore, with the semantics of Docker's pattern matcher ----------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's translation of a .dockerignore pattern (Go's filepath.Match, plus ** for any number of folders)."""
    out = ""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            index += 2
            if pattern.startswith("/", index):
                out += "(.*/)?"
                index += 1
            else:
                out += ".*"
            continue
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[":
            end = pattern.index("]", index)
            out += "[" + pattern[index + 1 : end].replace("!", "^", 1) + "]"
            index = end
        elif char == "\\" and index + 1 < len(pattern):
            index += 1
            out += re.escape(pattern[index])
        else:
            out += re.escape(char)
        index += 1
    return re.compile(f"^{out}$")


@dataclass(frozen=True)
class DockerIgnore:
    """The patterns of a .dockerignore: which paths of the context reach the builder."""

    patterns: tuple[tuple[bool, re.Pattern[str]], ...]

    @classmethod
    def parse(cls, lines: Iterable[str]) -> DockerIgnore:
        """Parse the lines of a .dockerignore."""
        patterns = []
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exception = line.startswith("!")
            cleaned = str(Path(line.removeprefix("!").strip()).as_posix()).lstrip("/")
            patterns.append((exception, _pattern_regex(cleaned)))
        return cls(tuple(patterns))

    @classmethod
    def read(cls, path: Path) -> DockerIgnore:
        """Read a .dockerignore file (none: nothing is ignored)."""
        return cls.parse(path.read_text().splitlines() if path.exists() else [])

    def includes(self, relative_path: str) -> bool:
        """True when the context's file `relative_path` is sent to the builder: the last matching pattern decides, and
        a pattern matches a path or any folder above it."""
        parts = relative_path.split("/")
        candidates = ["/".join(parts[: depth + 1]) for depth in range(len(parts))]
        included = True
        for exception, regex in self.patterns:
            if any(regex.match(candidate) for candidate in candidates):
                included = exception
        return included
