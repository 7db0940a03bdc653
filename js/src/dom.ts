// A tiny element builder: the canvas is plain DOM, so this is all the "framework" it needs.

type Attrs = Record<string, string | number | boolean | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = String(v);
    else if (k === "style") el.style.cssText = String(v); // CSSOM: allowed under a CSP without 'unsafe-inline'
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function s(tag: string, attrs: Attrs = {}): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined) continue;
    if (k === "style") el.style.cssText = String(v);
    else el.setAttribute(k, String(v));
  }
  return el as SVGElement;
}

/** A message over the canvas (a rejected request, a hint) that goes away by itself. */
export class Toast {
  readonly el = h("div", { class: "daggr-toast", role: "alert", hidden: true });
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** `info`: a hint, not an error (drawn in neutral colours, read out politely). */
  show(message: string, info = false, ms = 8000): void {
    this.el.textContent = message;
    this.el.hidden = false;
    this.el.classList.toggle("daggr-toast-info", info);
    this.el.setAttribute("role", info ? "status" : "alert");
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => (this.el.hidden = true), ms);
  }

  destroy(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
