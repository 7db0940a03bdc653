// A small, safe Markdown renderer: it builds DOM nodes from text (never innerHTML), so raw
// HTML in a model's output shows as text and nothing in it can run. Covers what model
// outputs use: headings, paragraphs, lists, code blocks, inline code, bold, italic, links.
import { h } from "./dom";

const SAFE_URL = /^(https?:|mailto:)/i;

export function renderMarkdown(text: string): HTMLElement {
  const root = h("div", { class: "daggr-md" });
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^```/.test(line)) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i])) body.push(lines[i++]);
      i++;
      root.append(h("pre", {}, h("code", {}, body.join("\n"))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const tag = `h${Math.min(heading[1].length + 2, 6)}` as "h3";
      root.append(inline(h(tag, {}), heading[2]));
      i++;
      continue;
    }
    if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const list = h(ordered ? "ol" : "ul", {});
      while (i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) {
        list.append(inline(h("li", {}), lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, "")));
        i++;
      }
      root.append(list);
      continue;
    }
    if (!line.trim()) {
      i++;
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i].trim() && !/^(```|#{1,6}\s|\s*([-*+]|\d+[.)])\s)/.test(lines[i])) para.push(lines[i++]);
    root.append(inline(h("p", {}), para.join(" ")));
  }
  return root;
}

const TOKEN = /(`[^`]+`)|(\*\*[^*]+\*\*|__[^_]+__)|(\*[^*]+\*|_[^_]+_)|(\[[^\]]+\]\([^)\s]+\))/;

/** Appends `text` to `el` with inline code, bold, italic and links as elements. */
export function inline<T extends HTMLElement>(el: T, text: string): T {
  let rest = text;
  while (rest) {
    const m = TOKEN.exec(rest);
    if (!m) {
      el.append(rest);
      break;
    }
    if (m.index) el.append(rest.slice(0, m.index));
    const tok = m[0];
    if (m[1]) el.append(h("code", {}, tok.slice(1, -1)));
    else if (m[2]) el.append(inline(h("strong", {}), tok.slice(2, -2)));
    else if (m[3]) el.append(inline(h("em", {}), tok.slice(1, -1)));
    else {
      const [, label, url] = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(tok)!;
      el.append(SAFE_URL.test(url) ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, label) : label);
    }
    rest = rest.slice(m.index + tok.length);
  }
  return el;
}
