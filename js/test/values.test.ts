// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { MediaClient, parseJson } from "../src/fetcher";
import { createField } from "../src/fields";
import { closeLightbox, openLightbox } from "../src/lightbox";
import { readModel } from "../src/model3d";
import { renderPreview, showOutput, viewerFor } from "../src/outputs";
import { jsonTree, renderChat } from "../src/renderers";
import type { OutPort } from "../src/types";
import "../src/viewers";

const port = (kind: string, component: string): OutPort => ({ name: "value", hidden: false, component: { component, kind, props: { label: "Poster" }, value: null } });

describe("values on the canvas", () => {
  afterEach(() => closeLightbox());

  it("reads NaN, infinities and big integers as the kernel wrote them", () => {
    const v = parseJson('{"loss":NaN,"seed":1180591620717411303425,"neg":-Infinity,"s":"NaN in text"}') as Record<string, unknown>;
    expect(Number.isNaN(v.loss)).toBe(true);
    expect(v.neg).toBe(-Infinity);
    expect(v.s).toBe("NaN in text");
    expect(String(v.seed)).toBe("1180591620717411303425");
    const tree = jsonTree(v);
    expect(tree.textContent).toContain("1180591620717411303425");
    expect(tree.textContent).toContain("NaN");
  });

  it("picks the viewer from what the value is, refined by the port's component", () => {
    expect(viewerFor(port("markdown", "Markdown"), { type: "text", text: "# t" })).toBe("markdown");
    expect(viewerFor(port("json", "Chatbot"), { type: "json", text: "[]" })).toBe("chat");
    expect(viewerFor(port("image", "Image"), { type: "file", name: "clip.webm", mime: "video/webm" })).toBe("video");
    expect(viewerFor(port("model3d", "Model3D"), { type: "file", name: "m.glb" })).toBe("model3d");
    expect(viewerFor(undefined, { type: "gallery", name: "gallery of 3" })).toBe("gallery");
    expect(viewerFor(port("image", "Image"), { type: "url", url: "https://x/cat.png", mime: "image/png" })).toBe("url");
  });

  it("says what a value is and how to show it, never a bare repr", () => {
    const el = renderPreview({ type: "object", name: "mylib.Prediction", hint: "return text, numbers, ..." }, "object");
    expect(el.textContent).toContain("mylib.Prediction");
    expect(el.textContent).toContain("return text");
    const link = renderPreview({ type: "url", url: "https://example.org/cat.png", name: "cat.png", mime: "image/png" }, "url");
    expect(link.tagName).toBe("IMG");
    expect(link.getAttribute("src")).toBe("https://example.org/cat.png");
  });

  it("offers Copy for text that needs no fetch, and stays callable for updates", () => {
    const media = new MediaClient(() => undefined);
    const box = document.createElement("div");
    showOutput(box, port("textbox", "Textbox"), { type: "text", text: "partial" }, null, media, "n/value");
    expect(box.textContent).toBe("partial");
    expect(box.querySelector('[data-action="copy"]')).not.toBeNull();
    showOutput(box, port("textbox", "Textbox"), { type: "text", text: "partial value, longer" }, null, media, "n/value");
    expect(box.textContent).toBe("partial value, longer");
  });

  it("draws a chat's files through the given drawer", () => {
    const chat = renderChat({ messages: [{ role: "user", parts: [{ text: "hi" }] }, { role: "assistant", title: "tool", parts: [{ file: 0, kind: "image", name: "p.png" }] }] }, (p) => {
      const img = document.createElement("img");
      img.alt = p.name ?? "";
      return img;
    });
    expect(chat.querySelectorAll(".daggr-msg")).toHaveLength(2);
    expect(chat.querySelector("img")?.alt).toBe("p.png");
    expect(chat.querySelector(".daggr-msg-title")?.textContent).toBe("tool");
  });

  it("pages through a gallery full screen and closes with Escape", async () => {
    const items = ["a", "b", "c"].map((n) => ({ kind: "image" as const, caption: n, load: () => Promise.resolve(`blob:${n}`) }));
    const box = openLightbox(items, 1);
    await Promise.resolve();
    expect(box.querySelector(".daggr-lightbox-count")?.textContent).toBe("2 / 3");
    box.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight" }));
    expect(box.querySelector(".daggr-lightbox-caption")?.textContent).toBe("c");
    box.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight" }));
    expect(box.querySelector(".daggr-lightbox-count")?.textContent).toBe("1 / 3");
    box.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    expect(document.querySelector(".daggr-lightbox")).toBeNull();
  });

  it("runs a plotly chart's own script in a frame with no same-origin access", async () => {
    let media: MediaClient;
    media = new MediaClient((content) => {
      const id = (content as { id: string }).id;
      const html = new TextEncoder().encode("<html><script>draw()</script></html>");
      queueMicrotask(() => media.onMessage({ type: "fetched", id, mime: "text/html", name: "plot.html" }, [html.buffer]));
    });
    const box = document.createElement("div");
    showOutput(box, port("plot", "Plot"), { type: "plot", name: "plotly chart", mime: "text/html" }, "r1", media, "n/value");
    await new Promise((r) => setTimeout(r, 0));
    const frame = box.querySelector("iframe")!;
    expect(frame.getAttribute("sandbox")).toBe("allow-scripts");
    expect(frame.getAttribute("srcdoc")).toContain("draw()");
  });

  it("shows a file input's default given as a link from where it is", () => {
    const asked: unknown[] = [];
    const media = new MediaClient((content) => asked.push(content));
    const component = { component: "Image", kind: "image", props: { label: "Photo" }, value: "https://example.org/cat.png" };
    const view = createField({ key: "n__photo", port: "photo", component }, component.value, () => undefined, { upload: () => undefined, media });
    expect(view.el.querySelector("img")?.getAttribute("src")).toBe("https://example.org/cat.png");
    expect(asked).toHaveLength(0); // nothing fetched from the kernel
  });

  it("reads 3D models as meshes: OBJ faces and a binary glTF's positions", () => {
    const obj = new TextEncoder().encode("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3 4\n");
    const mesh = readModel(obj, "tetra.obj")!;
    expect(mesh.positions).toHaveLength(12);
    expect(Array.from(mesh.indices)).toEqual([0, 1, 2, 0, 2, 3]); // a quad is two triangles
    const positions = new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]);
    const json = new TextEncoder().encode(JSON.stringify({
      meshes: [{ primitives: [{ attributes: { POSITION: 0 } }] }],
      accessors: [{ bufferView: 0, count: 3, componentType: 5126 }],
      bufferViews: [{ buffer: 0, byteLength: 36 }],
      buffers: [{ byteLength: 36 }],
    }).padEnd(Math.ceil(200 / 4) * 4, " "));
    const bin = new Uint8Array(positions.buffer);
    const glb = new Uint8Array(12 + 8 + json.length + 8 + bin.length);
    const view = new DataView(glb.buffer);
    view.setUint32(0, 0x46546c67, true);
    view.setUint32(4, 2, true);
    view.setUint32(8, glb.length, true);
    view.setUint32(12, json.length, true);
    view.setUint32(16, 0x4e4f534a, true);
    glb.set(json, 20);
    view.setUint32(20 + json.length, bin.length, true);
    view.setUint32(24 + json.length, 0x004e4942, true);
    glb.set(bin, 28 + json.length);
    const read = readModel(glb, "tri.glb")!;
    expect(Array.from(read.positions)).toEqual(Array.from(positions));
    expect(Array.from(read.indices)).toEqual([0, 1, 2]);
    expect(readModel(new Uint8Array([1, 2, 3]), "x.fbx")).toBeNull();
  });
});
