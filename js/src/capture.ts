// Webcam and microphone capture for Image, Audio and Video inputs, where the browser
// allows it (a secure page with media devices). What is captured is uploaded like a
// picked file: the kernel saves it and the input's value becomes its path.
import { h } from "./dom";

export type CaptureKind = "image" | "audio" | "video";

/** Which capture an input kind offers here, or null (no camera API, or a kind that
 * cannot be captured). */
export function captureFor(kind: string): CaptureKind | null {
  if (kind !== "image" && kind !== "audio" && kind !== "video") return null;
  if (typeof navigator === "undefined" || !navigator.mediaDevices?.getUserMedia) return null;
  if (kind !== "image" && typeof MediaRecorder === "undefined") return null;
  return kind;
}

function extension(mime: string): string {
  if (mime.includes("ogg")) return "ogg";
  if (mime.includes("mp4")) return "mp4";
  return "webm";
}

/** One capture at a time, in a panel over the canvas: live preview, then Take photo or
 * Start / Stop recording; Escape or Cancel closes it and releases the devices. */
export class CapturePanel {
  readonly el: HTMLElement;
  private stream: MediaStream | null = null;
  private recorder: MediaRecorder | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private upload: (key: string, file: File) => void) {
    this.el = h("div", { class: "daggr-capture", role: "dialog", "aria-label": "Capture", hidden: true });
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  async start(key: string, label: string, kind: CaptureKind): Promise<void> {
    this.close();
    const title = h("b", {}, kind === "image" ? `Photo for "${label}"` : `Recording for "${label}"`);
    const status = h("div", { class: "daggr-capture-status", role: "status" }, "Asking for the device…");
    const cancel = h("button", { class: "daggr-btn", type: "button", "aria-label": "Cancel capture" }, "Cancel");
    cancel.addEventListener("click", () => this.close());
    const actions = h("div", { class: "daggr-capture-actions" }, cancel);
    this.el.replaceChildren(h("div", { class: "daggr-capture-head" }, title), status, actions);
    this.el.hidden = false;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia(kind === "audio" ? { audio: true } : kind === "video" ? { video: true, audio: true } : { video: true });
    } catch (e) {
      status.textContent = `No ${kind === "audio" ? "microphone" : "camera"} available: ${(e as Error).message || (e as Error).name}. Upload a file instead.`;
      return;
    }
    if (!this.open) return this.release(); // cancelled while the browser asked
    let video: HTMLVideoElement | null = null;
    if (kind !== "audio") {
      video = h("video", { class: "daggr-capture-video", autoplay: true, muted: true, playsinline: true });
      video.muted = true;
      video.srcObject = this.stream;
      void video.play?.().catch(() => undefined);
      status.before(video);
    }
    status.textContent = kind === "image" ? "Camera on" : "Ready to record";
    const go = h("button", { class: "daggr-btn daggr-capture-go", type: "button" }, kind === "image" ? "Take photo" : "Start recording");
    go.setAttribute("aria-label", go.textContent ?? "");
    actions.prepend(go);
    go.addEventListener("click", () => {
      if (kind === "image") return this.snap(video!, key);
      if (!this.recorder) return this.record(go, status);
      this.recorder.stop();
    });
    this.pendingKey = key;
  }

  private pendingKey = "";

  private snap(video: HTMLVideoElement, key: string): void {
    const canvas = h("canvas", { width: video.videoWidth || 640, height: video.videoHeight || 480 });
    canvas.getContext("2d")?.drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob((blob) => {
      if (blob) this.upload(key, new File([blob], "camera.png", { type: "image/png" }));
      this.close();
    }, "image/png");
  }

  private record(go: HTMLButtonElement, status: HTMLElement): void {
    const chunks: Blob[] = [];
    const recorder = new MediaRecorder(this.stream!);
    this.recorder = recorder;
    const key = this.pendingKey;
    recorder.addEventListener("dataavailable", (e) => e.data.size && chunks.push(e.data));
    recorder.addEventListener("stop", () => {
      if (this.recorder !== recorder) return; // cancelled: nothing is uploaded
      const type = recorder.mimeType || "audio/webm";
      if (chunks.length) this.upload(key, new File(chunks, `recording.${extension(type)}`, { type }));
      this.close();
    });
    recorder.start(250);
    const t0 = Date.now();
    go.textContent = "Stop and use";
    go.setAttribute("aria-label", "Stop recording and use it");
    this.timer = setInterval(() => (status.textContent = `Recording ${((Date.now() - t0) / 1000).toFixed(0)} s`), 250);
    status.textContent = "Recording 0 s";
  }

  private release(): void {
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const recorder = this.recorder;
    this.recorder = null;
    if (recorder && recorder.state !== "inactive") {
      try {
        recorder.stop();
      } catch {
        // already stopped
      }
    }
    this.release();
    this.el.hidden = true;
    this.el.replaceChildren();
  }
}
