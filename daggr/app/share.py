"""``launch(share=True)``: a public link through gradio's share tunnel.

A tunnel needs gradio and the internet (gradio's share server, and its ``frpc`` client,
downloaded on first use). Where it cannot be made, ``launch`` fails at once with the
reason instead of serving a page nobody outside can reach.

Example:
    >>> import os
    >>> os.environ["HF_HUB_OFFLINE"] = "1"
    >>> try:
    ...     check_share_possible()
    ... except ShareError as exc:
    ...     print(str(exc).split(":")[0])
    share=True cannot make a public link here
"""

from __future__ import annotations

import secrets

from daggr.errors import DaggrError

_ADVICE = (
    "Serve without share (the page is on this machine), or publish the graph as a "
    "Hugging Face Space with `daggr deploy app.py` (or graph.deploy())."
)


class ShareError(DaggrError, RuntimeError):
    """``share=True`` where no public tunnel can be made."""


def check_share_possible() -> None:
    """Raise :class:`ShareError`, saying why, when a tunnel certainly cannot be made."""
    from daggr.remote.config import hub_offline

    try:
        import gradio.networking  # noqa: F401
    except ImportError:
        raise ShareError(
            "share=True cannot make a public link here: share links come from gradio's "
            f"tunnel, and gradio is not installed (pip install gradio). {_ADVICE}"
        ) from None
    if hub_offline():
        raise ShareError(
            "share=True cannot make a public link here: a share link needs the internet "
            f"(gradio's share server), and HF_HUB_OFFLINE is set. {_ADVICE}"
        )


def open_tunnel(host: str, port: int) -> str:
    """Open gradio's share tunnel to ``host:port``; returns the public URL (valid for a
    week)."""
    check_share_possible()
    from gradio.networking import setup_tunnel

    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    try:
        return setup_tunnel(
            local_host=local,
            local_port=port,
            share_token=secrets.token_urlsafe(32),
            share_server_address=None,
            share_server_tls_certificate=None,
        )
    except Exception as exc:
        raise ShareError(
            f"share=True could not make a public link: {type(exc).__name__}: {exc}. {_ADVICE}"
        ) from exc
