// A minimal AFM model: enough of anywidget's model API to render the canvas in tests.
import type { ModelLike } from "../src/view";

type Cb = (...args: any[]) => void;

export interface MockModel extends ModelLike {
  sent: any[];
  buffers: (ArrayBuffer[] | undefined)[];
  emit(event: string, ...args: unknown[]): void;
  listeners(event: string): number;
}

export function createMockModel(initial: Record<string, unknown>): MockModel {
  const state: Record<string, unknown> = { ...initial };
  const handlers = new Map<string, Set<Cb>>();
  const emit = (event: string, ...args: unknown[]) => handlers.get(event)?.forEach((cb) => cb(...args));
  return {
    sent: [],
    buffers: [],
    get: (key) => state[key],
    set(key, value) {
      state[key] = value;
      emit(`change:${key}`, value);
    },
    on(event, cb) {
      if (!handlers.has(event)) handlers.set(event, new Set());
      handlers.get(event)!.add(cb);
    },
    off(event, cb) {
      if (cb) handlers.get(event)?.delete(cb);
      else handlers.delete(event);
    },
    send(content, _callbacks, buffers) {
      // A kernel is there: it answers a view's hello (not recorded: tests look at requests).
      if ((content as { type?: string })?.type === "hello") return emit("msg:custom", { type: "hello" });
      this.sent.push(content);
      this.buffers.push(buffers);
    },
    emit,
    listeners: (event) => handlers.get(event)?.size ?? 0,
  };
}

/** Renders the canvas widget for `traits` into a fresh element of the page, as anywidget
 * does (initialize once per model, render once per view). */
export function mountCanvas(widget: { initialize: (a: { model: MockModel }) => () => void; render: (a: { model: MockModel; el: HTMLElement }) => () => void }, traits: Record<string, unknown>) {
  const model = createMockModel(traits);
  const el = document.createElement("div");
  document.body.append(el);
  const c1 = widget.initialize({ model });
  const c2 = widget.render({ model, el });
  return { model, el, cleanup: () => (c2(), c1(), el.remove()) };
}
