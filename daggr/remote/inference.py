"""InferenceNode: which ``InferenceClient`` method a task uses, how the node's inputs become
its arguments, and how its result is unwrapped.

Every declared input reaches the call: the main one (the method's first parameter,
``input``/``prompt``/``text`` accepted for it) and the rest as keyword parameters.
Unknown parameters fail with the method's valid parameters and the closest spelling.

Where calls go:

- a model id (``org/model`` or ``org/model:provider``): huggingface_hub's routing
  (``https://router.huggingface.co/<provider>``, which ``HF_ENDPOINT`` does not change);
- a URL (``InferenceNode("http://host:8080", task=...)``): that endpoint, speaking the
  Inference API (a TGI / Inference Endpoint / loopback server); chat goes to
  ``<url>/v1/chat/completions``;
- ``DAGGR_INFERENCE_ENDPOINT=<url>``: models without a provider (or ``:hf-inference``) are
  served at ``<url>/models/<model>`` (a mirror or a test server).

In a run, chat and text generation stream (``stream=True``): the text so far is the
node's partial value, token by token, and stopping the run closes the stream.

Example:
    >>> method_for("automatic-speech-recognition")
    'automatic_speech_recognition'
    >>> method_for("text-generation")
    'chat_completion'
"""

from __future__ import annotations

import asyncio
import base64
import functools
import inspect
import threading
import warnings
from typing import TYPE_CHECKING, Any

from daggr.errors import DaggrError, GraphError, closest, did_you_mean
from daggr.remote import api_cache
from daggr.remote.auth import describe, get_token, redact
from daggr.remote.config import hub_offline, inference_endpoint, retries, retry_backoff
from daggr.remote.errors import RemoteAppError, RemoteError, RemoteOffline, RemoteUnreachable
from daggr.remote.files import inference_content, save_bytes, save_image
from daggr.remote.hub import RemoteNotFound, model_facts
from daggr.remote.outputs import apply_postprocess, map_remote_outputs
from daggr.remote.pool import run_blocking
from daggr.remote.visitor import call_token, current

if TYPE_CHECKING:
    from daggr.nodes.remote import InferenceNode
    from daggr.runtime.call import CallContext

CHAT = "chat_completion"
# Task (a model's pipeline_tag) -> InferenceClient method. LLMs are called through chat
# completion, which every provider serves; text2text-generation keeps the raw
# text_generation protocol.
TASKS: dict[str, str] = {
    "text-generation": CHAT,
    "conversational": CHAT,
    "image-text-to-text": CHAT,
    "text2text-generation": "text_generation",
    "text-to-image": "text_to_image",
    "image-to-image": "image_to_image",
    "image-to-text": "image_to_text",
    "image-to-video": "image_to_video",
    "text-to-video": "text_to_video",
    "text-to-speech": "text_to_speech",
    "text-to-audio": "text_to_speech",  # same protocol; InferenceClient has no text_to_audio
    "automatic-speech-recognition": "automatic_speech_recognition",
    "audio-to-audio": "audio_to_audio",
    "audio-classification": "audio_classification",
    "image-classification": "image_classification",
    "object-detection": "object_detection",
    "image-segmentation": "image_segmentation",
    "translation": "translation",
    "summarization": "summarization",
    "feature-extraction": "feature_extraction",
    "fill-mask": "fill_mask",
    "question-answering": "question_answering",
    "table-question-answering": "table_question_answering",
    "sentence-similarity": "sentence_similarity",
    "text-classification": "text_classification",
    "token-classification": "token_classification",
    "zero-shot-classification": "zero_shot_classification",
    "zero-shot-image-classification": "zero_shot_image_classification",
    "document-question-answering": "document_question_answering",
    "visual-question-answering": "visual_question_answering",
}
DEFAULT_TASK = "text-generation"
_CLASSIFICATION = {
    "audio-classification",
    "image-classification",
    "text-classification",
    "zero-shot-classification",
    "zero-shot-image-classification",
}
# Input names accepted for a task's main parameter when they are not parameters themselves.
_MAIN_ALIASES = ("input", "inputs", "prompt", "text", "messages", "image", "audio")
_TASK_ALIASES = {
    "visual-question-answering": {"prompt": "question"},
    "document-question-answering": {"prompt": "question"},
}
_HIDDEN = {"self", "model", "stream", "details"}


