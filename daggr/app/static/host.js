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
  const widget = (await import(new URL("static/widget.js", document.baseURI).href)).default;
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
      const dispose = await widget.render({ model, el: root });
      if (typeof dispose === "function") cleanup.push(dispose);
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
