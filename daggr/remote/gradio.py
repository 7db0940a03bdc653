"""GradioNode: validating an endpoint against the app's API, and calling it.

One ``gradio_client.Client`` per (app, token) is shared by every node and run (a served
graph's visitor who brings headers of their own, ``X-IP-Token``, gets a client for the
call, as gradio does, since those headers are theirs and short-lived); calls to
one app are bounded (``DAGGR_GRADIO_CONCURRENCY``), run ``client.submit`` in a thread, and
cancel the remote job when the awaiting task is cancelled. While a call runs in a run, its
queue position, ``gr.Progress`` and a generator endpoint's outputs so far are reported to
the call's context (:mod:`daggr.remote.job_updates`). Connection failures after the app
has answered once, 5xx answers and full queues are retried with exponential backoff; an
error raised by the app fails at once with the app's message.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from daggr.errors import GraphError, closest, did_you_mean
from daggr.remote import api_cache
from daggr.remote.auth import describe, fingerprint, get_token, redact, sends_token_to
from daggr.remote.config import connect_timeout, gradio_concurrency, retries, retry_backoff
from daggr.remote.errors import RemoteAppError, RemoteError, RemoteUnreachable
from daggr.remote.files import download_outputs, gradio_inputs, is_loopback
from daggr.remote.hub import RemoteNotFound, SpaceTarget, resolve_space
from daggr.remote.job_updates import JobUpdates, follow_jobs, submit_followed
from daggr.remote.outputs import apply_postprocess, map_remote_outputs
from daggr.remote.pool import pool, run_blocking
from daggr.remote.visitor import call_token, current

if TYPE_CHECKING:
    from daggr.nodes.remote import GradioNode
    from daggr.runtime.call import CallContext

_SKIP_HINT = " Pass validate=False to skip validation."


def _is_url(src: str) -> bool:
    return src.startswith(("http://", "https://"))


# -- clients ----------------------------------------------------------------------------------
@dataclass
class _Source:
    """One app as reached with one token: its client and whether it ever answered."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    client: Any = None
    answered: bool = False


_sources: dict[tuple[str, str, str], _Source] = {}
_sources_lock = threading.Lock()
_limits: dict[tuple[int, str, int], asyncio.Semaphore] = {}
Headers = tuple[tuple[str, str], ...]  # a visitor's forwarded headers, hashable


def _source(src: str, token: str | None, headers: Headers = ()) -> _Source:
    key = (src, fingerprint(token), fingerprint(repr(headers)) if headers else "")
    with _sources_lock:
        source = _sources.get(key)
        if source is None:
            source = _sources[key] = _Source()
        return source


def connect(
    src: str,
    token: str | None = None,
    target: SpaceTarget | None = None,
    hint: str = "",
    headers: Headers = (),
) -> Any:
    """The shared ``gradio_client.Client`` for ``src`` (a URL or a Space id), created on
    first use with bounded timeouts.

    Example:
        >>> client = connect("http://127.0.0.1:7860")  # doctest: +SKIP
    """
    source = _source(src, token, headers)
    with source.lock:
        if source.client is None:
            source.client = _new_client(src, token, target, hint, headers)
            source.answered = True
        return source.client


def forget(src: str, token: str | None, headers: Headers = ()) -> None:
    """Drop the cached client (the next call reconnects, e.g. after the app restarted)."""
    source = _source(src, token, headers)
    with source.lock:
        client, source.client = source.client, None
    if headers:  # a visitor's client lives for one call: nothing to keep
        with _sources_lock:
            _sources.pop((src, fingerprint(token), fingerprint(repr(headers))), None)
    if client is not None:
        try:
            client.close()
        except Exception:
            pass


