"""``GradioNode(run_locally=True)``: run a Space's app on this machine.

On first use (or ``node.prepare()``), never at import:

1. the Space's files: ``snapshot_download(repo_type="space")`` into
   ``$DAGGR_HOME/spaces/<owner>/<name>/repo`` (once; ``DAGGR_UPDATE_SPACES=1`` fetches
   again), or a local folder given as the node's source;
2. a venv in ``$DAGGR_HOME/spaces/.../.venv`` with the Space's ``requirements.txt`` and
   ``gradio==<sdk_version>`` from the README front matter, rebuilt when those change.
   ``DAGGR_LOCAL_VENV=inherit`` layers the venv over the current environment (packages
   already installed here are reused: seconds instead of minutes, and works offline);
3. the app (``app_file`` from the README, else app.py / main.py / demo.py) launched on a
   free loopback port, waited for up to ``DAGGR_LOCAL_TIMEOUT`` seconds (120).

Its output is drained by a thread into ``$DAGGR_HOME/logs/`` (echoed with
``DAGGR_LOCAL_VERBOSE=1``), and it is stopped when Python exits. If anything fails, the
node falls back to the remote Space with the reason and the log path printed;
``DAGGR_LOCAL_NO_FALLBACK=1`` raises instead (as does a local folder, which has no remote).
"""

from __future__ import annotations

import atexit
import collections
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daggr.remote.auth import describe, get_token, redact
from daggr.remote.config import daggr_home, env_flag, env_float, hub_endpoint, hub_offline
from daggr.remote.errors import LocalSpaceError

if TYPE_CHECKING:
    from daggr.nodes.remote import GradioNode

_APP_FILES = ("app.py", "main.py", "demo.py")


@dataclass
class LocalApp:
    """A Space app running in a child process."""

    key: str
    url: str
    process: subprocess.Popen
    log_path: Path
    tail: collections.deque = field(default_factory=lambda: collections.deque(maxlen=20))

    def alive(self) -> bool:
        return self.process.poll() is None


_apps: dict[str, LocalApp] = {}
_failed: dict[str, str] = {}
_locks: dict[str, threading.Lock] = {}
_registry_lock = threading.Lock()


def _lock(key: str) -> threading.Lock:
    with _registry_lock:
        return _locks.setdefault(key, threading.Lock())


def is_local_folder(src: str) -> bool:
    return src.startswith(("/", "./", "../", "~")) or os.path.isdir(os.path.expanduser(src))


def local_url(node: GradioNode) -> str | None:
    """The URL of the node's local app, starting it on first use.

    None means "use the remote Space" (the reason was printed once).

    Example:
        >>> local_url(GradioNode("owner/space", run_locally=True))  # doctest: +SKIP
        'http://127.0.0.1:40123'
    """
    key = node.src
    with _lock(key):
        app = _apps.get(key)
        if app is not None and app.alive():
            return app.url
        if key in _failed:
            return None
        try:
            app = _start(key)
        except Exception as exc:
            reason = redact(str(exc) if isinstance(exc, LocalSpaceError) else describe(exc))
            if is_local_folder(key) or env_flag("DAGGR_LOCAL_NO_FALLBACK"):
                why = (
                    "it is a local folder, so there is no remote app to fall back to"
                    if is_local_folder(key)
                    else "fallback is disabled (DAGGR_LOCAL_NO_FALLBACK=1)"
                )
                raise LocalSpaceError(
                    f"Local execution failed for '{key}' and {why}. Error: {reason}"
                ) from None
            _failed[key] = reason
            print(
                f"[daggr] Local setup failed for '{key}'; using the remote Space instead.\n"
                f"  Reason: {reason}\n  Logs: {_logs_hint(key)}",
                file=sys.stderr,
                flush=True,
            )
            return None
        _apps[key] = app
        return app.url


def stop(src: str) -> None:
    """Stop the local app of ``src`` (a Space id or folder) if this process started one."""
    app = _apps.pop(src, None)
    _failed.pop(src, None)
    if app is not None:
        _terminate(app.process)


def stop_all() -> None:
    for key in list(_apps):
        stop(key)


atexit.register(stop_all)


# -- preparing --------------------------------------------------------------------------------
def _space_dir(key: str) -> Path:
    if is_local_folder(key):
        path = Path(os.path.expanduser(key)).resolve()
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:10]
        return daggr_home() / "spaces" / "_local" / f"{path.name}-{digest}"
    owner, _, name = key.partition("/")
    return daggr_home() / "spaces" / owner / name


