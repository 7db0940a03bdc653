"""Questions asked of the Hugging Face Hub: where a Space runs, what task a model does,
and which revision either is at. Every call has a timeout and a message that says what was
tried; ``HF_HUB_OFFLINE=1`` fails at once instead of waiting.

The Hub address is ``HF_ENDPOINT`` as set at call time (huggingface_hub itself reads it
once, at import), so a test or a mirror can be configured after import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from daggr.remote.api_cache import note_revision
from daggr.remote.auth import describe
from daggr.remote.config import connect_timeout, hub_endpoint, hub_offline
from daggr.remote.errors import RemoteError, RemoteOffline, RemoteUnreachable


class RemoteNotFound(RemoteError, LookupError):
    """The Hub has no such Space or model (or it is private and no token was given)."""


@dataclass
class SpaceTarget:
    """Where a Space's app answers, and which revision it runs."""

    space_id: str
    host: str
    sha: str | None
    private: bool
    stage: str | None


@dataclass
class ModelFacts:
    model: str
    task: str | None
    sha: str | None


def _api(token: str | None) -> Any:
    from huggingface_hub import HfApi

    # token=False: never fall back to a token other than the one daggr resolved.
    return HfApi(endpoint=hub_endpoint(), token=token or False, library_name="daggr")


def _is_offline_error(exc: BaseException) -> bool:
    return type(exc).__name__ == "OfflineModeIsEnabled"


def _is_not_found(exc: BaseException) -> bool:
    return type(exc).__name__ in ("RepositoryNotFoundError", "GatedRepoError") or (
        getattr(getattr(exc, "response", None), "status_code", None) in (401, 404)
    )


def _offline(what: str, url: str, hint: str) -> RemoteOffline:
    return RemoteOffline(f"Cannot {what}: HF_HUB_OFFLINE=1 forbids asking the Hub ({url}).{hint}")


def _ask_hub(what: str, url: str, fetch: Any, not_found: str, token: str | None, hint: str) -> Any:
    """``fetch()`` from the Hub, turning every way it fails into an error that says what
    was tried: offline, not found, or unreachable."""
    if hub_offline():
        raise _offline(what, url, hint)
    try:
        return fetch()
    except Exception as exc:
        if _is_offline_error(exc):
            raise _offline(what, url, hint) from None
        if _is_not_found(exc):
            raise RemoteNotFound(not_found) from None
        raise RemoteUnreachable(
            f"Could not reach the Hugging Face Hub to {what} (tried {url}): "
            f"{describe(exc, token)}.{hint}"
        ) from None


def resolve_space(space_id: str, token: str | None, hint: str = "") -> SpaceTarget:
    """Ask the Hub where ``space_id`` runs.

    Example:
        >>> resolve_space("gradio/hello_world", None).host  # doctest: +SKIP
        'https://gradio-hello-world.hf.space'
    """
    url = f"{hub_endpoint()}/api/spaces/{space_id}"
    info = _ask_hub(
        f"resolve Space '{space_id}'",
        url,
        lambda: _api(token).space_info(space_id, timeout=connect_timeout()),
        f"Space '{space_id}' was not found on the Hugging Face Hub ({url}). Check the "
        "id (format: 'username/space-name'); a private Space needs HF_TOKEN.",
        token,
        hint,
    )
    runtime = getattr(info, "runtime", None)
    stage = str(getattr(runtime, "stage", "") or "") or None
    stage = stage.split(".")[-1] if stage else None
    host = getattr(info, "host", None)
    if not host and getattr(info, "subdomain", None):
        host = f"https://{info.subdomain}.hf.space"
    if stage in ("RUNTIME_ERROR", "BUILD_ERROR", "CONFIG_ERROR", "NO_APP_FILE"):
        raise RemoteError(
            f"Space '{space_id}' is not running (state {stage}). Check "
            f"https://huggingface.co/spaces/{space_id}, or duplicate it and fix it."
        )
    if not host:
        raise RemoteUnreachable(
            f"Space '{space_id}' has no running app (state {stage or 'unknown'}); the Hub "
            f"({url}) gave no host to call.{hint}"
        )
    note_revision("space", space_id, getattr(info, "sha", None))
    return SpaceTarget(
        space_id, host.rstrip("/"), getattr(info, "sha", None), bool(info.private), stage
    )


def model_facts(model: str, token: str | None, hint: str = "") -> ModelFacts:
    """The model's ``pipeline_tag`` and revision; :class:`RemoteNotFound` if it does not exist."""
    url = f"{hub_endpoint()}/api/models/{model}"
    info = _ask_hub(
        f"look up model '{model}'",
        url,
        lambda: _api(token).model_info(model, timeout=connect_timeout()),
        f"Model '{model}' not found on Hugging Face Hub. Please check the model name "
        "is correct (format: 'username/model-name').",
        token,
        hint,
    )
    sha = getattr(info, "sha", None)
    note_revision("model", model, sha)
    return ModelFacts(model, getattr(info, "pipeline_tag", None), sha)


def current_revision(kind: str, repo_id: str, token: str | None) -> str | None:
    """The sha of a Space (``kind="space"``) or model now; None when it cannot be known."""
    try:
        if kind == "space":
            info = _api(token).space_info(repo_id, timeout=connect_timeout())
        else:
            info = _api(token).model_info(repo_id, timeout=connect_timeout())
    except Exception:
        return None
    sha = getattr(info, "sha", None)
    note_revision(kind, repo_id, sha)
    return sha
