"""A real Gradio app with one endpoint per case of the value matrix, each returning the
case's value through the case's own gradio component.

Run as ``python gradio_values_app.py PORT MEDIA_FOLDER``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import gradio as gr  # noqa: E402

from tests.values.matrix import CASES  # noqa: E402
from tests.values.media import files  # noqa: E402

COMPONENTS = {
    "Image": lambda: gr.Image(type="pil"),
    "Audio": gr.Audio,
    "Video": gr.Video,
    "Gallery": gr.Gallery,
    "File": gr.File,
    "Model3D": gr.Model3D,
    "Chatbot": gr.Chatbot,
    "Dataframe": gr.Dataframe,
    "Plot": gr.Plot,
    "Label": gr.Label,
    "HighlightedText": gr.HighlightedText,
    "AnnotatedImage": gr.AnnotatedImage,
    "HTML": gr.HTML,
    "Markdown": gr.Markdown,
    "Textbox": gr.Textbox,
}


def main(port: int, folder: Path) -> None:
    made = files(folder)
    with gr.Blocks() as demo:
        seed = gr.Textbox(label="seed")
        for case in CASES:
            if not case.gradio:
                continue
            output = COMPONENTS[case.component().component]()
            button = gr.Button(case.name)
            button.click(
                lambda seed, _make=case.make: _make(made), seed, output, api_name=case.name
            )
    demo.queue().launch(
        server_name="127.0.0.1",
        server_port=port,
        allowed_paths=[str(folder)],
        prevent_thread_lock=False,
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
