"""On whose behalf a remote call is made: the visitor of a served graph.

In a notebook nobody else is there: calls use your token (``HF_TOKEN`` or your login).
A served graph has visitors; each visitor's session carries a :class:`Visitor`, which the
engine makes current while that session's nodes run, and the remote adapters ask:

- ``token``: a signed-in visitor's own Hugging Face token (OAuth), used for their calls;
- ``owner_token``: whether the server's token may be used when the visitor has none
  (off on a Space: an anonymous visitor must not spend the owner's quota or reach the
  owner's private Spaces);
- ``headers``: what is forwarded to Gradio apps, the visitor's ZeroGPU identity
  (``X-IP-Token``), so their quota is used rather than the owner's.

Example:
    >>> v = Visitor(token=None, owner_token=False, headers={"x-ip-token": "abc"})
    >>> with acting_for(v):
    ...     current() is v, call_token() is None
    (True, True)
    >>> current() is None
    True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field

from daggr.remote.auth import get_token

# Headers of a visitor's request that go on to the Gradio apps their nodes call.
FORWARDED = ("x-ip-token",)


@dataclass(frozen=True)
class Visitor:
    """A served graph's visitor, as remote calls see them."""

    token: str | None = None
    owner_token: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never the token itself
        who = "signed in" if self.token else "anonymous"
        return f"Visitor({who}, owner_token={self.owner_token}, headers={sorted(self.headers)})"


_current: ContextVar[Visitor | None] = ContextVar("daggr_visitor", default=None)


def current() -> Visitor | None:
    """The visitor whose nodes are running here (None in a notebook or a script)."""
    return _current.get()


@contextlib.contextmanager
def acting_for(visitor: Visitor | None) -> Iterator[None]:
    """Make ``visitor`` current inside the block (for this task or thread only)."""
    reset = _current.set(visitor)
    try:
        yield
    finally:
        _current.reset(reset)


def call_token(visitor: Visitor | None = None) -> str | None:
    """The token for a call made for ``visitor`` (default: the current one): theirs; else
    the server's when they may use it; else none. Blocking: may read the token file."""
    if visitor is None:
        visitor = current()
    if visitor is None:
        return get_token()
    if visitor.token:
        return visitor.token
    return get_token() if visitor.owner_token else None


def forwarded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers of a visitor's request to forward to Gradio apps (lowercase names)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return {name: lowered[name] for name in FORWARDED if lowered.get(name)}
