"""The ``daggr`` command.

Usage::

    daggr app.py [--host H] [--port P] [--no-reload] [--no-browser]
    daggr export app.py|notebook.ipynb -o DIR
    daggr deploy app.py [--name N] [--title T] [--org O] [--private] [--hardware H]
                        [--secret KEY=VALUE ...] [--requirements FILE] [--dry-run]
    daggr demo [--host H] [--port P] [--no-browser]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMMANDS = ("export", "deploy", "demo")


def _serve_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="default $GRADIO_SERVER_NAME or 127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=None, help="default $GRADIO_SERVER_PORT or 7860"
    )
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")


def _script(value: str) -> Path:
    path = Path(value)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{value}: no such file")
    return path


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``daggr`` and ``python -m daggr``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        return {"export": _export, "deploy": _deploy, "demo": _demo}[argv[0]](argv[1:])
    parser = argparse.ArgumentParser(
        prog="daggr",
        description="Serve a daggr graph with hot reload. Other commands: "
        "daggr export, daggr deploy, daggr demo (each with --help).",
    )
    parser.add_argument("script", type=_script, help="a Python file that defines a Graph")
    _serve_args(parser)
    parser.add_argument("--no-reload", action="store_true", help="do not watch for changes")
    args = parser.parse_args(argv)
    if args.script.suffix != ".py":
        parser.error(f"{args.script} is not a .py file (daggr export takes notebooks)")
    return _serve(args.script, args)


def _serve(script: Path, args: argparse.Namespace) -> int:
    from daggr.app.hot_reload import Watcher, load_script
    from daggr.app.serve import launch
    from daggr.app.state import AppState

    try:
        graph, kwargs = load_script(script)
    except LookupError as exc:
        print(f"daggr: {exc}", file=sys.stderr)
        return 2
    for key in ("host", "port", "open_browser", "block"):
        kwargs.pop(key, None)
    running = launch(
        AppState(graph),
        host=args.host,
        port=args.port,
        open_browser=not args.no_browser,
        block=False,
        **kwargs,
    )
    watcher = None
    if not getattr(args, "no_reload", True):
        watcher = Watcher(script, running.swap).start()
        print(f"daggr: watching {script} for changes")
    sys.stdout.flush()
    running.wait()
    if watcher is not None:
        watcher.stop()
    return 0


def _demo(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="daggr demo", description="Serve an offline demo graph.")
    _serve_args(parser)
    args = parser.parse_args(argv)
    from daggr.app import demo

    args.no_reload = True
    return _serve(Path(demo.__file__), args)


def _export(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="daggr export", description="Write a Hugging Face Space folder for a graph."
    )
    parser.add_argument("source", type=_script, help="a .py script or an .ipynb notebook")
    parser.add_argument("-o", "--output", required=True, help="folder to write")
    parser.add_argument("--title", default=None)
    parser.add_argument("-r", "--requirements", default=None, help="requirements.txt to use")
    args = parser.parse_args(argv)
    from daggr.app.export import ExportError, export_source

    try:
        out = export_source(
            args.source, args.output, title=args.title, requirements=args.requirements
        )
    except ExportError as exc:
        print(f"daggr export: {exc}", file=sys.stderr)
        return 2
    print(f"Exported to {out}: " + ", ".join(sorted(p.name for p in out.iterdir())))
    return 0


def _deploy(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="daggr deploy", description="Export a graph and upload it as a Hugging Face Space."
    )
    parser.add_argument("source", type=_script, help="a .py script or an .ipynb notebook")
    parser.add_argument("-n", "--name", default=None, help="Space name (default: from the graph)")
    parser.add_argument("-t", "--title", default=None, help="Space title (default: graph name)")
    parser.add_argument("-o", "--org", default=None, help="organization (default: your user)")
    parser.add_argument("-p", "--private", action="store_true")
    parser.add_argument("--hardware", default="cpu-basic")
    parser.add_argument(
        "-s", "--secret", action="append", default=[], metavar="KEY=VALUE", help="Space secret"
    )
    parser.add_argument("-r", "--requirements", default=None)
    parser.add_argument("--dry-run", action="store_true", help="print the plan; upload nothing")
    args = parser.parse_args(argv)
    secrets = {}
    for item in args.secret:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--secret takes KEY=VALUE, got {item!r}")
        secrets[key] = value
    from daggr.app.deploy import DeployError, deploy_source

    try:
        deploy_source(
            args.source,
            name=args.name,
            title=args.title,
            org=args.org,
            private=args.private,
            hardware=args.hardware,
            secrets=secrets,
            requirements=args.requirements,
            dry_run=args.dry_run,
        )
    except DeployError as exc:
        print(f"daggr deploy: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
