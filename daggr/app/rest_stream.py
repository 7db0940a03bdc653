"""``POST /api/stream[/{subgraph}]``: an API call followed while it runs, as server-sent
events (``text/event-stream``), independent of the web framework.

The body and its checks are those of ``/api/call`` (:mod:`daggr.app.rest`); a bad call is
answered with the same JSON error before any event. Then one event per update of the run
(see :class:`daggr.streaming.Update`), each ``event: <kind>`` with a JSON ``data`` line:

- ``started``  ``{"node"}``
- ``progress`` ``{"node", "text", "queue_position", "queue_size", "eta", "share",
  "description"}`` (``text``: "queue 3/7 · ~12 s", "40% · denoising")
- ``partial``  ``{"node", "append": {port: text}, "outputs": {port: value}}``: text that
  grew, as what was appended; other values that changed, as ``/api/call`` gives them
  (media as file URLs)
- ``item``     ``{"node", "item", "status"}`` (one item of a scattered node)
- ``finished`` ``{"node", "status", "error"?}``
- ``result``   what ``/api/call`` answers (``{"outputs", "sheet_id"}``), last; or
  ``error``    ``{"error", "node"?}`` when a node failed or the run was cancelled.

Closing the connection stops the run.

Example:
    >>> print(sse("started", {"node": "story"}), end="")
    event: started
    data: {"node":"story"}
    <BLANKLINE>
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from daggr import values
from daggr.app import rest

if TYPE_CHECKING:
    from daggr.session import Session
    from daggr.streaming import RunStream, Update


def sse(event: str, data: Any) -> str:
    """One server-sent event."""
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)
    return f"event: {event}\ndata: {payload}\n\n"


def event_data(session: Session, update: Update, sink: values.FileSink) -> dict[str, Any]:
    """The JSON of an update's event."""
    data: dict[str, Any] = {"node": update.node}
    if update.item is not None:
        data["item"] = update.item
    if update.kind == "partial":
        appended = update.appended or {}
        node = session.graph.nodes[update.node]
        replaced = {
            p: v
            for p, v in (update.outputs or {}).items()
            if p not in appended and p in node._output_ports
        }
        data["append"] = appended
        data["outputs"] = rest.outputs_json(node, replaced, sink)
    elif update.kind == "progress" and update.progress is not None:
        p = update.progress
        data.update(
            text=p.text,
            queue_position=p.queue_position,
            queue_size=p.queue_size,
            eta=p.eta,
            share=p.share,
            description=p.description,
        )
    elif update.kind in ("finished", "item"):
        data["status"] = update.status
        if update.error:
            data["error"] = update.error
    return data


async def events(
    session: Session, stream: RunStream, targets: list[str], sink: values.FileSink
) -> AsyncIterator[str]:
    """The events of ``stream`` (a run of ``targets``), then its result or error."""
    from starlette.concurrency import run_in_threadpool

    async for update in stream:
        data = await run_in_threadpool(event_data, session, update, sink)
        yield sse(update.kind, data)
    result = stream.result
    failure = rest.node_failure(result)
    if failure is not None:
        yield sse("error", failure.payload)
        return
    nodes = session.graph.nodes

    def outputs() -> dict[str, Any]:
        return {t: rest.outputs_json(nodes[t], result[t], sink) for t in targets}

    body = {"outputs": await run_in_threadpool(outputs), "sheet_id": session.results.sheet_id}
    yield sse("result", body)
