"""A deterministic fake embedding server speaking Ollama's `/api/embed` and the OpenAI-compatible `/v1/embeddings`.

A text's vector is a bag of its words' concepts, hashed into the model's dimensions and L2-normalised (as Ollama's
are): a word counts as its accent-folded five-letter prefix (so 'migração', 'migrar' and 'migration' are one term),
and a small table of synonyms maps paraphrases and translations to one concept ('nuvem', 'cloud'), so similar texts
are close, like a real multilingual model's, and a paraphrase without shared words still finds its passage.

Errors as the real servers give them: an unknown model is Ollama's 404 {"error": "model \"x\" not found, try pulling
it first"} or OpenAI's 404 {"error": {"message", "type", "code": "model_not_found"}}; a text longer than the model's
context is a 400 (Ollama only when `truncate` is false; OpenAI-compatible servers always); an empty input a 400.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import re
import socket
import threading
import time
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any, Final

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = ["CONCEPTS", "DEFAULT_MODELS", "FakeEmbeddingServer", "fake_embedding"]

DEFAULT_MODELS: Final = {"bge-m3": 1024, "fake-small": 256, "fake-other": 192}
CONTEXT_WORDS: Final = 2000  # words a text may have before it is "too long for the context"
_WORD: Final = re.compile(r"[^\W_]+")
_PREFIX: Final = 5
# Paraphrases and translations a multilingual model would place together: each group is one concept.
_SYNONYM_GROUPS: Final = (
    ("nuvem", "cloud", "aws", "azure", "gcp", "hyperscaler"),
    ("migra", "mover", "move", "movin", "lift", "shift", "moved"),
    ("legad", "legac", "antig", "mainf", "cobol", "old", "velho"),
    ("dados", "data", "analy", "analí", "anali", "warehouse", "lake", "lakeh", "bi"),
    ("segur", "secur", "prote", "prot", "ciber", "cyber", "iso", "lgpd", "gdpr", "priva"),
    ("banco", "bank", "banki", "finan", "fintech", "pagam", "payme", "credi", "credit"),
    ("saude", "healt", "hospi", "clini", "pacie", "patie", "medic"),
    ("varej", "retai", "loja", "store", "ecomm", "comme", "vendas", "sales"),
    ("custo", "cost", "econo", "savin", "reduz", "reduc", "cheap", "barat", "eficiê", "efici"),
    ("autom", "robot", "rpa", "pipel", "devop", "ci", "cd"),
    ("inteli", "intel", "ia", "ai", "machi", "model", "apren", "learn", "llm", "genai"),
    ("equip", "team", "pesso", "peopl", "time", "squad", "consu"),
    ("prazo", "deadl", "crono", "sched", "timel", "seman", "weeks", "meses", "month"),
    ("govern", "gover", "publi", "publ", "estad", "state", "prefe", "munic"),
    ("energ", "power", "eletr", "elect", "utili", "petro", "oil", "gas"),
    ("logis", "frota", "fleet", "suppl", "cadei", "chain", "entre", "deliv"),
    ("apli", "app", "appli", "mobil", "celul", "aplic", "softw", "siste", "syste"),
    ("integ", "api", "apis", "conec", "conne", "micro"),
    ("kuber", "conta", "docke", "orque", "orche", "k8s"),
    ("monit", "obser", "obsv", "alert", "telem", "loggi", "logs"),
)
CONCEPTS: Final = {term: group[0] for group in _SYNONYM_GROUPS for term in group}
# Words a model gives next to no weight: without this, "de" and "the" would make every text alike.
_STOP_WORDS: Final = frozenset(
    "a o as os de da do das dos e em no na nos nas um uma para por com sem que se ao aos the of and to in on for "
    "with by an at or is are was were be as from this that our we".split()
)


def _term(word: str) -> str:
    folded = "".join(char for char in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(char))
    prefix = folded[:_PREFIX]
    return CONCEPTS.get(folded, CONCEPTS.get(prefix, prefix))


def fake_embedding(text: str, dimensions: int) -> list[float]:
    """The fake's vector of `text`: hashed concept counts, L2-normalised (a text without words: a fixed vector)."""
    vector = [0.0] * dimensions
    for word in _WORD.findall(text):
        if len(word) < 2 or word.lower() in _STOP_WORDS:
            continue
        digest = hashlib.sha256(_term(word).encode()).digest()
        index = int.from_bytes(digest[:4], "big") % dimensions
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0:
        vector[0], norm = 1.0, 1.0
    return [round(value / norm, 6) for value in vector]


