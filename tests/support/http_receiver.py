"""A real HTTP server on 127.0.0.1, in a thread, that records every request and answers each with the next
status it was told to give (200 once told nothing more): a webhook receiver that can fail on purpose."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    def json(self) -> Any:
        return json.loads(self.body)


class HttpReceiver:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.requests: list[ReceivedRequest] = []
        self._answers: deque[int] = deque()
        self._lock = threading.Lock()

    def answer_next(self, *statuses: int) -> None:
        """The statuses of the next requests, in order; later ones are answered 200."""
        with self._lock:
            self._answers.extend(statuses)

    def answer_always(self, status: int) -> None:
        with self._lock:
            self._answers.clear()
            self._answers.extend([status] * 1000)

    def take_answer(self) -> int:
        with self._lock:
            return self._answers.popleft() if self._answers else 200

    def record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def to(self, path: str) -> list[ReceivedRequest]:
        return [request for request in self.requests if request.path == path]


def _handler_for(receiver: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.take_answer()
            receiver.record(ReceivedRequest("POST", self.path, dict(self.headers.items()), body, status))
            answer = b"ok" if status < 300 else b"invalid_payload" if status < 500 else b"server_error"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
            return

    return Handler


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(receiver))
    receiver.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="test-http-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