def _new_client(
    src: str, token: str | None, target: SpaceTarget | None, hint: str, headers: Headers = ()
) -> Any:
    if _is_url(src):
        url, space = src, None
    else:
        space = target or resolve_space(src, token, hint)
        url = space.host
    import httpx
    from gradio_client import Client

    timeout = connect_timeout()
    trusted = sends_token_to(url)
    send = token if token and trusted else None
    try:
        client = Client(
            url,
            token=send or False,  # False: never the locally saved token, to an arbitrary app
            # A visitor's identity headers are credentials too: only where a token may go.
            headers=dict(headers) if headers and trusted else None,
            verbose=False,
            download_files=False,  # daggr downloads, after postprocess saw the raw values
            analytics_enabled=False,
            httpx_kwargs={"timeout": httpx.Timeout(timeout)},
        )
    except Exception as exc:
        origin = f" (Space '{src}')" if space else ""
        tried = url.rstrip("/") + "/config"
        raise RemoteUnreachable(
            f"Could not reach the Gradio app at {url}{origin} (tried GET {tried}, timeout "
            f"{timeout:g}s, DAGGR_CONNECT_TIMEOUT): {describe(exc, token)}. Check that the "
            f"app is running and the address is right.{hint}"
        ) from None
    # Connecting is bounded; a prediction may legitimately take minutes.
    client.httpx_kwargs = {"timeout": httpx.Timeout(None, connect=timeout)}
    follow_jobs(client)
    if space is not None:
        # What gradio_client would know had it resolved the Space itself (ZeroGPU
        # headers, private files).
        client.space_id = space.space_id
        client._space_is_private = space.private
    return client


# -- validation -------------------------------------------------------------------------------
def api_info(src: str, token: str | None = None) -> dict[str, Any]:
    """``view_api(return_format="dict")`` of an app, cached on disk (``$DAGGR_HOME/api_info``).

    A fresh cache entry is used without touching the network; a stale one is refreshed
    when the app (or, for a Space, the Hub) answers and used with a warning when not.
    """
    entry = api_cache.load("gradio", src)
    if entry is not None and entry.fresh():
        return entry.value
    try:
        target = None
        if not _is_url(src):
            target = resolve_space(src, token, _SKIP_HINT)
            if entry is not None and entry.revision and entry.revision == target.sha:
                # Same revision of the Space: same API, no need to ask the app.
                return api_cache.save("gradio", src, entry.value, target.sha).value
        client = connect(src, token, target, _SKIP_HINT)
        raw = _api_of(client)
    except RemoteNotFound:
        raise
    except RemoteError as exc:
        if entry is None:
            raise
        warnings.warn(
            f"Using the API description of '{src}' cached on {entry.when()}: {exc}",
            UserWarning,
            stacklevel=4,
        )
        return entry.value
    return api_cache.save("gradio", src, raw, target.sha if target else None).value


def endpoint_names(info: dict[str, Any]) -> list[str]:
    return list(info.get("named_endpoints", {})) + [
        f"/{k}" for k in info.get("unnamed_endpoints", {})
    ]


def find_endpoint(info: dict[str, Any], api_name: str) -> dict[str, Any] | None:
    named = info.get("named_endpoints", {})
    if api_name in named:
        return named[api_name]
    index = api_name.lstrip("/")
    if index.isdigit():
        return info.get("unnamed_endpoints", {}).get(index)
    return None


def _param_name(param: dict[str, Any]) -> str:
    return param.get("parameter_name") or param.get("label") or ""


def check_endpoint(node: GradioNode, info: dict[str, Any], warn_outputs: bool = True) -> None:
    """Raise :class:`GraphError` when the node does not fit the endpoint; warn when it
    declares more outputs than the endpoint returns (and has no postprocess)."""
    src, api = node.src, node.api_name
    endpoint = find_endpoint(info, api)
    if endpoint is None:
        names = endpoint_names(info)
        raise GraphError(
            f"API endpoint '{api}' not found in '{src}'. Available endpoints: {names}."
            f"{did_you_mean(api, names)}"
        )
    params = endpoint.get("parameters") or []
    valid = [_param_name(p) for p in params]
    bad = [k for k in node._input_ports if k not in valid]
    if bad:
        hints = [f"'{k}' -> '{m}'" for k in bad if (m := closest(k, valid))]
        mean = f" Did you mean: {', '.join(hints)}?" if hints else ""
        raise GraphError(
            f"Invalid parameter(s) {set(bad)} for endpoint '{api}' in '{src}'.{mean} "
            f"Valid parameters: {set(valid) or '{}'}"
        )
    missing = [
        _param_name(p)
        for p in params
        if not p.get("parameter_has_default") and _param_name(p) not in node._input_ports
    ]
    if missing:
        raise GraphError(
            f"Missing required parameter(s) {set(missing)} for endpoint '{api}' in '{src}'. "
            "These parameters have no default values."
        )
    returns = len(endpoint.get("returns") or [])
    outputs = len(node._output_ports)
    if warn_outputs and outputs > returns and node.postprocess is None:
        warnings.warn(
            f"GradioNode '{node.name}' defines {outputs} outputs but endpoint '{api}' only "
            f"returns {returns} value(s). Extra outputs will be None.",
            UserWarning,
            stacklevel=4,
        )


