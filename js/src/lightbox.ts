// The full-screen viewer: a picture, a video or a gallery over the whole page, with
// previous / next (buttons, arrow keys) and Escape to close. It is put on the page's body,
// outside the canvas's zoomed and panned layers, so it always fills the window.
import { h } from "./dom";

export interface LightboxItem {
  kind: "image" | "video";
  caption?: string | null;
  name?: string;
  load(): Promise<string>; // a URL the element can show
}

let open: HTMLElement | null = null;

export function closeLightbox(): void {
  open?.remove();
  open = null;
}

/** Opens the viewer at item `index` of `items`. */
export function openLightbox(items: LightboxItem[], index = 0): HTMLElement {
  closeLightbox();
  let at = Math.max(0, Math.min(index, items.length - 1));
  const stage = h("div", { class: "daggr-lightbox-stage" });
  const caption = h("div", { class: "daggr-lightbox-caption" });
  const counter = h("span", { class: "daggr-lightbox-count" });
  const prev = h("button", { class: "daggr-lightbox-prev", type: "button", "aria-label": "Previous", title: "Previous (←)" }, "‹");
  const next = h("button", { class: "daggr-lightbox-next", type: "button", "aria-label": "Next", title: "Next (→)" }, "›");
  const close = h("button", { class: "daggr-lightbox-close", type: "button", "aria-label": "Close", title: "Close (Esc)" }, "×");
  const box = h(
    "div",
    { class: "daggr-lightbox", role: "dialog", "aria-modal": "true", "aria-label": "Full-screen viewer", tabindex: -1, "data-lm-suppress-shortcuts": "true" },
    close, prev, stage, next, h("div", { class: "daggr-lightbox-foot" }, counter, caption),
  );
  const show = () => {
    const item = items[at];
    counter.textContent = items.length > 1 ? `${at + 1} / ${items.length}` : "";
    caption.textContent = item.caption ?? item.name ?? "";
    prev.hidden = next.hidden = items.length < 2;
    const shown = at;
    stage.replaceChildren(h("span", { class: "daggr-empty" }, "Loading…"));
    item.load().then(
      (url) => {
        if (shown !== at) return;
        const el = item.kind === "video"
          ? h("video", { class: "daggr-lightbox-media", src: url, controls: true, autoplay: true })
          : h("img", { class: "daggr-lightbox-media", src: url, alt: item.caption ?? item.name ?? "" });
        stage.replaceChildren(el);
      },
      (e: Error) => shown === at && stage.replaceChildren(h("span", { class: "daggr-fallback" }, e.message)),
    );
  };
  const step = (d: number) => {
    at = (at + d + items.length) % items.length;
    show();
  };
  prev.addEventListener("click", () => step(-1));
  next.addEventListener("click", () => step(1));
  close.addEventListener("click", closeLightbox);
  box.addEventListener("click", (e) => e.target === box && closeLightbox());
  box.addEventListener("keydown", (e) => {
    e.stopPropagation(); // the notebook's shortcuts stay quiet while the viewer is open
    if (e.key === "Escape") closeLightbox();
    else if (e.key === "ArrowLeft") step(-1);
    else if (e.key === "ArrowRight") step(1);
  });
  document.body.append(box);
  open = box;
  show();
  box.focus();
  return box;
}
