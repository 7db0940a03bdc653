// A 3D model on a card: OBJ, STL and glTF (.glb, or .gltf with its buffers inline) read in
// the page and drawn as a wireframe that turns when dragged. Nothing is fetched from
// elsewhere and no 3D library is loaded; a format it cannot read is offered as a download.
import { h } from "./dom";

export interface Mesh {
  positions: Float32Array; // x, y, z per vertex
  indices: Uint32Array; // three per triangle
}

const MAX_TRIANGLES = 20_000;

export function parseObj(text: string): Mesh | null {
  const pos: number[] = [];
  const idx: number[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim().split(/\s+/);
    if (t[0] === "v" && t.length >= 4) pos.push(+t[1], +t[2], +t[3]);
    else if (t[0] === "f" && t.length >= 4) {
      const vs = t.slice(1).map((s) => {
        const i = parseInt(s.split("/")[0], 10);
        return i < 0 ? pos.length / 3 + i : i - 1;
      });
      for (let k = 1; k + 1 < vs.length; k++) idx.push(vs[0], vs[k], vs[k + 1]);
    }
  }
  return pos.length ? { positions: Float32Array.from(pos), indices: Uint32Array.from(idx) } : null;
}

export function parseStl(bytes: Uint8Array): Mesh | null {
  const head = new TextDecoder().decode(bytes.subarray(0, 256));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength >= 84 ? view.getUint32(80, true) : 0;
  if (count && 84 + count * 50 === bytes.byteLength) {
    const pos = new Float32Array(count * 9);
    for (let i = 0; i < count; i++) for (let k = 0; k < 9; k++) pos[i * 9 + k] = view.getFloat32(84 + i * 50 + 12 + k * 4, true);
    return { positions: pos, indices: Uint32Array.from({ length: count * 3 }, (_, i) => i) };
  }
  if (!/^\s*solid/.test(head)) return null;
  const pos: number[] = [];
  for (const m of new TextDecoder().decode(bytes).matchAll(/vertex\s+(\S+)\s+(\S+)\s+(\S+)/g)) pos.push(+m[1], +m[2], +m[3]);
  return pos.length ? { positions: Float32Array.from(pos), indices: Uint32Array.from({ length: pos.length / 3 }, (_, i) => i) } : null;
}

type Gltf = { meshes?: { primitives: { attributes: { POSITION: number }; indices?: number }[] }[]; accessors: { bufferView: number; byteOffset?: number; count: number; componentType: number }[]; bufferViews: { buffer: number; byteOffset?: number; byteStride?: number }[]; buffers: { uri?: string }[] };

function fromGltf(json: Gltf, buffers: Uint8Array[]): Mesh | null {
  const prim = json.meshes?.[0]?.primitives?.[0];
  if (!prim) return null;
  const read = (a: number, width: number): number[] => {
    const acc = json.accessors[a];
    const bv = json.bufferViews[acc.bufferView];
    const buf = buffers[bv.buffer];
    const view = new DataView(buf.buffer, buf.byteOffset + (bv.byteOffset ?? 0) + (acc.byteOffset ?? 0));
    const size = { 5126: 4, 5125: 4, 5123: 2, 5121: 1 }[acc.componentType] ?? 4;
    const stride = bv.byteStride ?? size * width;
    const out: number[] = [];
    for (let i = 0; i < acc.count; i++) {
      for (let k = 0; k < width; k++) {
        const at = i * stride + k * size;
        out.push(acc.componentType === 5126 ? view.getFloat32(at, true) : acc.componentType === 5125 ? view.getUint32(at, true) : acc.componentType === 5123 ? view.getUint16(at, true) : view.getUint8(at));
      }
    }
    return out;
  };
  const positions = Float32Array.from(read(prim.attributes.POSITION, 3));
  const indices = prim.indices !== undefined ? Uint32Array.from(read(prim.indices, 1)) : Uint32Array.from({ length: positions.length / 3 }, (_, i) => i);
  return { positions, indices };
}

