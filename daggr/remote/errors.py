"""Errors raised by remote nodes. Their messages never contain the Hugging Face token."""

from __future__ import annotations

from daggr.errors import DaggrError


class RemoteError(DaggrError, RuntimeError):
    """A Gradio app or an inference model could not be used."""


class RemoteUnreachable(RemoteError, ConnectionError):
    """The app, the endpoint or the Hub did not answer."""


class RemoteOffline(RemoteUnreachable):
    """``HF_HUB_OFFLINE=1`` forbids the Hub look-up this needs, and nothing is cached."""


class RemoteAppError(RemoteError):
    """The app or the model answered with an error of its own (retrying will not help)."""


class LocalSpaceError(RemoteError):
    """A Space could not be run locally (``GradioNode(run_locally=True)``)."""