def _slug(key: str) -> str:
    return re.sub(r"[^\w.-]+", "_", key.strip("/~.")).strip("_")[-60:] or "space"


def _log_path(key: str, kind: str) -> Path:
    logs = daggr_home() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return logs / f"{_slug(key)}_{kind}_{time.strftime('%Y-%m-%d')}.log"


def _logs_hint(key: str) -> str:
    return str(daggr_home() / "logs" / f"{_slug(key)}_*.log")


def _start(key: str) -> LocalApp:
    space_dir = _space_dir(key)
    space_dir.mkdir(parents=True, exist_ok=True)
    repo = _fetch(key, space_dir)
    meta = read_front_matter(repo / "README.md")
    sdk = meta.get("sdk")
    if sdk and sdk != "gradio":
        raise LocalSpaceError(f"'{key}' is a {sdk} Space; only Gradio Spaces can run locally.")
    app_file = meta.get("app_file") or next((f for f in _APP_FILES if (repo / f).exists()), None)
    if not app_file or not (repo / app_file).exists():
        raise LocalSpaceError(
            f"No {app_file or 'app.py, main.py or demo.py'} found in '{key}' ({repo}). Cannot "
            "determine how to launch this Space."
        )
    python = _ensure_venv(key, space_dir, repo, meta.get("sdk_version"))
    return _launch(key, python, repo, app_file)


def read_front_matter(readme: Path) -> dict[str, str]:
    """The ``key: value`` lines of a README's YAML front matter (enough for Space cards).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "README.md"
    >>> _ = p.write_text("---\\nsdk: gradio\\nsdk_version: 5.0.1\\n---\\n# Demo")
    >>> read_front_matter(p)
    {'sdk': 'gradio', 'sdk_version': '5.0.1'}
    """
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError:
        return {}
    match = re.match(r"^---\s*\n(.*?)\n---", text, re.S)
    if not match:
        return {}
    out = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not line.startswith((" ", "\t", "-")):
            out[key.strip()] = value.strip().strip("'\"")
    return out


def _fetch(key: str, space_dir: Path) -> Path:
    if is_local_folder(key):
        repo = Path(os.path.expanduser(key)).resolve()
        if not repo.is_dir():
            raise LocalSpaceError(f"'{key}' is not a folder.")
        return repo
    repo = space_dir / "repo"
    if repo.is_dir() and any(repo.iterdir()) and not env_flag("DAGGR_UPDATE_SPACES"):
        return repo
    if hub_offline():
        raise LocalSpaceError(
            f"Cannot download Space '{key}': HF_HUB_OFFLINE=1 and it is not in {repo} yet."
        )
    from huggingface_hub import snapshot_download

    log = _log_path(key, "fetch")
    if repo.exists():
        shutil.rmtree(repo)
    try:
        snapshot_download(
            key,
            repo_type="space",
            local_dir=repo,
            endpoint=hub_endpoint(),
            token=get_token() or False,
        )
    except Exception as exc:
        message = describe(exc)
        log.write_text(message + "\n")
        raise LocalSpaceError(f"Could not download Space '{key}': {message}") from None
    return repo


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _ensure_venv(key: str, space_dir: Path, repo: Path, sdk_version: str | None) -> Path:
    venv = space_dir / ".venv"
    requirements = repo / "requirements.txt"
    inherit = os.environ.get("DAGGR_LOCAL_VENV", "isolated").strip().lower() == "inherit"
    wanted = hashlib.sha256(
        (requirements.read_bytes() if requirements.exists() else b"")
        + f"|{sdk_version}|{inherit}|{sys.version_info[:2]}".encode()
    ).hexdigest()[:16]
    meta_path = space_dir / ".daggr_metadata.json"
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        meta = {}
    python = _venv_python(venv)
    if python.exists() and meta.get("environment") == wanted:
        return python
    log = _log_path(key, "pip_install")
    if venv.exists():
        shutil.rmtree(venv)
    has_pip = _parent_has_pip()
    args = [sys.executable, "-m", "venv", str(venv)]
    if inherit and has_pip:
        args.insert(3, "--without-pip")  # the parent's pip is reachable through the layer
    _run(args, log, f"Could not create a virtual environment for '{key}'")
    if inherit:
        _layer_over_current_env(python)
    packages = ["-r", str(requirements)] if requirements.exists() else []
    if sdk_version:
        packages.append(f"gradio=={sdk_version}")
    elif not inherit:
        packages.append("gradio")
    if packages:
        print(
            f"[daggr] Installing the requirements of '{key}' (log: {log})",
            file=sys.stderr,
            flush=True,
        )
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", *packages]
        _run(
            pip,
            log,
            f"Failed to install dependencies for '{key}'.\nSee logs at: {log}\nYou can try "
            f"installing manually:\n  {python} -m pip install {' '.join(packages)}",
        )
    meta_path.write_text(
        json.dumps({"source": key, "environment": wanted, "created_at": time.time()})
    )
    return python


