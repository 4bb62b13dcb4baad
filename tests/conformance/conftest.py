"""The conformance stage: the real llama.cpp server, installed by `make llama-server`, required by `make test`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.llama import LlamaServer, llama_python


@pytest.fixture(scope="session")
def llama_interpreter() -> Path:
    """The llama.cpp server's Python; `make test` requires it, other runs skip the stage and say how to get it."""
    python = llama_python()
    if python is None:
        if os.environ.get("PROPOS4L_REQUIRE_CONFORMANCE"):
            pytest.fail("PROPOS4L_LLAMA_PYTHON does not point at the llama.cpp server's Python (make llama-server)")
        pytest.skip(
            "no real llama.cpp server here: `make llama-server`, then PROPOS4L_LLAMA_PYTHON=.tools/llama/bin/python"
        )
    return python


@pytest.fixture(scope="module")
def llama_server(llama_interpreter: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """One real server for a module's tests."""
    server = LlamaServer(llama_interpreter, tmp_path_factory.mktemp("llama") / "server.log")
    server.start()
    yield server
    server.stop()
