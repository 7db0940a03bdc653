"""Each subgraph of a served graph as an MCP tool, so that agents can call a workflow.

``graph.launch(mcp_server=True)`` (``daggr app.py --mcp``) serves the Model Context
Protocol over streamable HTTP at ``/mcp`` with the official ``mcp`` SDK
(``pip install "daggr[mcp]"``). A tool per subgraph (as ``GET /api/schema`` lists them):
its input schema is typed from the components (a Number is a number with its bounds, a
Dropdown an enum of its choices, an Image a file URL...), and a call runs like
``POST /api/call``: the same input checks and messages, outputs as JSON with media as file
URLs of this app. Agents share one set of sheets (user ``mcp``) and, like anonymous
visitors, call remote apps with the server's token only where the owner allows it.

Example:
    >>> from daggr import FnNode, Graph, components as gr
    >>> n = FnNode(lambda x: x * 2, name="double", inputs={"x": gr.Slider(0, 10, value=1)})
    >>> tools = tool_specs(Graph("Double it", nodes=[n], persist_key=False))
    >>> tools[0].name, tools[0].input_schema["properties"]["double__x"]["maximum"]
    ('double_it', 10)
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from daggr.values.registry import FILE_KINDS

if TYPE_CHECKING:
    from daggr.graph import Graph

MCP_USER = "mcp"
_TEXT_KINDS = {"textbox", "textarea", "code", "markdown", "html", "colorpicker", "text"}


class ToolSpec:
    """One tool: its name, the subgraph it runs, its description and input schema."""

    def __init__(self, name: str, subgraph: str, description: str, input_schema: dict) -> None:
        self.name = name
        self.subgraph = subgraph
        self.description = description
        self.input_schema = input_schema


def _tool_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", text.strip().lower()).strip("_")
    return (name or "workflow")[:64]


def _property(kind: str, component: Any, default: Any, node: str, port: str) -> dict[str, Any]:
    label = getattr(component, "label", None) or port
    prop: dict[str, Any] = {"description": f"{label} (input '{port}' of node '{node}')"}
    if kind in ("number", "slider"):
        prop["type"] = "number"
        for attr, key in (("minimum", "minimum"), ("maximum", "maximum")):
            value = getattr(component, attr, None)
            if isinstance(value, (int, float)):
                prop[key] = value
    elif kind == "checkbox":
        prop["type"] = "boolean"
    elif kind in ("dropdown", "radio"):
        choices = [
            c[1] if isinstance(c, (list, tuple)) else c
            for c in getattr(component, "choices", None) or []
        ]
        prop["type"] = "string"
        if choices and all(isinstance(c, str) for c in choices):
            prop["enum"] = choices
    elif kind == "checkboxgroup":
        prop["type"] = "array"
        prop["items"] = {"type": "string"}
    elif kind in FILE_KINDS:
        prop["type"] = "string"
        prop["description"] += ": a file URL this app returned (…/file/<id>)"
    elif kind in _TEXT_KINDS:
        prop["type"] = "string"
    if default is not None:
        prop["default"] = default
    return prop


def tool_specs(graph: Graph) -> list[ToolSpec]:
    """The tools of ``graph``: one per subgraph, typed from its components."""
    from daggr.app import rest
    from daggr.session import compiled_plan

    slots = compiled_plan(graph).slots
    subgraphs = rest.schema(graph)["subgraphs"]
    tools = []
    for sub in subgraphs:
        props, required = {}, []
        for entry in sub["inputs"]:
            component = getattr(slots.get(entry["id"]), "component", None)
            props[entry["id"]] = _property(
                entry["type"], component, entry.get("default"), entry["node"], entry["port"]
            )
            if entry.get("required"):
                required.append(entry["id"])
        finals = sorted({o["node"] for o in sub["outputs"]})
        name = graph.name if len(subgraphs) == 1 else f"{graph.name} {' '.join(finals)}"
        outputs = ", ".join(f"{o['node']}.{o['port']} ({o['type']})" for o in sub["outputs"])
        description = (
            f"Runs the daggr workflow '{graph.name}'"
            + (f" up to {', '.join(finals)}" if len(subgraphs) > 1 else "")
            + f". Returns {{node: {{port: value}}}} for {outputs or 'its nodes'}; images, "
            "audio, video and files come back as URLs."
        )
        schema = {"type": "object", "properties": props, "additionalProperties": False}
        if required:
            schema["required"] = required
        tools.append(ToolSpec(_tool_name(name), sub["id"], description, schema))
    return tools


RunCall = Callable[[str | None, dict[str, Any], str], dict[str, Any]]


class McpEndpoint:
    """The ASGI endpoint at ``/mcp``: the SDK's streamable HTTP transport, started on the
    server's loop at the first request (the app runs without an ASGI lifespan)."""

    def __init__(self, graph_of: Callable[[], Graph], run_call: RunCall) -> None:
        import mcp_types as types
        from mcp.server.lowlevel import Server
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

        self._graph_of = graph_of
        self._run_call = run_call
        self._types = types

        async def list_tools(ctx: Any, params: Any) -> Any:
            specs = tool_specs(self._graph_of())
            return types.ListToolsResult(
                tools=[
                    types.Tool(name=s.name, description=s.description, input_schema=s.input_schema)
                    for s in specs
                ]
            )

        async def call_tool(ctx: Any, params: Any) -> Any:
            return await self._call(ctx, params)

        server = Server("daggr", on_list_tools=list_tools, on_call_tool=call_tool)
        self._manager = StreamableHTTPSessionManager(app=server, stateless=True, json_response=True)
        self._started: asyncio.Future[None] | None = None

    async def _call(self, ctx: Any, params: Any) -> Any:
        from daggr.app import rest

        types = self._types
        specs = {s.name: s for s in tool_specs(self._graph_of())}
        spec = specs.get(params.name)
        if spec is None:
            from daggr.errors import did_you_mean

            message = f"No tool {params.name!r}.{did_you_mean(params.name, specs)} Tools: {', '.join(specs)}."
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=message)], is_error=True
            )
        request = getattr(ctx, "request", None)
        base = str(request.base_url).rstrip("/") if request is not None else ""
        try:
            data = await asyncio.to_thread(
                self._run_call, spec.subgraph, {"inputs": dict(params.arguments or {})}, base
            )
        except rest.ApiError as exc:
            text = json.dumps(exc.payload)
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=text)], is_error=True
            )
        outputs = data["outputs"]
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=json.dumps(outputs, default=str))],
            structured_content=outputs,
        )

    async def _run_manager(self, ready: asyncio.Future[None]) -> None:
        async with self._manager.run():
            ready.set_result(None)
            await asyncio.Event().wait()  # until the server's loop ends

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._started is None:
            self._started = asyncio.get_running_loop().create_future()
            self._task = asyncio.ensure_future(self._run_manager(self._started))
        await self._started
        await self._manager.handle_request(scope, receive, send)