def normalize_task(task: str) -> str:
    """A known task name, or :class:`GraphError` naming the closest one."""
    key = task.strip().lower().replace("_", "-")
    if key in ("chat", "chat-completion"):
        key = "conversational"
    if key not in TASKS:
        raise GraphError(
            f"Unknown task '{task}'.{did_you_mean(key, TASKS)} Known tasks: "
            f"{', '.join(sorted(TASKS))}"
        )
    return key


def method_for(task: str) -> str:
    return TASKS[normalize_task(task)]


@functools.cache
def _signature(method: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """(all parameter names, required ones in order, accepts **kwargs) of a client method."""
    from huggingface_hub import InferenceClient

    params = [
        p
        for p in inspect.signature(getattr(InferenceClient, method)).parameters.values()
        if p.name not in _HIDDEN
    ]
    names = tuple(p.name for p in params if p.kind is not p.VAR_KEYWORD)
    required = tuple(
        p.name
        for p in params
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is inspect.Parameter.empty
    )
    return names, required, any(p.kind is p.VAR_KEYWORD for p in params)


def plan_arguments(task: str, keys: list[str], node_name: str = "") -> dict[str, str]:
    """``{input name: parameter}`` for a call of ``task`` with inputs ``keys``.

    Raises :class:`GraphError` for unknown or missing parameters.

    Example:
        >>> plan_arguments("text-generation", ["prompt", "max_tokens"])
        {'prompt': 'messages', 'max_tokens': 'max_tokens'}
    """
    method = method_for(task)
    names, required, var_kw = _signature(method)
    accepted = list(names) + (["system"] if method == CHAT else [])
    main = required[0] if required else names[0]
    aliases = _TASK_ALIASES.get(normalize_task(task), {})
    plan: dict[str, str] = {}
    unmatched: list[str] = []
    for key in keys:
        if key in accepted:
            plan[key] = key
        elif key in aliases and aliases[key] not in keys:
            plan[key] = aliases[key]
        else:
            unmatched.append(key)
    if main not in plan.values() and unmatched:
        pick = next((k for k in unmatched if k in _MAIN_ALIASES), unmatched[0])
        plan[pick] = main
        unmatched.remove(pick)
    where = f"InferenceNode '{node_name}'" if node_name else "InferenceNode"
    what = f"task '{normalize_task(task)}' calls InferenceClient.{method}"
    if unmatched and var_kw:
        plan.update({k: k for k in unmatched})  # the method forwards extra parameters
    elif unmatched:
        hints = [f"'{k}' -> '{m}'" for k in unmatched if (m := closest(k, accepted))]
        mean = f" Did you mean: {', '.join(hints)}?" if hints else ""
        raise GraphError(
            f"Invalid input(s) {set(unmatched)} for {where}: {what}.{mean} "
            f"Valid parameters: {', '.join(accepted)} (the first, '{main}', is also "
            f"accepted as 'input')."
        )
    missing = [p for p in required if p not in plan.values()]
    if missing:
        raise GraphError(
            f"Missing required input(s) {set(missing)} for {where}: {what}({', '.join(required)})."
        )
    return plan


# -- task resolution --------------------------------------------------------------------------
def lookup_task(model: str, token: str | None, hint: str = "") -> str | None:
    """The model's ``pipeline_tag`` (cached on disk with "not found" answers too)."""
    entry = api_cache.load("model", model)
    if entry is not None and entry.fresh():
        return _from_entry(model, entry)
    try:
        facts = model_facts(model, token, hint)
    except RemoteNotFound:
        api_cache.save("model", model, {"found": False})
        raise
    except RemoteError as exc:
        if entry is None:
            raise
        if not isinstance(exc, RemoteOffline):
            warnings.warn(
                f"Using the task of '{model}' cached on {entry.when()}: {exc}",
                UserWarning,
                stacklevel=4,
            )
        return _from_entry(model, entry)
    api_cache.save("model", model, {"found": True, "task": facts.task}, facts.sha)
    return facts.task


def _from_entry(model: str, entry: api_cache.Entry) -> str | None:
    if not entry.value.get("found", True):
        raise RemoteNotFound(
            f"Model '{model}' not found on Hugging Face Hub (answer cached on {entry.when()}; "
            "it is asked again after DAGGR_API_INFO_TTL seconds)."
        )
    return entry.value.get("task")


def resolve_task(node: InferenceNode, hint: str = "") -> str:
    """The node's task: given, looked up from the model's pipeline_tag, or the default
    (chat) for a URL endpoint or a model without a pipeline_tag."""
    if node.task:
        return normalize_task(node.task)
    if node.model.startswith(("http://", "https://")):
        return DEFAULT_TASK
    tag = lookup_task(node.model, get_token(), hint)
    if not tag:
        return DEFAULT_TASK
    try:
        return normalize_task(tag)
    except GraphError:
        raise GraphError(
            f"Model '{node.model}' has task '{tag}', which InferenceNode cannot call. Pass "
            f"task=... (one of: {', '.join(sorted(TASKS))}) if the model also serves one."
        ) from None


def validate_node(node: InferenceNode) -> None:
    """Construction-time checks: the model exists and the inputs fit its task's method."""
    hint = " Pass task='...' and validate=False to skip the look-up."
    url = node.model.startswith(("http://", "https://"))  # no Hub look-up: chat by default
    if (
        not url
        and node.task is None
        and hub_offline()
        and api_cache.load("model", node.model) is None
    ):
        raise RemoteOffline(
            f"Cannot look up the task of model '{node.model}': HF_HUB_OFFLINE=1 and it is not "
            f"cached yet.{hint}"
        )
    try:
        task = resolve_task(node, hint)
    except RemoteNotFound as exc:
        raise GraphError(str(exc)) from None
    if node.task is not None and not node.model.startswith(("http://", "https://")):
        if not hub_offline():
            try:
                lookup_task(node.model, get_token(), hint)
            except RemoteNotFound as exc:
                raise GraphError(str(exc)) from None
    node._resolved_task = task
    plan_arguments(task, list(node._input_ports), node.name)


# -- calling ----------------------------------------------------------------------------------
def _target(node: InferenceNode, task: str) -> tuple[str, str | None]:
    """(model or URL for InferenceClient, provider)."""
    if node.model.startswith(("http://", "https://")):
        return node.model, None
    endpoint = inference_endpoint()
    if endpoint and node.provider in (None, "hf-inference"):
        url = f"{endpoint}/models/{node.model}"
        if task in ("feature-extraction", "sentence-similarity"):
            url += f"/pipeline/{task}"  # as hf-inference routes these two
        return url, None
    return node.model, node.provider


async def call(node: InferenceNode, kwargs: dict[str, Any], ctx: CallContext | None = None) -> Any:
    """Run the node's task on ``kwargs``; returns the postprocessed, unwrapped result.
    ``ctx`` (a call in a run) hears the text so far of a chat or text generation."""
    task = node._resolved_task
    if task is None:
        task = await run_blocking(resolve_task, node)
        node._resolved_task = task
    token = await run_blocking(call_token, current())  # the visitor's, on a served graph
    streaming = (
        ctx is not None
        and ctx.emit is not None
        and method_for(task) in _STREAMED
        and _target(node, task) not in _answers_whole
    )
    stop = threading.Event()  # the pool thread reading a stream cannot be cancelled
    attempt = 0
    while True:
        try:
            if streaming:
                raw = await run_blocking(_invoke_streaming, node, task, kwargs, token, ctx, stop)
            else:
                raw = await run_blocking(_invoke, node, task, kwargs, token)
            break
        except asyncio.CancelledError:
            stop.set()
            raise
        except Exception as exc:
            if not _is_transient(exc) or attempt >= retries():
                streamed = ctx.partials if ctx is not None else 0
                raise _final_error(node, task, exc, token, attempt, streamed) from None
            attempt += 1
            await asyncio.sleep(min(retry_backoff() * 2 ** (attempt - 1), 10.0))
    return await run_blocking(apply_postprocess, node, raw)


def _arguments(node: InferenceNode, task: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The client method's arguments for the node's inputs."""
    plan = plan_arguments(task, list(kwargs), node.name)
    args = {plan[k]: inference_content(v) for k, v in kwargs.items()}
    method = method_for(task)
    main = next(iter(_signature(method)[1]), None)
    if main is not None and args.get(main) is None:
        raise RemoteError(
            f"InferenceNode '{node.name}' got no value for its main input ('{main}'; "
            f"inputs given: {', '.join(kwargs) or 'none'})."
        )
    if method == CHAT:
        args["messages"] = _messages(args.pop("messages"), args.pop("system", None))
    return args


def _client(node: InferenceNode, task: str, token: str | None) -> Any:
    from huggingface_hub import InferenceClient

    model, provider = _target(node, task)
    return InferenceClient(model=model, provider=provider, token=token)


def _invoke(node: InferenceNode, task: str, kwargs: dict[str, Any], token: str | None) -> Any:
    """One blocking call (on a pool thread: importing and inspecting the client is slow)."""
    args = _arguments(node, task, kwargs)
    result = getattr(_client(node, task, token), method_for(task))(**args)
    return unwrap(task, result)


_STREAMED = (CHAT, "text_generation")
# Endpoints that answered a streamed request with a whole answer (a small server that
# ignores "stream": true): asked without streaming from then on.
_answers_whole: set[tuple[str, str | None]] = set()


class StreamCut(RemoteError):
    """A token stream that ended before the model said it had finished."""


def _invoke_streaming(
    node: InferenceNode,
    task: str,
    kwargs: dict[str, Any],
    token: str | None,
    ctx: CallContext,
    stop: threading.Event,
) -> str:
    """A chat or text generation with ``stream=True``, reporting the text so far to
    ``ctx``; ``stop`` closes the stream (the connection, so the server stops too)."""
    args = _arguments(node, task, kwargs)
    method = method_for(task)
    client = _client(node, task, token)
    text, finished, chunks = "", False, 0
    try:
        for chunk in getattr(client, method)(**args, stream=True):
            chunks += 1
            if stop.is_set():
                break
            if method == CHAT:
                choice = chunk.choices[0] if chunk.choices else None
                piece = (choice.delta.content or "") if choice is not None else ""
                finished = finished or bool(choice is not None and choice.finish_reason)
            else:
                piece = chunk if isinstance(chunk, str) else getattr(chunk.token, "text", "")
                finished = True  # text_generation streams end with the server's [DONE]
            if piece:
                text += piece
                ctx.partial(map_remote_outputs(node, apply_postprocess(node, text)))
    finally:
        client.close()  # closes the response: a stopped stream's server sees it go
    if not chunks and not stop.is_set():
        # Not a single event: the server answered whole (it does not stream). Ask it so.
        _answers_whole.add(_target(node, task))
        return _invoke(node, task, kwargs, token)
    if not finished and not stop.is_set():
        raise StreamCut(
            f"the token stream ended before the model finished ({len(text)} characters "
            "received, no finish_reason)"
        )
    return text


def _messages(value: Any, system: Any) -> list[dict[str, Any]]:
    """A prompt string (or a chat history) as chat messages, with an optional system one."""
    if isinstance(value, list):
        messages = [
            m if isinstance(m, dict) else {"role": "user", "content": str(m)} for m in value
        ]
    elif isinstance(value, dict) and "role" in value:
        messages = [value]
    else:
        messages = [{"role": "user", "content": str(value)}]
    if system:
        messages = [{"role": "system", "content": str(system)}, *messages]
    return messages


def _status(exc: BaseException) -> int | None:
    return getattr(getattr(exc, "response", None), "status_code", None)


def _is_transient(exc: BaseException) -> bool:
    status = _status(exc)
    if status is not None:
        return status >= 500 or status == 429
    if isinstance(exc, StreamCut):
        return True
    return type(exc).__name__ in ("InferenceTimeoutError", "ReadTimeout", "RemoteProtocolError")


def _final_error(
    node: InferenceNode,
    task: str,
    exc: BaseException,
    token: str | None,
    attempts: int,
    streamed: int = 0,
) -> Exception:
    error = _plain_final_error(node, task, exc, token, attempts)
    if streamed or isinstance(exc, StreamCut):
        # The server went away mid-answer: say so (the card still shows what came).
        return RemoteUnreachable(
            f"The token stream of InferenceNode '{node.name}' ({node.model}) broke after "
            f"{streamed} partial result(s), which are not kept as a result: {error}"
        )
    return error


def _plain_final_error(
    node: InferenceNode, task: str, exc: BaseException, token: str | None, attempts: int
) -> Exception:
    where = f"InferenceNode '{node.name}' ({node.model}, task '{task}')"
    if isinstance(exc, DaggrError):  # daggr's own message (a bad input, ...) says it best
        return exc
    if isinstance(exc, KeyError):
        return RemoteAppError(
            f"Provider returned unexpected response format for task '{task}'. Missing key: "
            f"{redact(str(exc), token)}. This model may require a specific provider (e.g., "
            "'model_name:fal-ai' or 'model_name:replicate')."
        )
    retried = f" (after {attempts + 1} attempts)" if attempts else ""
    status = _status(exc)
    if status is None and type(exc).__name__ in ("ConnectError", "ConnectTimeout"):
        return RemoteUnreachable(f"{where} could not connect{retried}: {describe(exc, token)}")
    return RemoteAppError(f"{where} failed{retried}: {describe(exc, token)}")


# -- results ----------------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """Inference output types (dict subclasses, dataclasses, numpy) as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "tolist") and type(value).__module__.startswith("numpy"):
        return value.tolist()
    return value


def _field(value: Any, name: str) -> Any:
    if isinstance(value, list):
        value = value[0] if value else {}
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def unwrap(task: str, result: Any) -> Any:
    """The useful part of a task's answer (text, ``{label: score}``, a FileValue, ...)."""
    task = normalize_task(task)
    method = TASKS[task]
    if method == CHAT:
        return result.choices[0].message.content
    if method == "text_generation":
        return result if isinstance(result, str) else _field(result, "generated_text")
    simple = {
        "automatic-speech-recognition": "text",
        "translation": "translation_text",
        "summarization": "summary_text",
        "image-to-text": "generated_text",
        "question-answering": "answer",
        "table-question-answering": "answer",
        "visual-question-answering": "answer",
        "document-question-answering": "answer",
    }
    if task in simple:
        return _field(result, simple[task])
    if task in _CLASSIFICATION:
        return {_field(e, "label"): _field(e, "score") for e in result}
    if task in ("text-to-image", "image-to-image"):
        return save_image(result)
    if task in ("text-to-speech", "text-to-audio"):
        return save_bytes(result, default_ext=".wav")
    if task in ("text-to-video", "image-to-video"):
        return save_bytes(result, default_ext=".mp4")
    if task == "audio-to-audio":
        return [save_bytes(_decode(_field(e, "blob")), default_ext=".wav") for e in result]
    if task == "image-segmentation":
        return [
            {
                "label": _field(e, "label"),
                "score": _field(e, "score"),
                "mask": save_bytes(_decode(_field(e, "mask")), default_ext=".png"),
            }
            for e in result
        ]
    return plain(result)


def _decode(blob: Any) -> bytes:
    if isinstance(blob, (bytes, bytearray)):
        return bytes(blob)
    return base64.b64decode(str(blob).split(",", 1)[-1])
