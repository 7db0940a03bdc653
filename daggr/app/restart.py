"""Restarting ``daggr app.py`` in place when daggr's own code changes (``--watch-daggr``).

A module of daggr itself cannot be re-imported into a running server, so the process
re-executes itself. The listening socket is handed over to the new process (its file
descriptor in ``DAGGR_LISTEN_FD``): the app stays on the same address, pages reconnect by
themselves, and the port is never briefly taken by someone else or blocked by closing
connections.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

LISTEN_FD = "DAGGR_LISTEN_FD"


def adopt_socket() -> socket.socket | None:
    """The listening socket a restarting daggr handed over, if any (taken once)."""
    fd = os.environ.pop(LISTEN_FD, None)
    if not fd:
        return None
    try:
        sock = socket.socket(fileno=int(fd))
    except (OSError, ValueError):
        return None
    sock.set_inheritable(False)
    return sock


class Restart:
    """Asked for by the file watcher (any thread); done by the main thread once the
    server has stopped (:meth:`run`), so the process is never left half-served."""

    def __init__(self, running: Any) -> None:
        self.running = running
        self.fd: int | None = None

    def request(self) -> None:
        if self.fd is not None:
            return
        print("daggr: daggr's own code changed; restarting", flush=True)
        self.fd = os.dup(self.running.listen_socket.fileno())  # outlives the server's own
        os.set_inheritable(self.fd, True)
        self.running.stop()  # the main thread's wait() returns

    @property
    def requested(self) -> bool:
        return self.fd is not None

    def run(self, argv: list[str]) -> None:
        """Run ``daggr <argv>`` again in this process, on the same socket."""
        self.running.state.store.close()
        os.environ[LISTEN_FD] = str(self.fd)
        again = [a for a in argv if a != "--no-browser"] + ["--no-browser"]  # tab is open
        os.execv(sys.executable, [sys.executable, "-m", "daggr", *again])
