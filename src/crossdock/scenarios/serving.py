"""An ASGI application served by uvicorn on 127.0.0.1 from a thread, for as long as a block runs: the hub and
the Shopify sandbox of a rehearsal (and the tests that speak real HTTP)."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

# Ports handed out by this process, so two calls made before either port is listened on differ.
_handed_out: set[int] = set()


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on, taken below the kernel's ephemeral range.

    Why not bind port 0: that draws from the ephemeral range, from which the kernel also picks the local port
    of every outgoing connection, so between this call and the server's bind a client socket (to PostgreSQL,
    to a sandbox) could take it -- CI once lost a test to exactly that ("the server did not start")."""
    low, _high = _ephemeral_range()
    candidates = list(range(max(1024, low - 12000), low))
    random.shuffle(candidates)
    for port in candidates:
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port below the ephemeral range")


@contextmanager
def serving(app: Any, port: int | None = None, *, start_timeout: float = 30.0) -> Iterator[str]:
    """Yield the base URL of ``app`` served on ``port`` (or a free one) until the block ends."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, name=f"server-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + start_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server on port {port} did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
