"""Helpers for the app tests: running an exported app.py, free ports."""

from __future__ import annotations

import socket

# Runs an exported app.py as `python app.py` would.
LAUNCH_APP_PY = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
