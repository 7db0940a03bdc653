"""Runners: how the engine calls each kind of node and maps what it returns onto ports.

A node declares its kind with ``_runner`` (``"fn"``, ``"generator"``, ``"input"``,
``"gradio"``, ``"inference"``); :func:`runner_for` finds the runner for it. Remote
runners import ``daggr.remote`` on first call, so that ``import daggr`` stays light.

Runners only call code. Where the call runs, its timeout and its executor are decided
in one place, :mod:`daggr.runtime.call`. A runner that streams (a generator function, a
remote app or model) reports partial values and progress to the call's context.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from daggr.errors import DaggrError
from daggr.nodes.base import Node
from daggr.runtime import live

if TYPE_CHECKING:
    from daggr.runtime.call import CallContext


class OutputMappingError(DaggrError, ValueError):
    """A node returned values that do not fit its output ports."""


class NotRunnable(DaggrError, NotImplementedError):
    """A node whose kind has no runner (a custom ``Node`` subclass, or a ``ChoiceNode``
    run by itself instead of one of its variants)."""

    def __init__(self, node: Node):
        kinds = ", ".join(repr(kind) for kind in sorted(_RUNNERS))
        super().__init__(
            f"{type(node).__name__} '{node.name}' cannot be run: its _runner is "
            f"{node._runner!r}, and daggr runs nodes whose _runner is one of {kinds} "
            "(FnNode, InputNode, GradioNode, InferenceNode, or a subclass of them)."
        )


class Runner:
    """How the engine runs one kind of node. Subclasses override what differs."""

    #: whether its code can be shipped to an executor (a process pool, a Dask cluster)
    ships = False
    #: computed at once from its inputs, never dispatched (an InputNode)
    inline = False

    def kwargs(self, node: Node, inputs: dict[str, Any]) -> dict[str, Any]:
        """The keyword arguments the node's code receives: its input ports (any name for a
        function taking ``**kwargs``), after ``preprocess``."""
        if node._accepts_any:
            kwargs = dict(inputs)
        else:
            kwargs = {p: inputs[p] for p in node._input_ports if p in inputs}
        pre = node.preprocess
        if pre is not None:
            kwargs = pre(kwargs)
            if not isinstance(kwargs, dict):
                raise OutputMappingError(
                    f"preprocess of node '{node.name}' must return a dict of inputs, "
                    f"got {type(kwargs).__name__}."
                )
        return kwargs

    def call(self, node: Node, kwargs: dict[str, Any], ctx: CallContext | None) -> Any:
        """Run synchronous code in the calling thread."""
        raise NotRunnable(node)

    async def call_async(self, node: Node, kwargs: dict[str, Any], ctx: CallContext) -> Any:
        """Run code that is awaited (``node.is_async``) on daggr's event loop."""
        raise NotRunnable(node)

    async def ship(self, executor: Any, node: Node, kwargs: dict[str, Any]) -> Any:
        """Run the code on ``executor`` and wait for it (only when :attr:`ships`)."""
        raise NotRunnable(node)

    async def ship_many(
        self,
        executor: Any,
        node: Node,
        kwargs_list: list[dict[str, Any]],
        on_result: Callable[[int, Any, BaseException | None], None],
        on_progress: Callable[[int, bool], None],
    ) -> None:
        """Run the code once per ``kwargs_list`` entry on ``executor``, submitted
        together: ``on_progress(index, ok)`` as each completes, ``on_result(index, raw
        value, error)`` when its value is here (only when :attr:`ships`)."""
        raise NotRunnable(node)

    def fast_path(self, node: Node) -> Any:
        """A plain function to call as ``fn(**inputs)`` instead of the general path, or
        None. Asked once per plan, only for synchronous code that runs in the calling
        thread without a timeout or an executor."""
        return None

    def outputs(self, node: Node, raw: Any) -> dict[str, Any]:
        """Tuple → ports in order; a dict keyed by exactly the port names (several ports)
        → by name; anything else → the first port. ``postprocess`` runs first. Where the
        original daggr mapped a value differently, a ``ReturnValueWarning`` says so once
        per node."""
        post = node.postprocess
        if post is not None:
            raw = post(*raw) if isinstance(raw, tuple) else post(raw)
        ports = node._output_ports
        if len(ports) == 1:
            if isinstance(raw, tuple):
                from daggr.return_rule import note_whole_tuple

                note_whole_tuple(node, raw)  # the original daggr kept raw[0]
            return {ports[0]: raw}
        if raw is None:
            return dict.fromkeys(ports)
        if isinstance(raw, tuple):
            if len(raw) > len(ports):
                raise OutputMappingError(
                    f"Node '{node.name}' returned {len(raw)} values but has {len(ports)} "
                    f"output ports ({', '.join(ports)}). Return one value per port, or "
                    "declare more outputs."
                )
            values = list(raw) + [None] * (len(ports) - len(raw))
            return dict(zip(ports, values, strict=True))
        if isinstance(raw, dict) and raw and set(raw) <= set(ports):
            from daggr.return_rule import note_dict_by_ports

            note_dict_by_ports(node, raw)  # the original daggr put raw on ports[0]
            return {p: raw.get(p) for p in ports}
        return {ports[0]: raw, **dict.fromkeys(ports[1:])}


