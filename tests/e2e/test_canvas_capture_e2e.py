"""Webcam and microphone capture for Image, Audio and Video inputs, in a real JupyterLab with
Chromium's fake camera and microphone: a photo, a recording and a clip reach the kernel as files
and the nodes read them; the upload path stays."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e.jupyter_harness import FAKE_MEDIA_ARGS, lab_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

BUILD = """\
import os
os.environ["DAGGR_HOME"] = {home!r}
from PIL import Image
from daggr import FnNode, Graph, InputNode, components as gr
from daggr.widget import Canvas

form = InputNode("form", ports={{"photo": gr.Image(label="Photo"), "voice": gr.Audio(label="Voice"),
                               "clip": gr.Video(label="Clip")}})
measure = FnNode(lambda photo: "x".join(map(str, Image.open(photo).size)), name="measure",
                 inputs={{"photo": form.photo}}, outputs={{"size": gr.Textbox(label="Size")}})
listen = FnNode(lambda voice: f"{{os.path.getsize(voice)}} bytes of {{os.path.splitext(voice)[1]}}",
                name="listen", inputs={{"voice": form.voice}}, outputs={{"bytes": gr.Textbox(label="Bytes")}})
watch = FnNode(lambda clip: f"{{os.path.getsize(clip)}} bytes of {{os.path.splitext(clip)[1]}}",
               name="watch", inputs={{"clip": form.clip}}, outputs={{"bytes": gr.Textbox(label="Bytes")}})
g = Graph("capture", nodes=[measure, listen, watch], persist_key=False)
Canvas(g, height=620)"""


def test_photo_and_recording_from_the_browser_reach_the_nodes(
    tmp_path: Path, e2e_out: Path
) -> None:
    from playwright.sync_api import expect

    cell = BUILD.format(home=str(tmp_path / "home"))
    with lab_notebook(tmp_path, e2e_out, "capture", [cell], tuple(FAKE_MEDIA_ARGS)) as (page, _, _):
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
        expect(panel.locator(".daggr-capture-status")).to_have_text("Camera on", timeout=15_000)
        video = panel.locator("video")
        video.evaluate("v => new Promise(r => v.videoWidth ? r() : v.onloadedmetadata = () => r())")
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
        width, height = map(int, measure.locator('[data-port="size"]').inner_text().split("x"))
        assert width >= 320 and height >= 240, (width, height)

        # A recording from the (fake) microphone; Escape closes the panel unused.
        voice.locator(".daggr-capture-btn").click()
        expect(panel.locator(".daggr-capture-go")).to_have_text("Start recording", timeout=15_000)
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
        expect(listen.locator('[data-port="bytes"]')).to_contain_text(".webm", timeout=30_000)
        size = int(listen.locator('[data-port="bytes"]').inner_text().split()[0])
        assert size > 1000, size

        # A video clip from the (fake) webcam and microphone.
        clip = canvas.locator('[data-key="form__clip"]')
        clip.locator(".daggr-capture-btn").click()
        expect(panel.locator("video")).to_be_visible(timeout=15_000)
        panel.locator(".daggr-capture-go").click(timeout=15_000)
        page.wait_for_timeout(1500)
        panel.locator(".daggr-capture-go").click()
        expect(panel).to_be_hidden()
        expect(clip.locator(".daggr-drop-hint")).to_contain_text(".webm", timeout=15_000)
        watch = canvas.locator('.daggr-node[data-id="watch"]')
        watch.locator(".daggr-run-btn").click()
        expect(watch.locator('[data-port="bytes"]')).to_contain_text(".webm", timeout=30_000)
        assert int(watch.locator('[data-port="bytes"]').inner_text().split()[0]) > 1000
        canvas.screenshot(path=str(e2e_out / "capture-done.png"))