def validate_node(node: GradioNode) -> None:
    """Check a GradioNode against its app's API (called at construction)."""
    check_endpoint(node, api_info(node.src, get_token()))


# -- calling ----------------------------------------------------------------------------------
def _limit(src: str) -> asyncio.Semaphore:
    """The bound of one app on this loop (a changed DAGGR_GRADIO_CONCURRENCY takes effect
    for the calls that start after it)."""
    width = gradio_concurrency()
    key = (id(asyncio.get_running_loop()), src, width)
    sem = _limits.get(key)
    if sem is None:
        sem = _limits[key] = asyncio.Semaphore(width)
    return sem


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (RemoteUnreachable, _ConnectionLost, ConnectionError, TimeoutError)):
        return True
    if type(exc).__name__ in ("QueueError", "TooManyRequestsError"):
        return True
    try:
        import httpx
    except ImportError:
        return False
    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return status >= 500 or status == 429
    return False


class _ConnectionLost(RemoteError):
    pass


async def call(node: GradioNode, kwargs: dict[str, Any], ctx: CallContext | None = None) -> Any:
    """Call the node's endpoint with ``kwargs``; returns the postprocessed result with
    files downloaded as FileValue paths. ``ctx`` (a call in a run) hears the job's queue
    position, progress and outputs so far."""
    visitor = current()  # read here, on the loop: worker threads do not see it
    token = await run_blocking(call_token, visitor)  # may read the token file
    headers: Headers = tuple(sorted(visitor.headers.items())) if visitor else ()
    src = node.src
    if node.run_locally:
        from daggr.remote.local_space import local_url

        # None: the local copy failed and the remote Space is used (the reason was printed).
        src = await run_blocking(local_url, node) or node.src
    payload = await run_blocking(gradio_inputs, kwargs)
    async with _limit(src):
        try:
            raw, client = await _call_with_retries(node, src, token, payload, ctx, headers)
        finally:
            if headers:
                forget(src, token, headers)
    return await run_blocking(_finish_value, node, raw, client, src)


def _finish_value(node: GradioNode, raw: Any, client: Any, src: str) -> Any:
    """The app's raw result as the node's value: postprocessed, files downloaded."""
    value = apply_postprocess(node, raw)
    headers = dict(getattr(client, "headers", {}) or {})
    # Only an app on this machine may hand over a file by its local path.
    return download_outputs(value, headers, is_loopback(src))


def _is_plain(value: Any) -> bool:
    """Text, numbers and tuples of them: nothing to download."""
    if isinstance(value, tuple):
        return all(_is_plain(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))


async def _call_with_retries(
    node: GradioNode,
    src: str,
    token: str | None,
    payload: dict[str, Any],
    ctx: CallContext | None,
    headers: Headers = (),
) -> tuple[Any, Any]:
    attempt = 0
    while True:
        source = _source(src, token, headers)
        try:
            client = await run_blocking(connect, src, token, None, "", headers)
            return await _submit(client, node, payload, ctx, src), client
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not (source.answered and _is_transient(exc)) or attempt >= retries():
                streamed = ctx.partials if ctx is not None else 0
                raise _final_error(node, src, exc, token, attempt, streamed) from None
            attempt += 1
            forget(src, token, headers)
            await asyncio.sleep(min(retry_backoff() * 2 ** (attempt - 1), 10.0))