class FnRunner(Runner):
    """A Python function: called in a thread, awaited on the loop, or shipped."""

    ships = True

    def call(self, node: Any, kwargs: dict[str, Any], ctx: CallContext | None) -> Any:
        return node.fn(**kwargs)

    async def call_async(self, node: Any, kwargs: dict[str, Any], ctx: CallContext) -> Any:
        return await node.fn(**kwargs)

    async def ship(self, executor: Any, node: Any, kwargs: dict[str, Any]) -> Any:
        from daggr.runtime import executors

        return await executors.call(executor, node, kwargs)

    async def ship_many(
        self,
        executor: Any,
        node: Any,
        kwargs_list: list[dict[str, Any]],
        on_result: Callable[[int, Any, BaseException | None], None],
        on_progress: Callable[[int, bool], None],
    ) -> None:
        from daggr.runtime import executors

        await executors.call_many(executor, node, kwargs_list, on_result, on_progress)

    def fast_path(self, node: Any) -> Any:
        # Without preprocess, its inputs are exactly the function's parameters.
        return node.fn if node.preprocess is None else None


class GeneratorRunner(FnRunner):
    """A generator function (plain or async): every value it yields is the node's value
    so far, as in Gradio, and is reported as a partial value; the last one (or what the
    generator returns) is the result. A cancelled run or a timeout closes the generator
    at its next value, so its ``finally`` blocks run."""

    ships = False  # a generator cannot be iterated in another process

    def call(self, node: Any, kwargs: dict[str, Any], ctx: CallContext | None) -> Any:
        values = node.fn(**kwargs)
        watched = ctx is not None and ctx.emit is not None  # not in node.test()
        last = None
        try:
            while True:
                try:
                    value = next(values)
                except StopIteration as end:
                    return last if end.value is None else end.value
                if watched:
                    if ctx.stopped:
                        raise RunStopped(node.name)
                    ctx.partial(self.outputs(node, value))
                last = value
        finally:
            values.close()

    async def call_async(self, node: Any, kwargs: dict[str, Any], ctx: CallContext) -> Any:
        values = node.fn(**kwargs)
        last = None
        try:
            async for value in values:
                if ctx.stopped:
                    raise RunStopped(node.name)
                ctx.partial(self.outputs(node, value))
                last = value
        finally:
            await values.aclose()
        return last

    def fast_path(self, node: Any) -> Any:
        return None


class RunStopped(DaggrError):
    """A streaming call noticed that its value is no longer wanted (the run was cancelled
    or the call timed out) and stopped."""

    def __init__(self, node: str):
        super().__init__(f"Node '{node}' was stopped while streaming; its value is dropped.")


class InputRunner(Runner):
    """An InputNode: its values are its outputs."""

    inline = True

    def kwargs(self, node: Node, inputs: dict[str, Any]) -> dict[str, Any]:
        return inputs

    def call(self, node: Node, kwargs: dict[str, Any], ctx: CallContext | None) -> Any:
        return kwargs

    def outputs(self, node: Node, raw: Any) -> dict[str, Any]:
        return {port: raw.get(port) for port in node._output_ports}


class _RemoteRunner(Runner):
    """A remote app or model. Its postprocess already ran inside the call (it sees the
    raw client values, before files are downloaded)."""

    def outputs(self, node: Node, raw: Any) -> dict[str, Any]:
        from daggr.remote.outputs import map_remote_outputs

        return map_remote_outputs(node, raw)


class GradioRunner(_RemoteRunner):
    async def call_async(self, node: Any, kwargs: dict[str, Any], ctx: CallContext) -> Any:
        from daggr.remote import gradio

        return await gradio.call(node, kwargs, ctx)


class InferenceRunner(_RemoteRunner):
    async def call_async(self, node: Any, kwargs: dict[str, Any], ctx: CallContext) -> Any:
        from daggr.remote import inference

        return await inference.call(node, kwargs, ctx)


_RUNNERS: dict[str, Runner] = {
    "fn": FnRunner(),
    "generator": GeneratorRunner(),
    "input": InputRunner(),
    "gradio": GradioRunner(),
    "inference": InferenceRunner(),
}


_UNRUNNABLE = Runner()  # every call raises NotRunnable: the node fails, the run goes on


def runner_for(node: Node) -> Runner:
    """The runner of the node's declared kind (``node._runner``)."""
    return _RUNNERS.get(node._runner, _UNRUNNABLE) if node._runner is not None else _UNRUNNABLE


def register_runner(kind: str, runner: Runner) -> None:
    """Run nodes whose ``_runner`` is ``kind`` with ``runner`` (a new kind of node)."""
    _RUNNERS[kind] = runner


# Node code these methods call reports progress to their ``ctx`` (see live.current_call).
for _method in (
    FnRunner.call,
    FnRunner.call_async,
    GeneratorRunner.call,
    GeneratorRunner.call_async,
):
    live.frame_reader(_method, lambda frame: frame.f_locals["ctx"])
