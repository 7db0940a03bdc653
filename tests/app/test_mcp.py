"""The served graph as MCP tools: an MCP client from the official SDK lists the tools
(typed input schemas) and calls one; an image output comes back as a URL answering 200."""

from __future__ import annotations

import asyncio
import io
import json

import httpx
import pytest

from daggr import FnNode, Graph
from daggr import components as gr

mcp = pytest.importorskip("mcp")
Image = pytest.importorskip("PIL.Image")


def poster_graph() -> Graph:
    def caption(topic: str, words: float, style: str) -> str:
        return f"{style} {topic} " + "la " * int(words)

    def poster(text: str):
        # RGBA, with the alpha a real model's poster often has.
        return Image.new("RGBA", (64, 40), (len(text) * 3 % 255, 90, 200, 180))

    cap = FnNode(
        caption,
        inputs={
            "topic": gr.Textbox(label="Topic"),
            "words": gr.Slider(1, 8, value=2, step=1),
            "style": gr.Dropdown(choices=["bold", "calm"], value="calm"),
        },
        outputs={"text": gr.Textbox()},
    )
    img = FnNode(poster, inputs={"text": cap.text}, outputs={"image": gr.Image()})
    return Graph("Poster maker", nodes=[cap, img], persist_key=False)


async def _client_session(url: str):
    async with mcp.Client(url) as client:
        tools = (await client.list_tools()).tools
        result = await client.call_tool(tools[0].name, {"topic": "owls", "words": 3})
        bad = await client.call_tool(tools[0].name, {"topik": "owls"})
        return tools, result, bad


def test_an_mcp_client_lists_and_calls_the_workflow(serve):
    app = serve(poster_graph(), mcp_server=True)
    tools, result, bad = asyncio.run(_client_session(app.url + "mcp"))

    (tool,) = tools
    assert tool.name == "poster_maker"
    props = tool.input_schema["properties"]
    assert props["caption__topic"]["type"] == "string"
    assert props["caption__words"] == {
        "description": "words (input 'words' of node 'caption')",
        "type": "number",
        "minimum": 1,
        "maximum": 8,
        "default": 2,
    }
    assert props["caption__style"]["enum"] == ["bold", "calm"]
    assert "caption__topic" in tool.input_schema["required"]

    assert not result.is_error, result.content
    outputs = json.loads(result.content[0].text)
    assert outputs == result.structured_content
    url = outputs["poster"]["image"]
    assert url.startswith(app.url + "file/")
    image = httpx.get(url)
    assert image.status_code == 200
    assert Image.open(io.BytesIO(image.content)).size == (64, 40)

    # A misspelt input teaches, as over REST.
    assert bad.is_error and "caption__topic" in bad.content[0].text


def test_mcp_routes_exist_only_when_asked(serve):
    app = serve(poster_graph())
    assert httpx.post(app.url + "mcp", json={}).status_code == 404
