"""Definitions of GradioNode and InferenceNode: their ports and names.

Calling the remote app or model is the runtime's job; constructing with
``validate=False`` never touches the network.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from daggr.errors import GraphError
from daggr.nodes.base import Node

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


class GradioNode(Node):
    """Call an endpoint of a Gradio app (a Space id or a URL).

    Example:
        >>> from daggr import GradioNode, components as gr
        >>> tts = GradioNode("owner/tts-space", api_name="/speak", validate=False,
        ...                  inputs={"text": gr.Textbox()}, outputs={"audio": gr.Audio()})
        >>> tts.name
        'tts-space'
    """

    kind = "GRADIO"

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
    ):
        if not isinstance(space_or_url, str) or not space_or_url.strip():
            raise GraphError(
                f"Invalid space_or_url {space_or_url!r}. Expected format: "
                "'username/space-name' or a full URL like 'https://...'"
            )
        src = normalize_source(space_or_url)
        if not is_url(src) and not _SPACE_ID.match(src):
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
            self._name = re.sub(r"[^\w.-]+", "_", tail) or "gradio"
        self.validate = validate
        self.run_locally = run_locally
        self.preprocess = preprocess
        self.postprocess = postprocess
        self._process_inputs(inputs)
        self._process_outputs(outputs)
        if not self._output_ports:
            self._output_ports = ["output"]
            self._output_components["output"] = None

    @property
    def url(self) -> str:
        return self.src if is_url(self.src) else f"https://huggingface.co/spaces/{self.src}"


class InferenceNode(Node):
    """Call a Hugging Face model through the Inference API (``model`` or ``model:provider``).

    Example:
        >>> from daggr import InferenceNode
        >>> InferenceNode("org/tiny-model:some-provider", validate=False).name
        'tiny-model'
    """

    kind = "MODEL"

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
        if inputs is None:
            self._input_ports = ["input"]
        else:
            self._process_inputs(inputs)
        self._process_outputs(outputs)
        if not self._output_ports:
            self._output_ports = ["output"]
            self._output_components["output"] = None

    @property
    def url(self) -> str:
        return self.model if is_url(self.model) else f"https://huggingface.co/{self.model}"
