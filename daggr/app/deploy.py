"""Deploy a graph as a Hugging Face Space: export, create the Space, upload, set secrets.

``dry_run=True`` prints the plan (target, hardware, visibility, secret names, files) and
touches no network. Token values and secret values are never printed.

Example:
    >>> space_name("My Cool App!")
    'my-cool-app'
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from daggr.errors import DaggrError

if TYPE_CHECKING:
    from daggr.graph import Graph


class DeployError(DaggrError, RuntimeError):
    """The Space could not be created or uploaded; the message says why."""


def space_name(title: str) -> str:
    """A Space name from a graph name: lowercase, dashes, "daggr-app" if nothing is left."""
    name = re.sub(r"[\s_]+", "-", title.strip().lower())
    name = re.sub(r"[^a-z0-9-]", "", name).strip("-")
    return re.sub(r"-{2,}", "-", name) or "daggr-app"


def deploy(
    graph: Graph,
    *,
    source: str | os.PathLike[str] | None = None,
    **kwargs: object,
) -> str:
    """Export ``graph`` (see :func:`daggr.app.export.export_space`) and deploy it; returns
    the Space URL. Keyword arguments as :func:`deploy_folder`."""
    from daggr.app.export import export_space

    oauth = bool(kwargs.pop("oauth", False))
    with tempfile.TemporaryDirectory(prefix="daggr-space-") as tmp:
        folder = export_space(graph, tmp, title=kwargs.get("title"), source=source, oauth=oauth)  # type: ignore[arg-type]
        kwargs.setdefault("name", space_name(str(kwargs.get("title") or graph.name)))
        return deploy_folder(folder, **kwargs)  # type: ignore[arg-type]


def deploy_source(source: str | os.PathLike[str], **kwargs: object) -> str:
    """Export the graph of a script or notebook and deploy it (``daggr deploy``)."""
    from daggr.app.export import _graph_name, export_source

    with tempfile.TemporaryDirectory(prefix="daggr-space-") as tmp:
        folder = export_source(
            source,
            tmp,
            title=kwargs.get("title"),  # type: ignore[arg-type]
            requirements=kwargs.pop("requirements", None),  # type: ignore[arg-type]
            oauth=bool(kwargs.pop("oauth", False)),
        )
        if not kwargs.get("name"):
            code = (folder / "app.py").read_text(encoding="utf-8")
            kwargs["name"] = space_name(str(kwargs.get("title") or _graph_name(code) or ""))
        return deploy_folder(folder, **kwargs)  # type: ignore[arg-type]


def deploy_folder(
    folder: Path,
    *,
    name: str,
    title: str | None = None,
    org: str | None = None,
    private: bool = False,
    hardware: str = "cpu-basic",
    secrets: dict[str, str] | None = None,
    dry_run: bool = False,
    token: str | None = None,
) -> str:
    """Upload an exported Space folder. Returns the Space's URL."""
    secrets = dict(secrets or {})
    owner = org or "<your user>"
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file())
    print(f"Space:     {owner}/{name}")
    print(f"Hardware:  {hardware}")
    print(f"Private:   {'yes' if private else 'no'}")
    print(f"Secrets:   {', '.join(sorted(secrets)) or '(none)'}")
    print("Files:")
    vendored = [f for f in files if f.relative_to(folder).parts[0] == "daggr"]
    for f in files:
        if f not in vendored:
            print(f"  {f.relative_to(folder)}  ({f.stat().st_size} bytes)")
    if vendored:
        size = sum(f.stat().st_size for f in vendored)
        print(f"  daggr/  ({len(vendored)} files, {size} bytes: the daggr this Space runs)")
    if dry_run:
        print("Dry run: nothing was uploaded.")
        return f"https://huggingface.co/spaces/{owner}/{name}"
    try:
        from huggingface_hub import HfApi, constants
    except ImportError as exc:
        raise DeployError("Deploying needs huggingface_hub: pip install huggingface_hub") from exc
    api = HfApi(token=token)
    try:
        user = api.whoami()["name"]
    except Exception as exc:
        raise DeployError(
            "Not logged in to Hugging Face (or the token is invalid). Run `hf auth login` or "
            f"set HF_TOKEN to a write token. ({type(exc).__name__})"
        ) from None
    repo_id = f"{org or user}/{name}"
    try:
        api.create_repo(
            repo_id,
            repo_type="space",
            space_sdk="gradio",
            space_hardware=None if hardware == "cpu-basic" else hardware,
            private=private,
            exist_ok=True,
        )
        api.upload_folder(
            repo_id=repo_id,
            folder_path=str(folder),
            repo_type="space",
            commit_message="Deploy with daggr",
        )
    except Exception as exc:
        raise DeployError(f"Uploading to {repo_id} failed: {type(exc).__name__}: {exc}") from None
    for key, value in secrets.items():
        try:
            api.add_space_secret(repo_id, key, value)
        except Exception as exc:
            print(f"Warning: could not set secret {key}: {type(exc).__name__}")
    url = f"{constants.ENDPOINT.rstrip('/')}/spaces/{repo_id}"
    print(f"✓ Deployed to {url}")
    if hardware == "cpu-basic":
        print("Note: Gradio Spaces on cpu-basic may need a PRO subscription to run.")
    return url
