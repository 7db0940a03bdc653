"""Webcam and microphone capture for Image and Audio inputs, in a real JupyterLab with
Chromium's fake camera and microphone: a photo and a recording reach the kernel as files
and the nodes read them; the upload path stays."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from jupyter_harness import FAKE_MEDIA_ARGS, jupyter_server, launch_chromium, open_and_run_all

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

BUILD = """\
import os
os.environ["DAGGR_HOME"] = {home!r}
from PIL import Image
from daggr import FnNode, Graph, InputNode, components as gr
from daggr.widget import Canvas

form = InputNode("form", ports={{"photo": gr.Image(label="Photo"), "voice": gr.Audio(label="Voice")}})
measure = FnNode(lambda photo: "x".join(map(str, Image.open(photo).size)), name="measure",
                 inputs={{"photo": form.photo}}, outputs={{"size": gr.Textbox(label="Size")}})
listen = FnNode(lambda voice: f"{{os.path.getsize(voice)}} bytes of {{os.path.splitext(voice)[1]}}",
                name="listen", inputs={{"voice": form.voice}}, outputs={{"bytes": gr.Textbox(label="Bytes")}})
g = Graph("capture", nodes=[measure, listen], persist_key=False)
Canvas(g, height=520)"""


def test_photo_and_recording_from_the_browser_reach_the_nodes(
    tmp_path: Path, e2e_out: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    root = tmp_path / "root"
    root.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(BUILD.format(home=str(tmp_path / "home")))]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, root / "capture.ipynb")
    with jupyter_server("lab", root, tmp_path / "state", e2e_out / "capture-server.log") as port:
        with sync_playwright() as p:
            ctx = launch_chromium(p, tmp_path / "profile", tuple(FAKE_MEDIA_ARGS))
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            logs: list[str] = []
            page.on("console", lambda m: logs.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: logs.append(f"pageerror: {e}"))
            try:
                open_and_run_all(page, port, "capture.ipynb", 1)
                canvas = page.locator(".jp-OutputArea-output .daggr-root")
                expect(canvas).to_be_visible(timeout=60_000)
                photo = canvas.locator('[data-key="form__photo"]')
                voice = canvas.locator('[data-key="form__voice"]')
                # the upload path is still there next to capture
                expect(photo.locator('input[type="file"]')).to_have_count(1)
                expect(voice.locator('input[type="file"]')).to_have_count(1)

                # A photo from the (fake) webcam.
                photo.locator(".daggr-capture-btn").click()
                panel = canvas.locator(".daggr-capture")
                expect(panel).to_be_visible()
                expect(panel.locator(".daggr-capture-status")).to_have_text(
                    "Camera on", timeout=15_000
                )
                video = panel.locator("video")
                video.evaluate(
                    "v => new Promise(r => v.videoWidth ? r() : v.onloadedmetadata = () => r())"
                )
                if os.environ.get("DAGGR_DOCS_SCREENSHOTS"):
                    canvas.screenshot(
                        path=str(Path(os.environ["DAGGR_DOCS_SCREENSHOTS"]) / "canvas-6-camera.png")
                    )
                panel.locator(".daggr-capture-go").click()
                expect(panel).to_be_hidden()
                expect(photo.locator(".daggr-drop-preview img")).to_have_attribute(
                    "src", re.compile(r"^blob:"), timeout=15_000
                )
                measure = canvas.locator('.daggr-node[data-id="measure"]')
                measure.locator(".daggr-run-btn").click()
                expect(measure.locator('[data-port="size"]')).to_have_text(
                    re.compile(r"^\d+x\d+$"), timeout=30_000
                )
                width, height = map(
                    int, measure.locator('[data-port="size"]').inner_text().split("x")
                )
                assert width >= 320 and height >= 240, (width, height)

                # A recording from the (fake) microphone; Escape closes the panel unused.
                voice.locator(".daggr-capture-btn").click()
                expect(panel.locator(".daggr-capture-go")).to_have_text(
                    "Start recording", timeout=15_000
                )
                page.keyboard.press("Escape")
                expect(panel).to_be_hidden()
                voice.locator(".daggr-capture-btn").click()
                panel.locator(".daggr-capture-go").click(timeout=15_000)
                expect(panel.locator(".daggr-capture-status")).to_contain_text("Recording")
                page.wait_for_timeout(1500)
                panel.locator(".daggr-capture-go").click()
                expect(panel).to_be_hidden()
                expect(voice.locator(".daggr-drop-hint")).to_contain_text(".webm", timeout=15_000)
                listen = canvas.locator('.daggr-node[data-id="listen"]')
                listen.locator(".daggr-run-btn").click()
                expect(listen.locator('[data-port="bytes"]')).to_contain_text(
                    ".webm", timeout=30_000
                )
                size = int(listen.locator('[data-port="bytes"]').inner_text().split()[0])
                assert size > 1000, size
                canvas.screenshot(path=str(e2e_out / "capture-done.png"))
            except Exception:
                page.screenshot(path=str(e2e_out / "capture-FAILED.png"))
                raise
            finally:
                (e2e_out / "capture-console.log").write_text("\n".join(logs))
                ctx.close()
    errors = [line for line in logs if "daggr" in line.lower() and "error" in line.lower()]
    assert not errors, json.dumps(errors, indent=1)
