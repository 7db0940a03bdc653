// Find a node by name: a search box in the toolbar (Ctrl+F or "/" in the canvas); Enter
// or a click on a match moves the view to that card and focuses it.
import { h } from "./dom";

export interface Named {
  id: string;
  name: string;
  kind: string;
}

/** How well `name` matches `query` (lower is better), or null when it does not:
 * exact, then prefix, then substring, then the query's letters in order. */
export function matchRank(query: string, name: string): number | null {
  const q = query.trim().toLowerCase();
  const n = name.toLowerCase();
  if (!q) return null;
  if (n === q) return 0;
  if (n.startsWith(q)) return 1;
  const at = n.indexOf(q);
  if (at >= 0) return 2 + at / 1000;
  let i = 0;
  for (const ch of n) if (ch === q[i]) i++;
  return i === q.length ? 3 + n.length / 1000 : null;
}

export function findNodes<T extends Named>(query: string, nodes: T[], limit = 8): T[] {
  const ranked: [number, number, T][] = [];
  nodes.forEach((node, i) => {
    const r = matchRank(query, node.name);
    if (r !== null) ranked.push([r, i, node]);
  });
  ranked.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return ranked.slice(0, limit).map((r) => r[2]);
}

export class FindBox {
  readonly el: HTMLElement;
  readonly input: HTMLInputElement;
  private list: HTMLElement;
  private nodes: Named[] = [];
  private matches: Named[] = [];
  private active = 0;

  constructor(private pick: (id: string) => void) {
    this.input = h("input", { class: "daggr-input daggr-find-input", type: "search", placeholder: "Find a node…", "aria-label": "Find a node by name" });
    this.list = h("div", { class: "daggr-find-list", role: "listbox", hidden: true });
    this.el = h("div", { class: "daggr-find" }, this.input, this.list);
    this.input.addEventListener("input", () => this.search());
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        this.active = (this.active + (e.key === "ArrowDown" ? 1 : -1) + this.matches.length) % Math.max(1, this.matches.length);
        this.show();
      } else if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        const m = this.matches[this.active];
        if (m) this.choose(m.id);
      }
    });
  }

  setNodes(nodes: Named[]): void {
    this.nodes = nodes;
    if (!this.list.hidden) this.search();
  }

  focus(): void {
    this.input.focus();
    this.input.select();
  }

  get open(): boolean {
    return !this.list.hidden;
  }

  close(): void {
    this.list.hidden = true;
  }

  private search(): void {
    this.matches = findNodes(this.input.value, this.nodes);
    this.active = 0;
    this.show();
  }

  private show(): void {
    const q = this.input.value.trim();
    this.list.hidden = !q;
    const rows = this.matches.map((m, i) => {
      const row = h("button", { class: `daggr-find-item${i === this.active ? " daggr-active" : ""}`, type: "button", role: "option", "data-id": m.id, "aria-selected": String(i === this.active) }, h("span", { class: "daggr-find-kind" }, m.kind), m.name);
      row.addEventListener("click", () => this.choose(m.id));
      return row;
    });
    this.list.replaceChildren(...(rows.length ? rows : [h("div", { class: "daggr-empty" }, `No node named like "${q}"`)]));
  }

  private choose(id: string): void {
    this.close();
    this.pick(id);
  }
}
