"""What a run returns: per-node outcomes, readable in a terminal and in a notebook."""

from __future__ import annotations

import html
import traceback
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from daggr.errors import DaggrError, NodeError, RunCancelled, did_you_mean, listing
from daggr.nodes.base import Node
from daggr.records import ResultRecord, Status

if TYPE_CHECKING:
    from daggr.runtime.scheduler import Run


@dataclass(slots=True)
class NodeOutcome:
    """How one node fared in a run."""

    node: str
    status: str  # a Status value
    outputs: dict[str, Any] = field(default_factory=dict)
    record: ResultRecord | None = None
    error: BaseException | None = None
    message: str | None = None
    duration: float = 0.0
    items_total: int | None = None
    items_failed: int = 0
    notice: str | None = None  # advice about how it ran (CPU-bound items on threads)

    @property
    def ok(self) -> bool:
        return self.status in (Status.OK, Status.CACHED)

    @property
    def traceback(self) -> str | None:
        if self.error is None or self.error.__traceback__ is None:
            return None
        return "".join(traceback.format_exception(self.error))


def outcome_of(entry: NodeOutcome | ResultRecord) -> NodeOutcome:
    """The outcome a run keeps as a bare record (a node that executed and succeeded:
    everything else about it follows from the record)."""
    if type(entry) is not ResultRecord:
        return entry  # type: ignore[return-value]
    return NodeOutcome(entry.node, entry.status, entry.outputs, entry, None, None, entry.duration)


class Outcomes(Mapping):
    """Each node's :class:`NodeOutcome`, keyed by node name, in run order.

    A run keeps only the record of a node that executed and succeeded (one object less
    per node, for the engine and the garbage collector); its outcome is made here on
    first access.
    """

    __slots__ = ("_entries",)

    def __init__(self, entries: dict[str, NodeOutcome | ResultRecord]):
        self._entries = entries

    def __getitem__(self, node: str) -> NodeOutcome:
        entry = self._entries[node]
        if type(entry) is ResultRecord:
            entry = self._entries[node] = outcome_of(entry)
        return entry  # type: ignore[return-value]

    def __contains__(self, node: object) -> bool:
        return node in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Outcomes({dict(self.items())!r})"


class RunResult(Mapping):
    """The outcome of a run: ``result["node"]`` (or ``result[node]``) is that node's
    ``{port: value}``; a node that failed raises its error when indexed.

    Example:
        >>> from daggr import FnNode, Graph
        >>> g = Graph("demo", nodes=[FnNode(lambda: 3, name="three")], persist_key=False)
        >>> result = g.run()
        >>> result.ok, result["three"], result.status["three"]
        (True, {'output': 3}, 'ok')
    """

    def __init__(
        self,
        outcomes: dict[str, NodeOutcome | ResultRecord],
        duration: float,
        cancelled: bool,
    ):
        self.outcomes = Outcomes(outcomes)
        self.duration = duration
        self.cancelled = cancelled

    def _name(self, node: Any) -> str:
        name = node.name if isinstance(node, Node) else node
        if not isinstance(name, str) or name not in self.outcomes:
            raise KeyError(
                f"No node '{name}' in this run.{did_you_mean(str(name), self.outcomes)} "
                f"Nodes: {listing(self.outcomes)}"
            )
        return name

    def __getitem__(self, node: Any) -> dict[str, Any]:
        outcome = self.outcomes[self._name(node)]
        if outcome.status == Status.ERROR:
            if isinstance(outcome.error, NodeError):
                raise outcome.error
            raise NodeError(
                outcome.node, outcome.error or DaggrError(outcome.message), outcome.message
            ) from outcome.error
        if outcome.status in (Status.SKIPPED, Status.CANCELLED):
            raise RunCancelled(f"Node '{outcome.node}' has no result: {outcome.message}")
        return outcome.outputs

    def __iter__(self) -> Iterator[str]:
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)

    def outcome(self, node: Any) -> NodeOutcome:
        return self.outcomes[self._name(node)]

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes.values())

    @property
    def status(self) -> dict[str, str]:
        return {n: o.status for n, o in self.outcomes.items()}

    @property
    def errors(self) -> dict[str, BaseException | str]:
        return {
            n: o.error if o.error is not None else (o.message or "")
            for n, o in self.outcomes.items()
            if o.status == Status.ERROR
        }

    @property
    def executed(self) -> list[str]:
        return [
            n
            for n, o in self.outcomes.items()
            if o.status == Status.OK or (o.status == Status.ERROR and o.record)
        ]

    @property
    def cached(self) -> list[str]:
        return [n for n, o in self.outcomes.items() if o.status == Status.CACHED]

    @property
    def outputs(self) -> dict[str, dict[str, Any]]:
        return {n: o.outputs for n, o in self.outcomes.items() if o.ok}

    def raise_for_errors(self) -> RunResult:
        """Raise the first node error (with the node's own traceback as its cause)."""
        for name, outcome in self.outcomes.items():
            if outcome.status == Status.ERROR:
                self[name]
        return self

    def __repr__(self) -> str:
        head = "cancelled" if self.cancelled else ("ok" if self.ok else "with errors")
        lines = [f"RunResult({head}, {len(self.outcomes)} nodes, {self.duration * 1000:.1f} ms)"]
        for name, o in self.outcomes.items():
            if o.ok:
                detail = _short(o.outputs)
            else:
                detail = o.message or ""
            lines.append(f"  {name:<20} {o.status:<9} {o.duration * 1000:8.1f} ms  {detail}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = []
        colours = {
            Status.OK: "#15803d",
            Status.CACHED: "#2563eb",
            Status.ERROR: "#b91c1c",
            Status.SKIPPED: "#6b7280",
            Status.CANCELLED: "#a16207",
        }
        for name, o in self.outcomes.items():
            detail = _short(o.outputs, 200) if o.ok else (o.message or "")
            rows.append(
                f"<tr><td><b>{html.escape(name)}</b></td>"
                f"<td style='color:{colours.get(o.status, '#000')}'>{o.status}</td>"
                f"<td style='text-align:right'>{o.duration * 1000:.1f} ms</td>"
                f"<td><code>{html.escape(detail)}</code></td></tr>"
            )
        head = "cancelled" if self.cancelled else ("ok" if self.ok else "with errors")
        return (
            f"<div><b>Run {head}</b> · {len(self.outcomes)} nodes · {self.duration * 1000:.1f} ms"
            "<table><tr><th>node</th><th>status</th><th>time</th><th>outputs / error</th></tr>"
            + "".join(rows)
            + "</table></div>"
        )


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RunHandle:
    """A run going on in the background.

    Example:
        >>> from daggr import FnNode, Graph
        >>> g = Graph("demo", nodes=[FnNode(lambda: 1, name="one")], persist_key=False)
        >>> handle = g.start()
        >>> handle.result()["one"]
        {'output': 1}
    """

    def __init__(self, run: Run, future: Future):
        self._run = run
        self._future = future

    def result(self, timeout: float | None = None) -> RunResult:
        return self._future.result(timeout)

    def done(self) -> bool:
        return self._future.done()

    def cancel(self) -> None:
        """Stop the run: pending nodes never start, async ones are cancelled, and the
        result reports which nodes were cancelled."""
        self._run.cancel()

    @property
    def status(self) -> dict[str, str]:
        return self._run.status_snapshot()
