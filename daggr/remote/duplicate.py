"""Duplicating a Space at a past revision, under your own namespace.

When a Space a graph calls has changed since it was recorded, the safe choice is to keep
calling the version the graph was built against: download that revision, upload it as a
Space of your own, and point the node at it (see ``daggr.remote.dependencies``).

Example:
    >>> duplicate_space("owner/tts", "1f2e3d4c5b6a", token="hf_...")  # doctest: +SKIP
    'me/tts-1f2e3d4'
"""

from __future__ import annotations

import tempfile
from typing import Any

from daggr.remote.auth import describe
from daggr.remote.config import hub_endpoint, hub_offline
from daggr.remote.errors import RemoteError


class DuplicateError(RemoteError):
    """A Space could not be duplicated (not logged in, offline, revision gone, ...)."""


def _api(token: str | None) -> Any:
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub_endpoint(), token=token or False, library_name="daggr")


def duplicate_name(space_id: str, revision: str, user: str) -> str:
    """``user/<name>-<revision[:7]>``: names the pinned revision, and never overwrites a
    Space of the same name the user already has.

    >>> duplicate_name("owner/tts", "1f2e3d4c5b6a7988", "me")
    'me/tts-1f2e3d4'
    """
    return f"{user}/{space_id.split('/')[-1]}-{revision[:7]}"


def duplicate_space(space_id: str, revision: str, token: str | None) -> str:
    """Copy Space ``space_id`` as it was at ``revision`` into a new Space of the token's
    user; returns the new Space's id. Raises :class:`DuplicateError` saying why not."""
    if not token:
        raise DuplicateError(
            "Duplicating a Space needs a Hugging Face login with write access: set HF_TOKEN "
            "or run `hf auth login`."
        )
    if hub_offline():
        raise DuplicateError("Duplicating a Space needs the Hub, and HF_HUB_OFFLINE is set.")
    api = _api(token)
    step = "look up your user name"
    try:
        user = api.whoami()["name"]
        target = duplicate_name(space_id, revision, user)
        step = f"read '{space_id}' at revision {revision[:12]}"
        info = api.space_info(space_id, revision=revision)
        sdk = getattr(info, "sdk", None) or "gradio"
        with tempfile.TemporaryDirectory(prefix="daggr-duplicate-") as folder:
            api.snapshot_download(space_id, repo_type="space", revision=revision, local_dir=folder)
            step = f"create Space '{target}'"
            api.create_repo(target, repo_type="space", space_sdk=sdk, exist_ok=True)
            step = f"upload the files to '{target}'"
            api.upload_folder(
                repo_id=target,
                repo_type="space",
                folder_path=folder,
                ignore_patterns=[".cache/**"],
                commit_message=f"Duplicate of {space_id} at revision {revision}",
            )
    except Exception as exc:
        raise DuplicateError(
            f"Could not duplicate Space '{space_id}': failed to {step} ({describe(exc, token)})."
        ) from None
    return target
