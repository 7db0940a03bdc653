"""Definitions of GradioNode and InferenceNode: their ports, names and validation.

Calling the remote app or model is done by ``daggr.remote`` (imported on first use, so
that ``import daggr`` stays light); constructing with ``validate=False`` never touches the
network.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from daggr.errors import GraphError
from daggr.nodes.base import Node
from daggr.nodes.fn import check_timeout

_SPACE_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_HOST_PORT = re.compile(r"^(localhost|127\.0\.0\.1|\[::1\]|[\w.-]+):\d+(/.*)?$")


def normalize_source(src: str) -> str:
    """A Space id stays as is; ``localhost:7860`` and ``127.0.0.1:7860`` become URLs."""
    src = src.strip()
    if src.startswith(("http://", "https://")):
        return src.rstrip("/")
    if _HOST_PORT.match(src):
        return "http://" + src.rstrip("/")
    return src


def is_url(src: str) -> bool:
    return src.startswith(("http://", "https://"))


_SPACE_URL = re.compile(r"^https?://(?:www\.)?huggingface\.co/spaces/([\w.-]+/[\w.-]+)/?$")


def space_id_of(src: str) -> str | None:
    """The Space id a source names (``owner/name`` or its huggingface.co page), else None."""
    match = _SPACE_URL.match(src)
    if match:
        return match.group(1)
    return src if _SPACE_ID.match(src) else None


def _is_folder(src: str) -> bool:
    return src.startswith(("/", "./", "../", "~")) or os.path.isdir(os.path.expanduser(src))


class _RemoteNode(Node):
    """What the engine reads from every remote node: calls are async and may overlap."""

    is_async = True
    concurrent = True
    concurrency_group = None
    max_concurrent = 1


class GradioNode(_RemoteNode):
    """Call an endpoint of a Gradio app (a Space id or a URL).

    Args:
        space_or_url: ``"owner/space"``, ``"https://..."`` or ``"localhost:7860"``; with
            ``run_locally=True`` also a local folder laid out as a Space.
        api_name: the endpoint (default ``"/predict"``; ``"/N"`` for unnamed endpoint N).
        inputs: ``{parameter: source}`` (ports, components, fixed values).
        outputs: ``{port: component}``; a multi-output endpoint maps onto them in order.
        validate: check the endpoint and parameters against the app's API now (cached on
            disk, so later constructions work offline).
        run_locally: run the Space on this machine (prepared on first use or
            :meth:`prepare`); falls back to the remote Space if that fails.
        preprocess: ``f(inputs) -> inputs`` before the call.
        postprocess: ``f(*outputs)`` on the raw client values, before files are downloaded.
        timeout: seconds a call may take; past it the remote job is cancelled and the node
            fails with a timeout error.

    Example:
        >>> from daggr import GradioNode, components as gr
        >>> tts = GradioNode("owner/tts-space", api_name="/speak", validate=False,
        ...                  inputs={"text": gr.Textbox()}, outputs={"audio": gr.Audio()})
        >>> tts.name
        'tts-space'
    """

    kind = "GRADIO"
    _runner = "gradio"

    def __init__(
        self,
        space_or_url: str,
        api_name: str | None = None,
        name: str | None = None,
        inputs: dict[str, Any] | None = None,
        outputs: dict[str, Any] | list[str] | None = None,
        validate: bool = True,
        run_locally: bool = False,
        preprocess: Callable[[dict], dict] | None = None,
        postprocess: Callable[..., Any] | None = None,
        timeout: float | None = None,
    ):
        if not isinstance(space_or_url, str) or not space_or_url.strip():
            raise GraphError(
                f"Invalid space_or_url {space_or_url!r}. Expected format: "
                "'username/space-name' or a full URL like 'https://...'"
            )
        src = normalize_source(space_or_url)
        src = space_id_of(src) or src  # a Space's huggingface.co page means the Space
        if run_locally and not is_url(src) and _is_folder(src):
            src = os.path.abspath(os.path.expanduser(src))
        elif not is_url(src) and not _SPACE_ID.match(src):
            raise GraphError(
                f"Invalid space_or_url '{space_or_url}'. Expected format: "
                "'username/space-name' or a full URL like 'https://...' "
                "(a local app can be given as 'localhost:7860')"
            )
        super().__init__(name)
        self.src = src
        api = api_name or "/predict"
        self.api_name = api if api.startswith("/") else "/" + api
        if not name:
            tail = src.rstrip("/").split("/")[-1]
            if is_url(src) and "/" not in src.split("://", 1)[1].strip("/"):
                # A bare host:port says nothing about the step; the endpoint does.
                tail = self.api_name.strip("/") or tail
            self._name = re.sub(r"[^\w.-]+", "_", tail) or "gradio"
        self.validate = validate
        self.run_locally = run_locally
        self.preprocess = preprocess
        self.postprocess = postprocess
        self.timeout = check_timeout(timeout)
        self._process_inputs(inputs)
        self._process_outputs(outputs)
        if not self._output_ports:
            self._output_ports = ["output"]
            self._output_components["output"] = None
        if validate and not run_locally:
            from daggr.remote.gradio import validate_node

            validate_node(self)

    def _definition(self) -> tuple:
        return (self.src, self.api_name, self.preprocess, self.postprocess)

    @property
    def url(self) -> str:
        if is_url(self.src) or _is_folder(self.src):
            return self.src
        return f"https://huggingface.co/spaces/{self.src}"

    def prepare(self) -> str:
        """Connect now instead of on first use: start the local copy (``run_locally``) or
        open the client. Returns the address calls will go to.

        Example:
            >>> GradioNode("localhost:7860", validate=False).prepare()  # doctest: +SKIP
            'http://localhost:7860'
        """
        from daggr.remote.auth import get_token
        from daggr.remote.gradio import connect

        src = self.src
        if self.run_locally:
            from daggr.remote.local_space import local_url

            src = local_url(self) or self.src
        connect(src, get_token())
        return src


class InferenceNode(_RemoteNode):
    """Call a Hugging Face model through the Inference API (``model`` or ``model:provider``).

    Args:
        model: ``"org/model"``, ``"org/model:provider"``, or the URL of an endpoint that
            speaks the Inference API.
        inputs: the task's main input (any name: ``prompt``, ``image``, ``input``...) and
            any other parameters of the task's ``InferenceClient`` method by name.
        task: the task (default: the model's ``pipeline_tag``; chat for a URL).
        validate: look the model up on the Hub now (cached on disk) and check the inputs
            against the task's parameters.

    Example:
        >>> from daggr import InferenceNode
        >>> InferenceNode("org/tiny-model:some-provider", validate=False).name
        'tiny-model'
    """

    kind = "MODEL"
    _runner = "inference"

    def __init__(
        self,
        model: str,
        name: str | None = None,
        inputs: dict[str, Any] | None = None,
        outputs: dict[str, Any] | list[str] | None = None,
        validate: bool = True,
        preprocess: Callable[[dict], dict] | None = None,
        postprocess: Callable[..., Any] | None = None,
        task: str | None = None,
        timeout: float | None = None,
    ):
        if not isinstance(model, str) or not model.strip():
            raise GraphError(f"InferenceNode needs a model id like 'org/model', got {model!r}.")
        super().__init__(name)
        model = model.strip()
        if is_url(model):
            self.model, self.provider = model.rstrip("/"), None
        else:
            self.model, _, provider = model.partition(":")
            self.provider = provider or None
        if not name:
            self._name = self.model.rstrip("/").split("/")[-1] or "model"
        self.task = task
        self.validate = validate
        self.preprocess = preprocess
        self.postprocess = postprocess
        self.timeout = check_timeout(timeout)
        if inputs is None:
            self._input_ports = ["input"]
        else:
            self._process_inputs(inputs)
        self._process_outputs(outputs)
        if not self._output_ports:
            self._output_ports = ["output"]
            self._output_components["output"] = None
        self._resolved_task: str | None = None
        if task is not None:
            from daggr.remote.inference import normalize_task

            self._resolved_task = normalize_task(task)
        if validate:
            from daggr.remote.inference import validate_node

            validate_node(self)

    def _definition(self) -> tuple:
        return (self.model, self.provider, self.task, self.preprocess, self.postprocess)

    @property
    def url(self) -> str:
        return self.model if is_url(self.model) else f"https://huggingface.co/{self.model}"
