"""Helpers for driving a Canvas through a recording comm (see conftest.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from comm.base_comm import BaseComm


class RecordingComm(BaseComm):
    # ipywidgets sends nothing through a comm whose kernel is None.
    kernel = "fake"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.log: list[tuple[str, dict | None, list | None]] = []
        super().__init__(*args, **kwargs)

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):  # noqa: ANN001
        self.log.append((msg_type, data, buffers))


def sent(widget: Any) -> list[dict]:
    """The data of every comm_msg the widget sent, in order."""
    return [data for kind, data, _ in widget.comm.log if kind == "comm_msg"]


def custom(widget: Any, type_: str | None = None) -> list[dict]:
    out = [d["content"] for d in sent(widget) if d.get("method") == "custom"]
    return [c for c in out if type_ is None or c.get("type") == type_]


def updates(widget: Any) -> list[dict]:
    return [d["state"] for d in sent(widget) if d.get("method") == "update"]


def clear(widget: Any) -> None:
    widget.comm.log.clear()


def size(data: dict) -> int:
    """Bytes of a message's JSON, as it goes over the wire."""
    return len(json.dumps(data, separators=(",", ":")).encode())


def from_front(widget: Any, content: Any) -> None:
    """Deliver a custom message as the browser would."""
    widget._handle_msg(
        {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
    )


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


def described(component: Any) -> dict:
    """A component as the canvas's topology describes it: unset (None) properties left out."""
    desc = component.to_dict()
    return {**desc, "props": {k: v for k, v in desc["props"].items() if v is not None}}
