"""The ``daggr`` command.

Usage::

    daggr app.py [--host H] [--port P] [--no-reload] [--no-browser] [--no-watch-daggr]
                 [--state-db-path PATH] [--delete-sheets [--force]]
    daggr export app.py|notebook.ipynb -o DIR
    daggr deploy app.py [--name N] [--title T] [--org O] [--private] [--hardware H]
                        [--secret KEY=VALUE ...] [--requirements FILE] [--dry-run]
    daggr demo [--host H] [--port P] [--no-browser]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

COMMANDS = ("export", "deploy", "demo")


def _serve_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="default $GRADIO_SERVER_NAME or 127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=None, help="default $GRADIO_SERVER_PORT or 7860"
    )
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    parser.add_argument(
        "--root-path",
        default=None,
        help="the path prefix a reverse proxy serves the app under (e.g. /apps/demo)",
    )
    parser.add_argument(
        "--view",
        choices=("canvas", "form"),
        default=None,
        help="what visitors see first (a tab switches): the canvas or a simple form",
    )
    parser.add_argument(
        "--mcp",
        action="store_true",
        help="also serve each subgraph as an MCP tool at /mcp (pip install 'daggr[mcp]')",
    )


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
    _compat_args(parser)
    args = parser.parse_args(argv)
    if args.script.suffix != ".py":
        parser.error(f"{args.script} is not a .py file (daggr export takes notebooks)")
    if args.state_db_path:
        # Before the script is imported: the graph's store reads it on first use.
        os.environ["DAGGR_DB_PATH"] = str(Path(args.state_db_path).expanduser().resolve())
    if args.delete_sheets:
        return _delete_sheets(args.script, args.force)
    if args.force:
        print("daggr: --force only applies to --delete-sheets; ignored.", file=sys.stderr)
    args.argv = argv
    return _serve(args.script, args)


def _compat_args(parser: argparse.ArgumentParser) -> None:
    """The original daggr's options."""
    parser.add_argument(
        "--watch-daggr",
        dest="watch_daggr",
        action="store_true",
        default=True,
        help="with reload, also restart when daggr's own code changes (default)",
    )
    parser.add_argument(
        "--no-watch-daggr",
        dest="watch_daggr",
        action="store_false",
        help="with reload, watch only the script and its local modules",
    )
    parser.add_argument(
        "--state-db-path",
        default=None,
        metavar="PATH",
        help="the database file (overrides $DAGGR_DB_PATH)",
    )
    parser.add_argument(
        "--delete-sheets",
        action="store_true",
        help="delete every sheet of this script's graph (all users: inputs, results, "
        "the files only they use) and exit",
    )
    parser.add_argument(
        "--force", "-f", action="store_true", help="with --delete-sheets: do not ask"
    )


def _delete_sheets(script: Path, force: bool) -> int:
    from daggr.app.delete_sheets import delete_graph_sheets
    from daggr.app.hot_reload import load_graph
    from daggr.store import Store

    try:
        graph = load_graph(script)
    except LookupError as exc:
        print(f"daggr: {exc}", file=sys.stderr)
        return 2
    if not graph.persist_key:
        print(
            f"daggr: graph '{graph.name}' has no persist_key (persistence is disabled: "
            "persist_key=False), so it has no sheets to delete.",
            file=sys.stderr,
        )
        return 2
    with Store() as store:
        delete_graph_sheets(store, graph.persist_key, force=force)
    return 0


def _serve(script: Path, args: argparse.Namespace) -> int:
    from daggr.app.hot_reload import Watcher, load_script
    from daggr.app.restart import Restart
    from daggr.app.serve import launch
    from daggr.app.state import AppState

    try:
        graph, kwargs = load_script(script)
    except LookupError as exc:
        print(f"daggr: {exc}", file=sys.stderr)
        return 2
    for key in ("host", "port", "open_browser", "block"):
        kwargs.pop(key, None)
    kwargs.update(_serve_options(args))
    running = launch(
        AppState(graph),
        host=args.host,
        port=args.port,
        open_browser=not args.no_browser,
        block=False,
        **kwargs,
    )
    watcher = None
    restart = Restart(running)
    if not getattr(args, "no_reload", True):
        own_code = [Path(__file__).resolve().parent] if getattr(args, "watch_daggr", False) else []
        watcher = Watcher(
            script,
            running.swap,
            package_dirs=own_code,
            on_package_change=restart.request,
        ).start()
        also = " and daggr's own code" if own_code else ""
        print(f"daggr: watching {script}{also} for changes")
    sys.stdout.flush()
    running.wait()
    if watcher is not None:
        watcher.stop()
    if restart.requested:
        restart.run(getattr(args, "argv", []))
    return 0


def _serve_options(args: argparse.Namespace) -> dict[str, object]:
    """The launch() options given on the command line (over the script's own)."""
    options: dict[str, object] = {}
    if args.root_path is not None:
        options["root_path"] = args.root_path
    if args.view is not None:
        options["view"] = args.view
    if args.mcp:
        options["mcp_server"] = True
    return options


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
    parser.add_argument(
        "--oauth", action="store_true", help='"Sign in with Hugging Face" on the Space'
    )
    args = parser.parse_args(argv)
    from daggr.app.export import ExportError, export_source

    try:
        out = export_source(
            args.source,
            args.output,
            title=args.title,
            requirements=args.requirements,
            oauth=args.oauth,
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
    parser.add_argument(
        "--oauth", action="store_true", help='"Sign in with Hugging Face" on the Space'
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan; upload nothing")
    args = parser.parse_args(argv)
    secrets = {}
    for item in args.secret:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--secret takes KEY=VALUE, got {item!r}")
        secrets[key] = value
    from daggr.app.deploy import DeployError, deploy_source
    from daggr.app.export import ExportError

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
            oauth=args.oauth,
            dry_run=args.dry_run,
        )
    except (DeployError, ExportError) as exc:
        print(f"daggr deploy: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
