"""FnNode: a node that runs a Python function (plain or ``async def``)."""

from __future__ import annotations

import inspect
import pickle
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from daggr.errors import GraphError, closest
from daggr.nodes.base import Node

_signatures: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _signature_info(fn: Callable) -> tuple[list[str], bool, bool, bool]:
    """(parameter names that can be passed by keyword, accepts **kwargs, is async, is a
    generator), cached per function because inspecting dominates the cost of building
    large graphs."""
    try:
        return _signatures[fn]
    except (KeyError, TypeError):
        pass
    # An object whose __call__ is `async def` is awaited like a coroutine function.
    call = vars(type(fn)).get("__call__")
    is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)
    async_gen = inspect.isasyncgenfunction(fn) or inspect.isasyncgenfunction(call)
    generator = async_gen or inspect.isgeneratorfunction(fn) or inspect.isgeneratorfunction(call)
    is_async = is_async or async_gen
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        info: tuple[list[str], bool, bool, bool] = ([], True, is_async, generator)
    else:
        names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        info = (names, any(p.kind is p.VAR_KEYWORD for p in params), is_async, generator)
    try:
        _signatures[fn] = info
    except TypeError:
        pass
    return info


def is_dask_client(executor: Any) -> bool:
    """A ``dask.distributed.Client``, recognised without importing dask."""
    return type(executor).__module__.split(".")[0] == "distributed" and hasattr(executor, "submit")


def check_executor(executor: Any, owner: str) -> None:
    if executor is None or isinstance(executor, Executor) or is_dask_client(executor):
        return
    raise GraphError(
        f"{owner}: executor must be a concurrent.futures.Executor (e.g. ProcessPoolExecutor) "
        f"or a dask.distributed.Client, got {type(executor).__name__}."
    )


def check_shippable(executor: Any, fn: Any, node: str) -> None:
    """Fail early, with advice, when a process pool cannot receive the function."""
    if not isinstance(executor, ProcessPoolExecutor):
        return  # threads share memory; Dask pickles with cloudpickle, which ships lambdas
    try:
        pickle.dumps(fn)
    except Exception as exc:
        raise GraphError(
            f"FnNode '{node}' runs on a ProcessPoolExecutor, which must pickle its function, "
            f"and it cannot ({type(exc).__name__}: {exc}). Lambdas, closures and functions "
            "defined inside other functions cannot be pickled: define the function at the "
            "top level of a module (a .py file you import), or use a dask.distributed.Client, "
            "which ships lambdas and notebook functions."
        ) from None


def check_timeout(timeout: float | None) -> float | None:
    if timeout is not None and not timeout > 0:
        raise GraphError(f"timeout must be a positive number of seconds, got {timeout!r}.")
    return timeout


def _default_name(fn: Callable) -> str:
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return "lambda" if name == "<lambda>" else name


class FnNode(Node):
    """Run a Python function as a step of the graph.

    Args:
        fn: the function; ``async def`` functions run on daggr's event loop. A generator
            function (plain or async) streams: each value it yields is the node's value
            so far (the whole text so far, the latest image), shown live on the canvas
            and by ``graph.stream()``; the last one is the result.
        name: node name (default: the function's name; repeated names get ``_1``, ``_2``).
        inputs: ``{param: source}`` where a source is a port (``other.port``,
            ``other.port.each``, ``other.port.all()``), a UI component (a user input),
            a fixed value, or a callable called on every run. Omitted: every parameter is
            an input port.
        outputs: ``{port: component | None | ItemList(...)}``; omitted: one port
            ``"output"``.
        preprocess: ``f(inputs_dict) -> dict`` applied before the call.
        postprocess: ``f(result)`` (``f(*result)`` for a tuple) applied after the call.
        concurrent: allow this node to run alongside other FnNodes of the same session
            (by default a session runs its FnNodes one at a time).
        concurrency_group: share a process-wide limit of ``max_concurrent`` simultaneous
            calls with every node of the same group, across all runs and graphs.
        max_concurrent: the group's limit.
        deterministic: ``False`` re-executes the node on every run instead of reusing a
            result computed from the same inputs.
        executor: run the function elsewhere: a ``concurrent.futures.Executor`` (e.g. a
            ``ProcessPoolExecutor`` for CPU-bound work) or a ``dask.distributed.Client``;
            scattered items become separate tasks. Defaults to the graph's executor.
        timeout: seconds one call (one item, when scattered) may take; past it the node
            fails with a timeout error and the rest of the graph goes on. A synchronous
            function cannot be interrupted: it finishes in the background, unused.

    Example:
        >>> from daggr import FnNode, Graph
        >>> double = FnNode(lambda x: x * 2, name="double")
        >>> Graph("demo", nodes=[double], persist_key=False).run(double__x=4)["double"]
        {'output': 8}
    """

    kind = "FN"
    _runner = "fn"

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        inputs: dict[str, Any] | None = None,
        outputs: dict[str, Any] | list[str] | None = None,
        preprocess: Callable[[dict], dict] | None = None,
        postprocess: Callable[..., Any] | None = None,
        concurrent: bool = False,
        concurrency_group: str | None = None,
        max_concurrent: int = 1,
        deterministic: bool = True,
        executor: Any = None,
        timeout: float | None = None,
    ):
        if not callable(fn):
            raise GraphError(f"FnNode needs a callable, got {type(fn).__name__}: {fn!r}")
        super().__init__(name)
        if not name:
            self._name = _default_name(fn)
        self.fn = fn
        self.preprocess = preprocess
        self.postprocess = postprocess
        self.concurrent = concurrent
        self.concurrency_group = concurrency_group
        if max_concurrent < 1:
            raise GraphError(f"max_concurrent must be at least 1, got {max_concurrent}.")
        self.max_concurrent = max_concurrent
        params, self._accepts_any, self.is_async, streams = _signature_info(fn)
        if streams:
            self._runner = "generator"
        if timeout is not None:
            self.timeout = check_timeout(timeout)
        if executor is not None:
            if streams:
                raise GraphError(
                    f"FnNode '{self._name}': a generator function streams its values to "
                    "this session, so it cannot run on an executor. Run it without "
                    "executor=..., or return the final value instead of yielding."
                )
            check_executor(executor, f"FnNode '{self._name}'")
            check_shippable(executor, fn, self._name)
            self.executor = executor
        if inputs is None:
            self._input_ports = list(params)
        else:
            self._check_inputs(inputs, params)
            self._process_inputs(inputs)
        if outputs is not None:
            self._process_outputs(outputs)
        if not self._output_ports:
            self._output_ports.append("output")
            self._output_components["output"] = None
        self._deterministic = deterministic and not (
            self._fixed_inputs and self._has_nondeterministic_inputs()
        )
        self._expose_output_ports()

    def _definition(self) -> tuple:
        return (self.fn, self.preprocess, self.postprocess)

    def _check_inputs(self, inputs: dict[str, Any], params: list[str]) -> None:
        if (
            self._accepts_any
            or len(inputs) <= len(params)
            and all(map(params.__contains__, inputs))
        ):
            return
        bad = [k for k in inputs if k not in params]
        hints = []
        for k in bad:
            match = closest(k, params)
            if match:
                hints.append(f"'{k}' -> '{match}'")
        hint = f" Did you mean: {', '.join(hints)}?" if hints else ""
        raise GraphError(
            f"Invalid input(s) {set(bad)} for function '{_default_name(self.fn)}'.{hint} "
            f"Valid parameters: {set(params) if params else '{} (it takes no arguments)'}"
        )
