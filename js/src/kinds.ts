// The kind of value a port carries (text, number, image, audio, ...), from its component
// or, when it has none, from the preview of its last value. Port dots and wires take the
// kind's colour, so what flows where can be read at a glance.
import type { ComponentSpec, NodeStates, OutPort, Preview, Topology } from "./types";

export type ValueKind = "text" | "number" | "bool" | "json" | "table" | "image" | "audio" | "video" | "file" | "any";

export const KIND_COLOURS: Record<ValueKind, string> = {
  text: "#3b82f6",
  number: "#10b981",
  bool: "#84cc16",
  json: "#14b8a6",
  table: "#0891b2",
  image: "#a855f7",
  audio: "#f59e0b",
  video: "#ef4444",
  file: "#a16207",
  any: "#94a3b8",
};

const BY_COMPONENT: Record<string, ValueKind> = {
  textbox: "text",
  textarea: "text",
  markdown: "text",
  html: "text",
  code: "text",
  highlightedtext: "text",
  dialogue: "text",
  chatbot: "json",
  number: "number",
  slider: "number",
  checkbox: "bool",
  json: "json",
  label: "json",
  dropdown: "text",
  radio: "text",
  checkboxgroup: "json",
  colorpicker: "text",
  dataframe: "table",
  image: "image",
  gallery: "image",
  annotatedimage: "image",
  imageeditor: "image",
  audio: "audio",
  video: "video",
  file: "file",
  model3d: "file",
  plot: "image",
};

export function kindOfComponent(c: ComponentSpec | undefined): ValueKind | null {
  if (!c) return null;
  if (c.component === "Chatbot") return "json";
  return BY_COMPONENT[c.kind] ?? null;
}

export function kindOfPreview(p: Preview | undefined): ValueKind {
  if (!p) return "any";
  switch (p.type) {
    case "text":
      return "text";
    case "number":
      return "number";
    case "json":
      return p.text === "true" || p.text === "false" ? "bool" : "json";
    case "image":
    case "gallery":
    case "plot":
      return "image";
    case "audio":
      return "audio";
    case "table":
      return "table";
    case "chat":
    case "label":
      return "json";
    case "highlight":
      return "text";
    case "url":
    case "file": {
      const mime = p.mime ?? "";
      if (mime.startsWith("image/")) return "image";
      if (mime.startsWith("audio/")) return "audio";
      if (mime.startsWith("video/")) return "video";
      return "file";
    }
    default:
      return "any";
  }
}

/** An output port's kind: its component's, else its last value's. */
export function outputKind(port: OutPort, preview?: Preview): ValueKind {
  return kindOfComponent(port.component) ?? kindOfPreview(preview);
}

/** Kind of every port: "node.port" for outputs and "node<port" for inputs. An input
 * takes the kind of the output wired into it, else of its own field. */
export function portKinds(topology: Topology, states: NodeStates): Map<string, ValueKind> {
  const out = new Map<string, ValueKind>();
  for (const n of topology.nodes) {
    for (const p of n.outputs) out.set(`${n.id}.${p.name}`, outputKind(p, states[n.id]?.preview?.[p.name] ?? undefined));
    for (const f of n.fields) out.set(`${n.id}<${f.port}`, kindOfComponent(f.component) ?? "any");
    // An InputNode's outputs are its fields.
    if (n.kind === "INPUT") for (const f of n.fields) out.set(`${n.id}.${f.port}`, kindOfComponent(f.component) ?? "any");
  }
  for (const e of topology.edges) out.set(`${e.target}<${e.target_port}`, out.get(`${e.source}.${e.source_port}`) ?? "any");
  return out;
}
