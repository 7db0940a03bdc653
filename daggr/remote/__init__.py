"""Adapters that run remote nodes: Gradio apps through ``gradio_client`` and Hugging Face
models through ``huggingface_hub``'s ``InferenceClient``.

Importing this package is cheap: ``gradio_client`` and ``huggingface_hub`` are imported
inside the functions that need them.

Modules, one job each:

- ``config``: environment variables and on-disk locations;
- ``auth``: the Hugging Face token (where it comes from, where it may go, redaction);
- ``visitor``: on whose behalf a served graph's calls are made (their token, headers);
- ``api_cache``: small JSON facts cached on disk (Gradio API info, model tasks);
- ``hub``: Hub look-ups (Space hosts, model tasks, revisions) with timeouts;
- ``files``: files going into and coming out of remote calls;
- ``gradio``: GradioNode validation and calls;
- ``inference``: InferenceNode tasks and calls;
- ``outputs``: mapping a remote result onto a node's output ports;
- ``local_space``: ``GradioNode(run_locally=True)``;
- ``dependencies``: upstream revision tracking per graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daggr.remote.dependencies import DependencyChange

__all__ = ["check_dependencies", "DependencyChange"]


def check_dependencies(graph: Any, mode: str | None = None) -> list[DependencyChange]:
    """Compare the Spaces and models a graph uses with the revisions recorded for it.

    See :func:`daggr.remote.dependencies.check_dependencies`.
    """
    from daggr.remote.dependencies import check_dependencies as check

    return check(graph, mode)


def __getattr__(name: str) -> Any:
    if name == "DependencyChange":
        from daggr.remote.dependencies import DependencyChange

        return DependencyChange
    raise AttributeError(name)
