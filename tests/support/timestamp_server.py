"""An RFC 3161 timestamp server for tests: pyHanko's DummyTimeStamper behind HTTP, in a thread, on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from tests.support.signing_ca import TimestampAuthority

__all__ = ["timestamp_server"]


@contextlib.contextmanager
def timestamp_server(authority: TimestampAuthority) -> Iterator[tuple[str, list[int]]]:
    """The server's URL, and a list that counts the requests it answered."""
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(authority.certificate_der),
        tsa_key=keys.PrivateKeyInfo.load(authority.key_der),
    )
    answered: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            response = asyncio.run(stamper.async_request_tsa_response(request)).dump()
            answered.append(len(response))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(response)))
            self.end_headers()
            self.wfile.write(response)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", answered
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
