"""Questions over the result history: what is stale, and what selecting a past result means.

Both follow the engine's own execution key, so "stale" on screen means "would re-run".
Views reach these through their session (``session.staleness()``, ``session.select()``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from daggr.records import ResultRecord

if TYPE_CHECKING:
    from daggr.session import Session

FRESH, STALE, NEVER_RUN = "fresh", "stale", "never run"


@dataclass
class Staleness:
    """``nodes``: name → fresh / stale / never run. ``edges``: (source, source port,
    target, target port) → True when fresh."""

    nodes: dict[str, str]
    edges: dict[tuple[str, str, str, str], bool]

    def __repr__(self) -> str:
        lines = ["Staleness("]
        lines += [f"  {name}: {state}" for name, state in self.nodes.items()]
        lines += [
            f"  {s}.{sp} -> {t}.{tp}: {'fresh' if ok else 'stale'}"
            for (s, sp, t, tp), ok in self.edges.items()
        ]
        return "\n".join(lines) + "\n)"


def own_inputs_unchanged(session: Session, name: str, record: ResultRecord) -> bool:
    """Would ``record`` be produced again from the node's current inputs and variant,
    given the same upstream results it consumed?"""
    node_plan = session.plan().nodes[name]
    variant = session.variant(name) if len(node_plan.steps) > 1 else None
    step = node_plan.steps[variant or 0]
    user = step.user_values(session.inputs)
    key, _ = step.execution_key(variant, user, record.upstream)
    return key is not None and key == record.key


def staleness(session: Session) -> Staleness:
    """Fresh/stale for every node and edge, from the selected results and current inputs.

    An edge is fresh when the target's selected result consumed the source's selected
    result, the target's own inputs are unchanged, and the source is fresh itself (an edit
    upstream changes what the edge would carry). A node is fresh when its own inputs are
    unchanged and every edge into it is fresh. Stale means "would re-run".
    """
    plan = session.plan()
    graph = session.graph
    selected = {name: session.selected(name) for name in plan.order}
    nodes: dict[str, str] = {}
    edges: dict[tuple[str, str, str, str], bool] = {}
    for name in plan.order:  # upstream first, so every source's state is known
        record = selected[name]
        own_ok = record is not None and record.ok and own_inputs_unchanged(session, name, record)
        fresh = own_ok
        for edge in graph.in_edges(name):
            source = selected[edge.source_node]
            edge_ok = (
                own_ok
                and source is not None
                and record.upstream.get(edge.source_node) == source.id
                and nodes.get(edge.source_node) == FRESH
            )
            edges[edge.as_tuple()] = edge_ok
            fresh = fresh and edge_ok
        if record is None and session.results.count(name) == 0:
            nodes[name] = NEVER_RUN
        else:
            nodes[name] = FRESH if fresh else STALE
    return Staleness(nodes, edges)


def select(session: Session, name: str, index: int) -> ResultRecord:
    """Select result ``index`` of a node, restore what produced it, and cascade.

    The node's own inputs (and choice variant) are restored; so are those of the upstream
    results it consumed, recursively. Each downstream node then selects the newest of its
    results that consumed the now-selected upstream results, or none.
    """
    results = session.results
    record = results.get(name, index)
    plan = session.plan()
    provenance: dict[str, ResultRecord] = {}
    stack = [record]
    while stack:
        current = stack.pop()
        if current.node in provenance or current.node not in plan.nodes:
            continue
        provenance[current.node] = current
        for source, result_id in current.upstream.items():
            if source not in provenance and result_id:
                upstream = results.by_id(result_id)
                if upstream is not None:
                    stack.append(upstream)
    for node, chosen in provenance.items():
        _restore(session, node, chosen)
    affected: set[str] = set()
    for node in provenance:
        affected |= session.graph.descendants(node)
    affected -= set(provenance)
    for node in plan.order:
        if node in affected:
            _cascade(session, node, provenance)
    return record


def _cascade(session: Session, node: str, changed: dict[str, ResultRecord]) -> None:
    upstream = session.plan().nodes[node].upstream
    wanted = {}
    for source in upstream:
        chosen = session.selected(source)
        wanted[source] = chosen.id if chosen is not None else None
    anchor = next((s for s in upstream if s in changed), None) or next(iter(upstream), None)
    if anchor is None or wanted.get(anchor) is None:
        session.set_selection(node, None)
        return
    candidates = session.results.consumers(node, wanted[anchor])
    full = [r for r in candidates if all(r.upstream.get(s) == wanted[s] for s in upstream)]
    best = (full or candidates or [None])[-1]
    if best is None:
        session.set_selection(node, None)  # explicitly nothing: its results came from elsewhere
    else:
        _restore(session, node, best)


def _restore(session: Session, node: str, record: ResultRecord) -> None:
    """Select ``record`` for ``node`` and restore the inputs and variant that produced it."""
    session.set_selection(node, record)
    node_plan = session.plan().nodes[node]
    if record.variant is not None and len(node_plan.steps) > 1:
        session.set_variants({node: record.variant})
    step = node_plan.steps[record.variant or 0]
    restored = {
        slot: record.inputs[port] for port, slot in step.slot_ports.items() if port in record.inputs
    }
    if restored:
        session.set_inputs(restored)
