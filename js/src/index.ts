// anywidget entry (AFM): `initialize` once per model, `render` once per displayed view.
import "./widget.css";
import * as P from "./protocol";
import { FormView } from "./form";
import { CanvasView, type ModelLike } from "./view";

/** Kernel deltas are merged into the model once per model (not per view), so every view
 * of it, and the widget state a notebook saves, see the same node states. */
function initialize({ model }: { model: ModelLike }) {
  const onMessage = (msg: unknown) => {
    const u = P.parseUpdate(msg);
    if (!u) return;
    if (u.type === "node_state") {
      model.set("node_state", P.applyStatePatches(model.get("node_state") ?? {}, u.states));
    } else if (u.type === "inputs") {
      model.set("inputs", { ...(model.get("inputs") ?? {}), ...u.values });
    }
  };
  model.on("msg:custom", onMessage);
  return () => model.off("msg:custom", onMessage);
}

// The kernel keeps a saved notebook's drawing current by updating the display the canvas
// was shown in (daggr/widget/saved_copy.py). JupyterLab answers such an update by emptying
// the output and rendering a new view of the same model; the view it threw away is moved
// into the new one instead, so the canvas keeps its cards, scroll, focus and fetched media.
interface Shown {
  view: CanvasView;
  host: HTMLElement;
  owner: object;
}
const shown = new Set<Shown>();

function sameModel(a: ModelLike, b: ModelLike): boolean {
  // Views of one model read one attribute object (an anywidget proxy per view wraps it).
  const topology = a.get("topology");
  return topology !== undefined && topology === b.get("topology");
}

function thrownAway(entry: Shown): boolean {
  // Emptied by its output area (not just scrolled out of a windowed notebook).
  return entry.host.parentElement === null && !entry.view.root.isConnected;
}

function render({ model, el }: { model: ModelLike; el: HTMLElement }) {
  const owner = {};
  let entry = [...shown].find((e) => thrownAway(e) && sameModel(e.view.model, model));
  if (entry) {
    entry.owner = owner;
    entry.host = el;
    entry.view.moveTo(el);
  } else {
    entry = { view: new CanvasView(model, el), host: el, owner };
    shown.add(entry);
  }
  const mine = entry;
  return () => {
    if (mine.owner !== owner) return; // moved into a newer view, which owns it now
    shown.delete(mine);
    mine.view.destroy();
  };
}

/** The app view of a served graph (the page's "Form" tab): inputs, Run, final outputs. */
export function renderForm({ model, el }: { model: ModelLike; el: HTMLElement }) {
  const view = new FormView(model, el);
  return () => view.destroy();
}

export default { initialize, render };