export function parseGlb(bytes: Uint8Array): Mesh | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 20 || view.getUint32(0, true) !== 0x46546c67) return null; // "glTF"
  let at = 12;
  let json: Gltf | null = null;
  const buffers: Uint8Array[] = [];
  while (at + 8 <= bytes.byteLength) {
    const length = view.getUint32(at, true);
    const type = view.getUint32(at + 4, true);
    const chunk = bytes.subarray(at + 8, at + 8 + length);
    if (type === 0x4e4f534a) json = JSON.parse(new TextDecoder().decode(chunk));
    else if (type === 0x004e4942) buffers.push(chunk);
    at += 8 + length;
  }
  return json ? fromGltf(json, buffers) : null;
}

export function parseGltf(text: string): Mesh | null {
  const json = JSON.parse(text) as Gltf;
  const buffers = json.buffers.map((b) => {
    const m = /^data:[^,]*;base64,(.*)$/.exec(b.uri ?? "");
    if (!m) throw new Error("external buffer");
    return Uint8Array.from(atob(m[1]), (c) => c.charCodeAt(0));
  });
  return fromGltf(json, buffers);
}

/** The mesh of a model file, or null when it is not a format read here. */
export function readModel(bytes: Uint8Array, name: string): Mesh | null {
  const ext = name.toLowerCase().split(".").pop();
  try {
    if (ext === "obj") return parseObj(new TextDecoder().decode(bytes));
    if (ext === "stl") return parseStl(bytes);
    if (ext === "glb") return parseGlb(bytes);
    if (ext === "gltf") return parseGltf(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
  return null;
}

/** A wireframe of `mesh` on a canvas; drag to turn it. */
export function meshView(mesh: Mesh, label: string): HTMLCanvasElement {
  const canvas = h("canvas", { class: "daggr-model3d", width: 240, height: 150, role: "img", "aria-label": `3D model ${label}: drag to turn it` });
  const p = mesh.positions;
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < p.length; i += 3) for (let k = 0; k < 3; k++) {
    lo[k] = Math.min(lo[k], p[i + k]);
    hi[k] = Math.max(hi[k], p[i + k]);
  }
  const centre = lo.map((v, k) => (v + hi[k]) / 2);
  const extent = Math.max(...hi.map((v, k) => v - lo[k])) || 1;
  let yaw = 0.6;
  let pitch = -0.4;
  const draw = () => {
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    const { width, height } = canvas;
    const scale = (0.8 * Math.min(width, height)) / extent;
    const [cy, sy, cp, sp] = [Math.cos(yaw), Math.sin(yaw), Math.cos(pitch), Math.sin(pitch)];
    const project = (i: number): [number, number] => {
      const x = p[i * 3] - centre[0];
      const y = p[i * 3 + 1] - centre[1];
      const z = p[i * 3 + 2] - centre[2];
      const x1 = cy * x + sy * z;
      const z1 = -sy * x + cy * z;
      const y1 = cp * y - sp * z1;
      return [width / 2 + x1 * scale, height / 2 - y1 * scale];
    };
    ctx.clearRect(0, 0, width, height);
    ctx.strokeStyle = "#64748b";
    ctx.lineWidth = 0.6;
    ctx.beginPath();
    const tri = Math.min(mesh.indices.length / 3, MAX_TRIANGLES);
    for (let t = 0; t < tri; t++) {
      const [a, b, c] = [mesh.indices[t * 3], mesh.indices[t * 3 + 1], mesh.indices[t * 3 + 2]].map(project);
      ctx.moveTo(a[0], a[1]);
      ctx.lineTo(b[0], b[1]);
      ctx.lineTo(c[0], c[1]);
      ctx.closePath();
    }
    ctx.stroke();
  };
  let from: [number, number] | null = null;
  canvas.addEventListener("pointerdown", (e) => {
    e.stopPropagation(); // turning the model must not pan the canvas
    from = [e.clientX, e.clientY];
    canvas.setPointerCapture?.(e.pointerId);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!from) return;
    e.stopPropagation();
    yaw += (e.clientX - from[0]) / 80;
    pitch += (e.clientY - from[1]) / 80;
    from = [e.clientX, e.clientY];
    draw();
  });
  canvas.addEventListener("pointerup", () => (from = null));
  draw();
  return canvas;
}