def _parent_has_pip() -> bool:
    import importlib.util

    return importlib.util.find_spec("pip") is not None


def _layer_over_current_env(python: Path) -> None:
    """Make this environment's packages importable in the venv, after its own."""
    import site

    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    purelib = Path(out.stdout.strip())
    dirs = [d for d in site.getsitepackages() + [site.getusersitepackages()] if os.path.isdir(d)]
    # addsitedir (not a bare path) so that .pth files there (editable installs) apply too.
    lines = [f"import site; site.addsitedir({d!r})" for d in dirs]
    (purelib / "_daggr_parent_env.pth").write_text("\n".join(lines) + "\n")


def _run(args: list[str], log: Path, failure: str) -> None:
    verbose = env_flag("DAGGR_LOCAL_VERBOSE")
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(args)}\n")
        out.flush()
        proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            if verbose:
                print(f"[pip] {line.rstrip()}", file=sys.stderr, flush=True)
        code = proc.wait()
    if code != 0:
        raise LocalSpaceError(failure)


# -- launching --------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(key: str, python: Path, repo: Path, app_file: str) -> LocalApp:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = _log_path(key, "launch")
    env = dict(
        os.environ,
        GRADIO_SERVER_NAME="127.0.0.1",
        GRADIO_SERVER_PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    env.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    out = open(log, "a", encoding="utf-8")
    out.write(f"--- {time.strftime('%H:%M:%S')} {python} {app_file} on {url}\n")
    out.flush()
    process = subprocess.Popen(
        [str(python), app_file],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,  # its own process group: stopping it stops its children
    )
    app = LocalApp(key, url, process, log)
    threading.Thread(target=_drain, args=(app, out), name="daggr-space-log", daemon=True).start()
    timeout = env_float("DAGGR_LOCAL_TIMEOUT", 120.0)
    started = time.monotonic()
    next_notice = 10.0
    while True:
        if process.poll() is not None:
            break
        if _answers(url):
            return app
        elapsed = time.monotonic() - started
        if elapsed > timeout:
            break
        if elapsed > next_notice:
            print(f"[daggr] Still starting '{key}'... ({elapsed:.0f}s)", file=sys.stderr)
            next_notice += 10.0
        time.sleep(0.25)
    exited = process.poll()
    _terminate(process)
    state = (
        f"exited with code {exited}" if exited is not None else f"did not answer in {timeout:g}s"
    )
    tail = "\n".join(f"  | {line}" for line in list(app.tail)[-10:])
    raise LocalSpaceError(
        f"Space '{key}' failed to start ({state}).\nSee logs at: {log}\n"
        + (f"Last output:\n{tail}\n" if tail else "")
        + "Suggestions:\n  1. Some Spaces require GPU hardware\n  2. Check the Space's README "
        "for requirements\n  3. Set DAGGR_LOCAL_VERBOSE=1 to see all output"
    )


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/", timeout=1) as response:
            return response.status == 200
    except Exception:
        return False


def _drain(app: LocalApp, out: Any) -> None:
    """Read the child's output until it closes, so a chatty app never blocks on a full pipe."""
    verbose = env_flag("DAGGR_LOCAL_VERBOSE")
    stream = app.process.stdout
    try:
        for line in stream:
            out.write(line)
            out.flush()
            app.tail.append(line.rstrip())
            if verbose:
                print(f"[{app.key}] {line.rstrip()}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
    finally:
        out.close()


def _terminate(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except (OSError, AttributeError):
        process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (OSError, AttributeError):
            process.kill()
        process.wait()
