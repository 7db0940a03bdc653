"""Settings read from the environment at call time, and where remote work keeps files.

Every value is read when needed (not at import) so that tests and notebooks can change
the environment between calls.

>>> import os
>>> os.environ["DAGGR_HOME"] = "/tmp/daggr-doc"
>>> str(remote_dir("downloads"))
'/tmp/daggr-doc/remote/downloads'
"""

from __future__ import annotations

import os
from pathlib import Path

from daggr.home import daggr_home

__all__ = ["daggr_home"]  # re-exported: remote modules import it from here

_TRUE = {"1", "true", "yes", "on"}


def env_flag(name: str) -> bool:
    """True when the variable is set to 1/true/yes/on (any case)."""
    return os.environ.get(name, "").strip().lower() in _TRUE


def env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        return default


def remote_dir(kind: str) -> Path:
    """``$DAGGR_HOME/remote/<kind>`` (created): downloads, uploads and generated files."""
    path = daggr_home() / "remote" / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def connect_timeout() -> float:
    """Seconds to wait for an app or the Hub to answer (``DAGGR_CONNECT_TIMEOUT``, 10)."""
    return env_float("DAGGR_CONNECT_TIMEOUT", 10.0)


def gradio_concurrency() -> int:
    """Calls in flight per Gradio app (``DAGGR_GRADIO_CONCURRENCY``, 8)."""
    return max(1, env_int("DAGGR_GRADIO_CONCURRENCY", 8))


def api_info_ttl() -> float:
    """Seconds a cached API description stays fresh (``DAGGR_API_INFO_TTL``, 24 h)."""
    return env_float("DAGGR_API_INFO_TTL", 24 * 3600.0)


def retries() -> int:
    """Retries after a transient failure (``DAGGR_REMOTE_RETRIES``, 3)."""
    return max(0, env_int("DAGGR_REMOTE_RETRIES", 3))


def retry_backoff() -> float:
    """First retry delay in seconds, doubled each time (``DAGGR_RETRY_BACKOFF``, 0.5)."""
    return max(0.0, env_float("DAGGR_RETRY_BACKOFF", 0.5))


def hub_offline() -> bool:
    """``HF_HUB_OFFLINE`` as set now (huggingface_hub reads it once, at import)."""
    return env_flag("HF_HUB_OFFLINE") or env_flag("TRANSFORMERS_OFFLINE")


def hub_endpoint() -> str:
    """``HF_ENDPOINT`` as set now, default ``https://huggingface.co``."""
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def inference_endpoint() -> str | None:
    """``DAGGR_INFERENCE_ENDPOINT``: where models without a provider are served, as
    ``{endpoint}/models/{model}`` (a self-hosted or loopback Inference API)."""
    value = os.environ.get("DAGGR_INFERENCE_ENDPOINT", "").strip()
    return value.rstrip("/") or None
