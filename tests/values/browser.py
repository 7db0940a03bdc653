"""Checks, in a real browser, that every case of the value matrix shows as a person
needs it: pictures decoded at their natural size, players with a known duration, tables
with their cells, chats with their messages (see ``tests/values/matrix.py``)."""

from __future__ import annotations

import json
from typing import Any

from tests.values.matrix import BY_NAME

# Waits (polling) until the box shows what the case expects; returns what it found, or
# null while it is not there yet. Runs in the page.
PROBE = """
([root, node, expect]) => {
  const card = document.querySelector(`${root} .daggr-node[data-id="${node}"]`);
  const box = card && card.querySelector('.daggr-preview[data-port="value"]');
  if (!box) return null;
  const found = {kind: box.dataset.kind, text: box.innerText};
  if ("img" in expect) {
    const img = [...box.querySelectorAll("img")].find((i) => i.complete && i.naturalWidth > 0);
    if (!img) return null;
    found.img = [img.naturalWidth, img.naturalHeight];
  }
  if ("media" in expect) {
    const el = box.querySelector(expect.media);
    if (!el || el.readyState < 1 || !(el.duration > 0)) return null;
    found.duration = el.duration;
  }
  if ("cells" in expect) {
    const cells = [...box.querySelectorAll("td")].map((td) => td.textContent);
    if (!cells.length) return null;
    found.cells = cells;
  }
  if ("messages" in expect) {
    const n = box.querySelectorAll(".daggr-msg").length;
    if (!n) return null;
    found.messages = n;
  }
  if ("gallery" in expect) {
    const imgs = [...box.querySelectorAll(".daggr-gallery-item img")];
    if (imgs.length < expect.gallery || !imgs.every((i) => i.complete && i.naturalWidth > 0)) return null;
    found.gallery = imgs.length;
  }
  if ("link" in expect) {
    const a = box.querySelector("a[download]");
    if (!a || !a.href) return null;
    found.link = a.getAttribute("download");
  }
  if ("mesh" in expect) {
    const c = box.querySelector("canvas.daggr-model3d");
    if (!c) return null;
    const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let drawn = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] > 0) drawn++;
    if (!drawn) return null;
    found.mesh = drawn;
  }
  if ("frame" in expect) {
    if (!box.querySelector("iframe")) return null;
    found.frame = true;
  }
  if ("text" in expect && !box.innerText.includes(expect.text)) return null;
  return found;
}
"""


def problems(page: Any, names: list[str], root: str = "", timeout_ms: int = 30_000) -> dict:
    """``{case: what is wrong}`` for the cases' cards on the page (empty when all show)."""
    out: dict[str, Any] = {}
    for name in names:
        expect = dict(BY_NAME[name].expect)
        try:
            handle = page.wait_for_function(
                f"(args) => ({PROBE})(args)",
                arg=[root, name, expect],
                timeout=timeout_ms,
                polling=200,
            )
            found = handle.json_value()
        except Exception:  # Playwright's timeout: report what the box shows instead
            found = page.evaluate(
                """([root, node]) => {
                  const b = document.querySelector(`${root} .daggr-node[data-id="${node}"] .daggr-preview[data-port="value"]`);
                  return b ? {missing: true, kind: b.dataset.kind, html: b.innerHTML.slice(0, 400)} : {missing: true, card: false};
                }""",
                [root, name],
            )
            out[name] = found
            continue
        wrong = _mismatch(expect, found)
        if wrong:
            out[name] = {"expected": expect, "found": found, "wrong": wrong}
    return out


def _mismatch(expect: dict, found: dict) -> list[str]:
    wrong = []
    size = expect.get("img")
    if size is not None and tuple(found["img"]) != tuple(size):
        wrong.append(f"picture decoded at {found['img']}, not {list(size)}")
    if "messages" in expect and found["messages"] != expect["messages"]:
        wrong.append(f"{found['messages']} messages, not {expect['messages']}")
    for cell in expect.get("cells", []):
        if cell not in found["cells"]:
            wrong.append(f"no cell {cell!r} in {json.dumps(found['cells'])[:200]}")
    if "link" in expect and found["link"] != expect["link"]:
        wrong.append(f"download named {found['link']!r}")
    return wrong
