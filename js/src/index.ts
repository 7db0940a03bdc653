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

function render({ model, el }: { model: ModelLike; el: HTMLElement }) {
  const view = new CanvasView(model, el);
  return () => view.destroy();
}

/** The app view of a served graph (the page's "Form" tab): inputs, Run, final outputs. */
export function renderForm({ model, el }: { model: ModelLike; el: HTMLElement }) {
  const view = new FormView(model, el);
  return () => view.destroy();
}

export default { initialize, render };
