// daggr app host: runs the notebook canvas bundle (static/widget.js) in a plain page.
// Every URL is relative to the page, so the app works under any path prefix.
// It implements the part of the anywidget model API the bundle uses (get, set, on, off,
// send, save_changes, "msg:custom") over one websocket to the Python Canvas.
// Hand-written, no build step: the bundle itself is unchanged.

const statusEl = document.getElementById("daggr-status");
const root = document.getElementById("daggr-app");

function status(text, bad) {
  statusEl.textContent = text;
  statusEl.classList.toggle("daggr-app-bad", !!bad);
}

class SocketModel {
  constructor(state, socket) {
    this.state = { ...state };
    this.socket = socket;
    this.handlers = new Map(); // event name -> Set of callbacks
    this.dirty = new Set();
  }
  get(key) {
    return this.state[key];
  }
  set(key, value) {
    this.state[key] = value;
    this.dirty.add(key);
    this.emit(`change:${key}`, value);
  }
  save_changes() {
    if (!this.dirty.size) return;
    const state = {};
    for (const k of this.dirty) state[k] = this.state[k];
    this.dirty.clear();
    this.post({ method: "update", state, buffer_paths: [] }, []);
  }
  send(content, _callbacks, buffers) {
    this.post({ method: "custom", content }, buffers || []);
  }
  on(name, fn) {
    if (!this.handlers.has(name)) this.handlers.set(name, new Set());
    this.handlers.get(name).add(fn);
  }
  off(name, fn) {
    if (!name) return this.handlers.clear();
    if (!fn) return this.handlers.delete(name);
    this.handlers.get(name)?.delete(fn);
  }
  emit(name, ...args) {
    for (const fn of [...(this.handlers.get(name) || [])]) {
      try {
        fn(...args);
      } catch (err) {
        console.error(`daggr: a ${name} handler failed`, err);
      }
    }
  }
  post(data, buffers) {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(JSON.stringify({ type: "comm", data, buffers: buffers.length }));
    for (const b of buffers) this.socket.send(b instanceof DataView ? b.buffer : b);
  }
  // A message from Python, shaped as the kernel's comm messages.
  receive(data, buffers) {
    if (data.method === "update") {
      for (const [k, v] of Object.entries(data.state || {})) {
        this.state[k] = v;
        this.emit(`change:${k}`, v);
      }
    } else if (data.method === "custom") {
      this.emit("msg:custom", data.content, buffers.map((b) => new DataView(b)));
    }
    // "echo_update" confirms our own saves: the state already has those values.
  }
}

async function start() {
  const bundle = await import(new URL("static/widget.js", document.baseURI).href);
  const widget = bundle.default;
  const wsUrl = new URL("ws", document.baseURI);
  wsUrl.protocol = wsUrl.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(wsUrl.href);
  socket.binaryType = "arraybuffer";
  let model = null;
  let pending = null; // a text frame waiting for its binary buffers
  let cleanup = [];

  socket.addEventListener("message", async (event) => {
    if (typeof event.data !== "string") {
      if (!pending) return;
      pending.buffers.push(event.data);
      if (pending.buffers.length >= pending.count) {
        const { data, buffers } = pending;
        pending = null;
        model?.receive(data, buffers);
      }
      return;
    }
    const frame = JSON.parse(event.data);
    if (frame.type === "open") {
      model = new SocketModel(frame.state, socket);
      fitHeight(model);
      const init = widget.initialize ? await widget.initialize({ model }) : null;
      if (typeof init === "function") cleanup.push(init);
      views = { canvas: widget.render, form: bundle.renderForm };
      await show(model, firstView());
      cleanup.push(() => disposeView && disposeView());
      window.daggrModel = model; // for tests and the curious
      status(`connected as ${frame.user.slice(0, 14)}`);
      document.body.dataset.daggrReady = "1";
    } else if (frame.type === "comm") {
      if (frame.buffers > 0) pending = { data: frame.data, buffers: [], count: frame.buffers };
      else model?.receive(frame.data, []);
    } else if (frame.type === "reload") {
      location.reload();
    }
  });
  socket.addEventListener("close", () => {
    for (const fn of cleanup) fn();
    cleanup = [];
    status("disconnected — retrying…", true);
    setTimeout(() => location.reload(), 2000);
  });
  window.addEventListener("resize", () => model && fitHeight(model));
}

// Two views of one session: the canvas, and the form (inputs, Run, final outputs). The
// owner's default is <main data-view>; ?view=form|canvas in the URL picks one.
let views = {};
let current = null;
let disposeView = null;

function firstView() {
  const asked = new URLSearchParams(location.search).get("view");
  return asked === "form" || asked === "canvas" ? asked : root.dataset.view || "canvas";
}

async function show(model, name) {
  if (!views[name]) name = "canvas";
  if (disposeView) disposeView();
  root.replaceChildren();
  current = name;
  document.body.dataset.daggrView = name;
  for (const tab of document.querySelectorAll("[data-view-tab]")) {
    tab.setAttribute("aria-pressed", String(tab.dataset.viewTab === name));
  }
  const dispose = await views[name]({ model, el: root });
  disposeView = typeof dispose === "function" ? dispose : null;
}

for (const tab of document.querySelectorAll("[data-view-tab]")) {
  tab.addEventListener("click", () => {
    const model = window.daggrModel;
    if (!model || tab.dataset.viewTab === current) return;
    const url = new URL(location.href);
    url.searchParams.set("view", tab.dataset.viewTab);
    history.replaceState(null, "", url);
    show(model, tab.dataset.viewTab);
  });
}

// The canvas takes its height from the model; in a page it fills the window.
function fitHeight(model) {
  const bar = document.querySelector(".daggr-app-bar");
  const h = Math.max(320, window.innerHeight - (bar ? bar.offsetHeight : 0) - 16);
  model.state.height = h;
  model.emit("change:height", h);
}

start().catch((err) => {
  status(`failed to start: ${err}`, true);
  console.error(err);
});
