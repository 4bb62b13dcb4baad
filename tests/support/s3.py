"""A real S3 API server for tests (moto's server mode) and a TCP proxy in front of it that can fail or be slow.

The proxy forwards bytes both ways. `cut_after_bytes` closes a connection once that many bytes of requests went
through it (an upload that breaks mid-body, as a dropped connection or a crashed store does); `delay_seconds`
waits that long before forwarding each piece of a request (a slow store or a slow network).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from propos4l.shared.localrun.servers import free_port

__all__ = ["CREDENTIALS", "FaultyProxy", "moto_s3", "s3_client"]

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing-key-id", "AWS_SECRET_ACCESS_KEY": "testing-secret-key"}
_PIECE = 16 * 1024


@contextlib.contextmanager
def moto_s3() -> Iterator[str]:
    """A moto S3 server on a free loopback port; yields its endpoint URL."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_client(endpoint: str) -> Any:
    """A plain boto3 client of `endpoint`, for what a test sets up or looks at behind the code's back."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


class FaultyProxy:
    """A loopback TCP proxy to `target_port` whose connections can be cut mid-request or slowed down."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.cut_after_bytes: int | None = None
        self.delay_seconds = 0.0
        self.cuts = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)  # so that the accepting thread sees the stop soon
        self.port: int = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="faulty proxy", daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultyProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._requests, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._answers, args=(upstream, client), daemon=True).start()

    def _requests(self, client: socket.socket, upstream: socket.socket) -> None:
        sent = 0
        try:
            while piece := client.recv(_PIECE):
                if self.delay_seconds:
                    time.sleep(self.delay_seconds)
                limit = self.cut_after_bytes
                if limit is not None and sent + len(piece) > limit:
                    upstream.sendall(piece[: max(limit - sent, 0)])
                    self.cuts += 1
                    break
                upstream.sendall(piece)
                sent += len(piece)
        except OSError:
            pass
        finally:
            _close(client, upstream)

    def _answers(self, upstream: socket.socket, client: socket.socket) -> None:
        try:
            while piece := upstream.recv(_PIECE):
                client.sendall(piece)
        except OSError:
            pass
        finally:
            _close(client, upstream)


def _close(*sockets: socket.socket) -> None:
    for each in sockets:
        with contextlib.suppress(OSError):
            each.shutdown(socket.SHUT_RDWR)
        each.close()