async def _submit(
    client: Any, node: GradioNode, payload: dict[str, Any], ctx: CallContext | None, src: str
) -> Any:
    if not node.validate or node.run_locally:
        # Not checked at construction: teach now, from the API the client already holds.
        check_endpoint(node, _api_of(client), warn_outputs=False)
    api = node.api_name
    index = api.lstrip("/")
    if index.isdigit() and api not in _named(client):
        # Unnamed endpoint: positional arguments, in the order the node declares them.
        args, kwargs = tuple(payload.values()), {"fn_index": int(index)}
    else:
        args, kwargs = (), {"api_name": api, **payload}
    updates = None
    if ctx is not None and ctx.emit is not None:
        updates = JobUpdates(
            ctx,
            asyncio.get_running_loop(),
            lambda raw: map_remote_outputs(node, _finish_value(node, raw, client, src)),
            lambda raw: node.postprocess is None and _is_plain(raw),
        )
        job = await run_blocking(submit_followed, client, updates, *args, **kwargs)
    else:
        job = await run_blocking(client.submit, *args, **kwargs)
    future = asyncio.wrap_future(job.future)
    try:
        # wait() (not await future): only *our* cancellation raises CancelledError here; a
        # job that gradio_client itself cancels (the stream closed) is reported below.
        await asyncio.wait([future])
    except asyncio.CancelledError:
        # the abandoned job's own failure is expected: read it, so asyncio does not log
        # "Future exception was never retrieved" at exit
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        pool().submit(_cancel_job, job)
        raise
    finally:
        if updates is not None:
            updates.close()
    # gradio_client reports a stream that closed under the job (the app died) either as a
    # cancelled future or as a future that *raised* CancelledError; both are a lost
    # connection, never our cancellation (which would leave the node "running").
    if future.cancelled() or isinstance(
        future.exception(), (asyncio.CancelledError, concurrent.futures.CancelledError)
    ):
        raise _ConnectionLost("the connection to the app closed before the result arrived")
    return future.result()


def _api_of(client: Any) -> dict[str, Any]:
    info = client.view_api(return_format="dict", print_info=False) or {}
    return {
        "named_endpoints": info.get("named_endpoints") or {},
        "unnamed_endpoints": {str(k): v for k, v in (info.get("unnamed_endpoints") or {}).items()},
    }


def _named(client: Any) -> dict[str, Any]:
    return _api_of(client)["named_endpoints"]


def _cancel_job(job: Any) -> None:
    try:
        job.cancel()
    except Exception:  # the app is gone: nothing left to cancel
        pass


def _final_error(
    node: GradioNode,
    src: str,
    exc: BaseException,
    token: str | None,
    attempts: int,
    streamed: int = 0,
) -> Exception:
    error = _plain_final_error(node, src, exc, token, attempts)
    if streamed and isinstance(error, RemoteError) and not isinstance(error, RemoteAppError):
        # The app went away while streaming: say so (the card still shows what came).
        return RemoteUnreachable(
            f"The stream from endpoint '{node.api_name}' of {src} broke after {streamed} "
            f"partial result(s), which are not kept as a result: {error}"
        )
    return error


def _plain_final_error(
    node: GradioNode, src: str, exc: BaseException, token: str | None, attempts: int
) -> Exception:
    where = f"endpoint '{node.api_name}' of {src}"
    if isinstance(exc, GraphError):  # the node does not fit the endpoint: already teaches
        return exc
    if type(exc).__name__ == "AppError" or isinstance(exc, RemoteAppError):
        message = redact(str(exc) or "the app raised an error without a message", token)
        return RemoteAppError(f"The Gradio app raised an error in {where}: {message}")
    if isinstance(exc, RemoteError):
        if attempts:
            return type(exc)(f"{redact(str(exc), token)} (gave up after {attempts + 1} attempts)")
        return exc
    retried = f" after {attempts + 1} attempts" if attempts else ""
    if _is_transient(exc):
        return RemoteUnreachable(f"Calling {where} failed{retried}: {describe(exc, token)}")
    return RemoteError(f"Calling {where} failed: {describe(exc, token)}")
