// Is a kernel behind this canvas? A saved notebook is opened in many places without one
// (an HTML export, nbviewer-style renderers, a notebook viewer on a Hub page, a JupyterLab
// whose kernel is gone): the widget state renders the canvas there, but a click on Run
// would go nowhere. So a view says hello and the kernel answers; any message from the
// kernel proves it is there. A view that hears nothing, or whose host says it has no
// kernel, is a static copy: read-only, with the thumbnails the notebook kept.
import type { ModelLike } from "./view";

export const HELLO_WAIT_MS = 3000; // a busy kernel answers late; any later message wins
export const STATIC_NOTICE = "Static copy — run the notebook to work with it";

export type Mode = "live" | "static";

/** True when the page's widget manager says plainly that no kernel is connected
 * (JupyterLab and Notebook 7 with "No Kernel", or a kernel that died). Managers that
 * do not say (an HTML export's, marimo's, VS Code's) leave it to the hello. */
export function hostHasNoKernel(model: ModelLike): boolean {
  try {
    const manager = (model as { widget_manager?: Record<string, unknown> }).widget_manager;
    if (!manager || !("kernel" in manager)) return false;
    const kernel = manager.kernel as { status?: string } | null | undefined;
    if (kernel === null) return true;
    return kernel?.status === "dead";
  } catch {
    return false; // a manager whose kernel getter throws tells us nothing
  }
}

/** True while the host says its kernel is working (a cell running): a hello waits in
 * its queue then, and silence proves nothing. */
export function hostKernelBusy(model: ModelLike): boolean {
  try {
    const manager = (model as { widget_manager?: Record<string, unknown> }).widget_manager;
    const status = (manager?.kernel as { status?: string } | null | undefined)?.status;
    return status === "busy" || status === "starting" || status === "restarting" || status === "autorestarting";
  } catch {
    return false;
  }
}

export class Liveness {
  mode: Mode = "live";
  private timer: ReturnType<typeof setTimeout> | null = null;
  private heard = false;
  private listener = () => this.onKernelMessage();

  constructor(
    private model: ModelLike,
    private changed: (mode: Mode) => void,
  ) {
    model.on("msg:custom", this.listener);
    // ipywidgets says when a model's connection to its kernel changes (the kernel died,
    // restarted, came back): ask again.
    model.on("comm_live_update", this.recheck);
    if (hostHasNoKernel(model)) this.mode = "static";
    else this.probe();
  }

  private recheck = () => {
    if (hostHasNoKernel(this.model)) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.set("static");
    } else this.probe();
  };

  /** Says hello; silence while the kernel is not busy makes this a static copy.
   * Optimistic: a live kernel answers within milliseconds when idle; until then the
   * canvas works as usual and requests wait in the kernel's queue. */
  private probe(): void {
    if (this.timer) clearTimeout(this.timer);
    this.heard = false;
    this.wait();
    try {
      this.model.send({ type: "hello" });
    } catch {
      // no comm to send on: the timer decides
    }
  }

  private wait(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.heard) return;
      if (hostKernelBusy(this.model)) this.wait();
      else this.set("static");
    }, HELLO_WAIT_MS);
  }

  /** Any message from the kernel: it is there (again). */
  private onKernelMessage(): void {
    this.heard = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.set("live");
  }

  destroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.model.off("msg:custom", this.listener);
    this.model.off("comm_live_update", this.recheck);
  }

  private set(mode: Mode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    this.changed(mode);
  }
}