class FakeEmbeddingServer:
    """The fake in a uvicorn thread on a free port; `models` maps names to dimensions; usable as a context manager."""

    def __init__(self, models: Mapping[str, int] | None = None, *, latency: float = 0.0) -> None:
        self.models = dict(models or DEFAULT_MODELS)
        self.latency = latency
        self.requests: list[dict[str, Any]] = []
        self.failing = False  # answer 503 to everything, like a server that is restarting
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._app = Starlette(
            routes=[
                Route("/api/embed", self._ollama_embed, methods=["POST"]),
                Route("/v1/embeddings", self._openai_embed, methods=["POST"]),
                Route("/api/tags", self._tags, methods=["GET"]),
            ]
        )

    @property
    def url(self) -> str:
        """The Ollama-style base URL (append /v1 for the OpenAI-compatible API)."""
        if self._socket is None:
            raise RuntimeError("the fake embedding server is not running")
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self, timeout: float = 10.0) -> None:
        """Serve in a background thread; return once it listens."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        self._socket = sock
        config = uvicorn.Config(self._app, log_level="warning", lifespan="off", access_log=False)
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake embedding server did not start")
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving; connections are refused afterwards (a server that is down)."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> FakeEmbeddingServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """Answer 503 inside the block (the process up, the model server not)."""
        self.failing = True
        try:
            yield
        finally:
            self.failing = False

    def embedded_texts(self, model: str | None = None) -> list[str]:
        """Every text embedded so far (of `model`, when given), oldest first."""
        with self._lock:
            return [
                text
                for request in self.requests
                if model is None or request["model"] == model
                for text in request["input"]
            ]

    async def _read(self, request: Request) -> tuple[dict[str, Any] | None, list[str] | None, str | None]:
        if self.latency:
            import asyncio

            await asyncio.sleep(self.latency)
        try:
            body = await request.json()
        except ValueError:
            return None, None, "invalid JSON"
        if not isinstance(body, dict):
            return None, None, "the body must be an object"
        raw = body.get("input")
        texts = [raw] if isinstance(raw, str) else raw
        if not isinstance(texts, list) or not texts or not all(isinstance(text, str) for text in texts):
            return body, None, "input must be a non-empty string or list of strings"
        with self._lock:
            self.requests.append({"model": body.get("model"), "input": list(texts), "path": request.url.path})
        return body, texts, None

    async def _ollama_embed(self, request: Request) -> JSONResponse:
        if self.failing:
            return JSONResponse({"error": "server busy, please try again"}, status_code=503)
        body, texts, problem = await self._read(request)
        if problem is not None or body is None or texts is None:
            return JSONResponse({"error": problem}, status_code=400)
        model = str(body.get("model", ""))
        dimensions = self.models.get(model.removesuffix(":latest"))
        if dimensions is None:
            return JSONResponse({"error": f'model "{model}" not found, try pulling it first'}, status_code=404)
        truncate = body.get("truncate", True)
        if not truncate and any(len(_WORD.findall(text)) > CONTEXT_WORDS for text in texts):
            return JSONResponse({"error": "the input length exceeds the context length"}, status_code=400)
        vectors = [fake_embedding(" ".join(_WORD.findall(text)[:CONTEXT_WORDS]), dimensions) for text in texts]
        return JSONResponse(
            {
                "model": model,
                "embeddings": vectors,
                "total_duration": 1000,
                "load_duration": 100,
                "prompt_eval_count": sum(len(_WORD.findall(text)) for text in texts),
            }
        )

    async def _openai_embed(self, request: Request) -> JSONResponse:
        if self.failing:
            return _openai_error(503, "server busy, please try again", "server_error", None)
        body, texts, problem = await self._read(request)
        if problem is not None or body is None or texts is None:
            return _openai_error(400, problem or "invalid request", "invalid_request_error", None)
        model = str(body.get("model", ""))
        dimensions = self.models.get(model)
        if dimensions is None:
            return _openai_error(
                404, f"The model `{model}` does not exist.", "invalid_request_error", "model_not_found"
            )
        if any(len(_WORD.findall(text)) > CONTEXT_WORDS for text in texts):
            return _openai_error(
                400,
                f"This model's maximum context length is {CONTEXT_WORDS} tokens, however you requested more. "
                "Please reduce the length of the input.",
                "invalid_request_error",
                "context_length_exceeded",
            )
        data = [
            {"object": "embedding", "index": index, "embedding": fake_embedding(text, dimensions)}
            for index, text in enumerate(texts)
        ]
        tokens = sum(len(_WORD.findall(text)) for text in texts)
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    async def _tags(self, request: Request) -> JSONResponse:
        return JSONResponse({"models": [{"name": f"{name}:latest", "model": f"{name}:latest"} for name in self.models]})


def _openai_error(status: int, message: str, kind: str, code: str | None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": code}}, status_code=status)
